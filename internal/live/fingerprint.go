package live

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"slices"
	"strings"
)

// Fingerprint returns the sha256 (hex) of the state's canonical JSON form:
// sorted, with empty lists rather than absent ones and times in UTC. Two
// reads of unchanged live state have the same fingerprint, so a saved plan
// can tell whether live state moved since it was made.
//
// The JSON is that of json.Marshal of the normalised state, written
// piece by piece into the hash (each trust on its own) rather than built
// as one buffer: a state of 100,000 trust users would otherwise take tens
// of megabytes at once for a 32-byte sum.
func (s *State) Fingerprint() string {
	c := s.clone()
	c.normalize()
	h := sha256.New()
	if err := c.writeCanonical(h); err != nil {
		// State holds only strings, bools and times; a time outside the
		// years 0-9999 is the one thing that cannot be marshaled.
		h.Reset()
		h.Write([]byte("unmarshalable state: " + err.Error()))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeCanonical writes to w the bytes json.Marshal(s) would return,
// following State's field order and tags, one list element at a time.
func (s *State) writeCanonical(w io.Writer) error {
	cw := &canonicalWriter{w: w}
	cw.raw("{")
	cw.field(`"org":`, s.Org)
	cw.field(`,"roles":`, s.Roles)
	cw.field(`,"careOrgIds":`, s.CareOrgIDs)
	cw.field(`,"trusteesRead":`, s.TrusteesRead)
	cw.raw(`,"trustees":`)
	writeList(cw, s.Trustees)
	if s.TrusteeGroupsRead {
		cw.raw(`,"trusteeGroupsRead":true`)
	}
	cw.field(`,"trustorsRead":`, s.TrustorsRead)
	cw.raw(`,"trustors":`)
	writeList(cw, s.Trustors)
	if s.TrustorGroupsRead {
		cw.raw(`,"trustorGroupsRead":true`)
	}
	if len(s.Pairings) > 0 {
		cw.field(`,"pairings":`, s.Pairings)
	}
	if s.OwnUsersRead {
		cw.raw(`,"ownUsersRead":true`)
	}
	if len(s.OwnUsers) > 0 {
		cw.field(`,"ownUsers":`, s.OwnUsers)
	}
	cw.raw("}")
	return cw.err
}

// writeList writes a JSON array of list's elements, each marshaled alone
// (a nil list as null, as json.Marshal does).
func writeList[T any](cw *canonicalWriter, list []T) {
	if list == nil {
		cw.raw("null")
		return
	}
	cw.raw("[")
	for i := range list {
		if i > 0 {
			cw.raw(",")
		}
		cw.value(list[i])
	}
	cw.raw("]")
}

// canonicalWriter writes JSON pieces, keeping the first error.
type canonicalWriter struct {
	w   io.Writer
	err error
}

func (c *canonicalWriter) raw(s string) {
	if c.err == nil {
		_, c.err = io.WriteString(c.w, s)
	}
}

func (c *canonicalWriter) value(v any) {
	if c.err != nil {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		c.err = err
		return
	}
	_, c.err = c.w.Write(data)
}

func (c *canonicalWriter) field(key string, v any) {
	c.raw(key)
	c.value(v)
}

func (s *State) clone() *State {
	c := *s
	c.Roles = slices.Clone(s.Roles)
	c.CareOrgIDs = slices.Clone(s.CareOrgIDs)
	c.Trustees = slices.Clone(s.Trustees)
	for i := range c.Trustees {
		t := &c.Trustees[i]
		if t.Expires != nil {
			e := *t.Expires
			t.Expires = &e
		}
		t.Users = slices.Clone(t.Users)
		for j := range t.Users {
			t.Users[j].RoleIDs = slices.Clone(t.Users[j].RoleIDs)
			t.Users[j].Added = t.Users[j].Added.clone()
		}
		t.Groups = slices.Clone(t.Groups)
		for j := range t.Groups {
			t.Groups[j].RoleIDs = slices.Clone(t.Groups[j].RoleIDs)
		}
	}
	c.Trustors = slices.Clone(s.Trustors)
	for i := range c.Trustors {
		t := &c.Trustors[i]
		t.Users = slices.Clone(t.Users)
		for j := range t.Users {
			t.Users[j].Added = t.Users[j].Added.clone()
		}
		t.Groups = slices.Clone(t.Groups)
	}
	c.Pairings = slices.Clone(s.Pairings)
	for i := range c.Pairings {
		p := &c.Pairings[i]
		p.Users, p.Groups = slices.Clone(p.Users), slices.Clone(p.Groups)
		if p.DateCreated != nil {
			d := *p.DateCreated
			p.DateCreated = &d
		}
	}
	c.OwnUsers = slices.Clone(s.OwnUsers)
	return &c
}

// normalize sorts s in place as documented on [State], turns nil lists into
// empty ones and times into UTC.
func (s *State) normalize() {
	s.Roles = nonNil(s.Roles)
	slices.SortFunc(s.Roles, func(a, b Role) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	s.CareOrgIDs = nonNil(s.CareOrgIDs)
	slices.Sort(s.CareOrgIDs)
	s.Trustees = nonNil(s.Trustees)
	slices.SortFunc(s.Trustees, func(a, b Trustee) int { return strings.Compare(a.OrgID, b.OrgID) })
	for i := range s.Trustees {
		t := &s.Trustees[i]
		if t.Expires != nil {
			u := t.Expires.UTC()
			t.Expires = &u
		}
		t.Users = nonNil(t.Users)
		slices.SortFunc(t.Users, func(a, b TrusteeUser) int { return strings.Compare(a.ID, b.ID) })
		for j := range t.Users {
			t.Users[j].RoleIDs = nonNil(t.Users[j].RoleIDs)
			slices.Sort(t.Users[j].RoleIDs)
			t.Users[j].Added.normalize()
		}
		// Groups stay absent (not empty) when not read, so a state read
		// without groups keeps the fingerprint it always had.
		slices.SortFunc(t.Groups, func(a, b TrusteeGroup) int { return strings.Compare(a.ID, b.ID) })
		for j := range t.Groups {
			t.Groups[j].RoleIDs = nonNil(t.Groups[j].RoleIDs)
			slices.Sort(t.Groups[j].RoleIDs)
		}
	}
	s.Trustors = nonNil(s.Trustors)
	slices.SortFunc(s.Trustors, func(a, b Trustor) int { return strings.Compare(a.OrgID, b.OrgID) })
	for i := range s.Trustors {
		t := &s.Trustors[i]
		t.Users = nonNil(t.Users)
		slices.SortFunc(t.Users, byUserID)
		for j := range t.Users {
			t.Users[j].Added.normalize()
		}
		slices.SortFunc(t.Groups, byGroupID)
	}
	slices.SortFunc(s.Pairings, func(a, b Pairing) int { return strings.Compare(a.ID, b.ID) })
	for i := range s.Pairings {
		p := &s.Pairings[i]
		if p.DateCreated != nil {
			u := p.DateCreated.UTC()
			p.DateCreated = &u
		}
		slices.SortFunc(p.Users, byUserID)
		slices.SortFunc(p.Groups, byGroupID)
	}
	slices.SortFunc(s.OwnUsers, byUserID)
}

// clone returns a deep copy of a (nil for nil).
func (a *Added) clone() *Added {
	if a == nil {
		return nil
	}
	c := *a
	if a.At != nil {
		at := *a.At
		c.At = &at
	}
	if a.By != nil {
		by := *a.By
		c.By = &by
	}
	return &c
}

// normalize turns a's time into UTC.
func (a *Added) normalize() {
	if a != nil && a.At != nil {
		u := a.At.UTC()
		a.At = &u
	}
}

func byUserID(a, b User) int   { return strings.Compare(a.ID, b.ID) }
func byGroupID(a, b Group) int { return strings.Compare(a.ID, b.ID) }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
