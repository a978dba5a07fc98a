package config

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
)

// Digest returns the SHA-256 (hex) of the configuration's content: the
// JSON form of a normalised copy of it (see [Config.Normalize]).
//
// Positions, file names, comments, formatting, the order of list entries
// (trustees, trustors, users, groups, roles, protected and forbidden
// entries) and how the content is split across files do not change the
// digest; any change to a value, informational names included, does.
// Policy defaults are filled in first, so `maxUsersPerTrust: 25` and an
// omitted key digest the same.
// Plan files record the digest so that apply can tell whether the
// configuration changed since the plan was made.
func (c *Config) Digest() string {
	// Marshaling these plain types cannot fail.
	b, _ := json.Marshal(c.Normalize())
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Normalize returns a copy of c in a canonical form: every list sorted
// (entries by id, roles and refs by value), expiries in UTC, empty lists
// non-nil, and no positions or file names. Two configurations with the same
// content normalise to equal values, whatever order and files they were
// written in. c is not changed.
func (c *Config) Normalize() *Config {
	n := &Config{
		Version:        c.Version,
		Policy:         c.Policy,
		ManageTrustees: c.ManageTrustees,
		ManageTrustors: c.ManageTrustors,
		Trustees:       make([]Trustee, 0, len(c.Trustees)),
		Trustors:       make([]Trustor, 0, len(c.Trustors)),
	}
	if o := c.Organization; o != nil {
		n.Organization = &Organization{ID: o.ID, Name: o.Name, Region: o.Region}
	}
	n.Policy.ForbiddenRoles = sortedRoles(c.Policy.ForbiddenRoles)
	n.Protect = Protect{Trustees: sortedOrgs(c.Protect.Trustees), Trustors: sortedOrgs(c.Protect.Trustors)}
	for _, t := range c.Trustees {
		t.Pos = Pos{}
		if t.Expires != nil {
			e := t.Expires.UTC()
			t.Expires = &e
		}
		users := make([]TrusteeUser, 0, len(t.Users))
		for _, u := range t.Users {
			users = append(users, TrusteeUser{ID: u.ID, Name: u.Name, Roles: sortedRoles(u.Roles)})
		}
		slices.SortFunc(users, func(a, b TrusteeUser) int { return strings.Compare(a.ID, b.ID) })
		groups := make([]TrusteeGroup, 0, len(t.Groups))
		for _, g := range t.Groups {
			groups = append(groups, TrusteeGroup{ID: g.ID, Name: g.Name, Roles: sortedRoles(g.Roles)})
		}
		slices.SortFunc(groups, func(a, b TrusteeGroup) int { return strings.Compare(a.ID, b.ID) })
		t.Users, t.Groups = users, groups
		n.Trustees = append(n.Trustees, t)
	}
	slices.SortFunc(n.Trustees, func(a, b Trustee) int { return strings.Compare(a.ID, b.ID) })
	for _, t := range c.Trustors {
		t.Pos = Pos{}
		users := make([]TrustorUser, 0, len(t.Users))
		for _, u := range t.Users {
			users = append(users, TrustorUser{ID: u.ID, Name: u.Name})
		}
		slices.SortFunc(users, func(a, b TrustorUser) int { return cmp.Compare(a.ID, b.ID) })
		groups := make([]TrustorGroup, 0, len(t.Groups))
		for _, g := range t.Groups {
			groups = append(groups, TrustorGroup{ID: g.ID, Name: g.Name})
		}
		slices.SortFunc(groups, func(a, b TrustorGroup) int { return cmp.Compare(a.ID, b.ID) })
		t.Users, t.Groups = users, groups
		n.Trustors = append(n.Trustors, t)
	}
	slices.SortFunc(n.Trustors, func(a, b Trustor) int { return strings.Compare(a.ID, b.ID) })
	return n
}

func sortedRoles(rs []RoleRef) []RoleRef {
	out := make([]RoleRef, 0, len(rs))
	for _, r := range rs {
		out = append(out, RoleRef{Ref: r.Ref})
	}
	slices.SortFunc(out, func(a, b RoleRef) int { return strings.Compare(a.Ref, b.Ref) })
	return out
}

func sortedOrgs(rs []OrgRef) []OrgRef {
	out := make([]OrgRef, 0, len(rs))
	for _, r := range rs {
		out = append(out, OrgRef{ID: r.ID})
	}
	slices.SortFunc(out, func(a, b OrgRef) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// MarshalJSON writes a role reference as its string.
func (r RoleRef) MarshalJSON() ([]byte, error) { return json.Marshal(r.Ref) }

// MarshalJSON writes an org reference as its id.
func (r OrgRef) MarshalJSON() ([]byte, error) { return json.Marshal(r.ID) }
