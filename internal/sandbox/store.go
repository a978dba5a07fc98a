package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/trustsync/trustsync/internal/atomicfile"
)

// stateVersion is the format version of the state file. Version 2 added
// groups, trustee flags, pairing groups and users as actors.
const stateVersion = 2

// store is everything the sandbox knows: every org, client, role, user,
// trust, pairing, token and audit entry. It is one value so that it can be
// written to the state file whole; the Server's mutex guards it.
type store struct {
	storeHead
	// Audit is append-only: an entry is never changed or removed once
	// appended, so a snapshot may share the entries before its length
	// while later ones are appended (see stateSnapshot).
	Audit []AuditLogMessage `json:"audit"`

	// Indexes, rebuilt by reindex.
	orgByID    map[string]*orgRec
	userByID   map[string]userRef
	groupByID  map[string]groupRec
	roleByID   map[string]roleRefRec
	clientByID map[string]clientRef
	pairByID   map[string]*pairingRec
	tokenByVal map[string]*tokenRec
}

// storeHead is the store without its audit log: the part a snapshot
// encodes whole. Its fields come first in the state file.
type storeHead struct {
	Version          int           `json:"version"`
	MaxUsersPerTrust int           `json:"maxUsersPerTrust"`
	Orgs             []*orgRec     `json:"orgs"`
	Trusts           []*trustRec   `json:"trusts"`
	Pairings         []*pairingRec `json:"pairings"`
	Tokens           []*tokenRec   `json:"tokens"`
}

type orgRec struct {
	ID      string              `json:"id"`
	Name    string              `json:"name"`
	Care    bool                `json:"care,omitempty"`
	Clients []ClientCredentials `json:"clients"`
	Roles   []FixtureRole       `json:"roles"`
	Users   []FixtureUser       `json:"users"`
	Groups  []FixtureGroup      `json:"groups"`
}

type userRef struct {
	org  *orgRec
	user FixtureUser
}

type groupRec struct {
	org   *orgRec
	group FixtureGroup
}

type roleRefRec struct {
	org  *orgRec
	role FixtureRole
}

type clientRef struct {
	org    *orgRec
	client ClientCredentials
}

// actor is who made a change: a user of an org, or an OAuth client acting
// for itself (client-credentials tokens have no user).
type actor struct {
	UserID   string `json:"userId,omitempty"`
	ClientID string `json:"clientId,omitempty"`
	OrgID    string `json:"orgId"`
}

type trustRec struct {
	Trustor     string     `json:"trustor"`
	Trustee     string     `json:"trustee"`
	Enabled     bool       `json:"enabled"`
	DateCreated time.Time  `json:"dateCreated"`
	DateExpired *time.Time `json:"dateExpired,omitempty"`
	CreatedBy   *actor     `json:"createdBy,omitempty"`
	// The Trustee flags, stored and returned as set.
	UsesDefaultRole bool         `json:"usesDefaultRole,omitempty"`
	HasFullAccess   bool         `json:"hasFullAccess,omitempty"`
	IsTrustedUser   bool         `json:"isTrustedUser,omitempty"`
	Users           []*memberRec `json:"users"`
	Groups          []*memberRec `json:"groups"`
}

// memberRec is a user or a group of the trustee org in a trust, with the
// trustor-org roles it holds there.
type memberRec struct {
	// ID is the user's or the group's id.
	ID          string    `json:"id"`
	RoleIDs     []string  `json:"roleIds"`
	DateCreated time.Time `json:"dateCreated"`
	CreatedBy   *actor    `json:"createdBy,omitempty"`
}

type pairingRec struct {
	ID          string    `json:"id"`
	Trustee     string    `json:"trustee"`
	UserIDs     []string  `json:"userIds"`
	GroupIDs    []string  `json:"groupIds"`
	DateCreated time.Time `json:"dateCreated"`
	CreatedBy   *actor    `json:"createdBy,omitempty"`
	// UsedBy is the trustor org that accepted the pairing, "" while unused.
	UsedBy string `json:"usedBy,omitempty"`
}

type tokenRec struct {
	Token    string    `json:"token"`
	ClientID string    `json:"clientId"`
	OrgID    string    `json:"orgId"`
	Expires  time.Time `json:"expires"`
}

// newStore builds a store from a checked fixture.
func newStore(fx *Fixture, now time.Time) *store {
	st := &store{storeHead: storeHead{Version: stateVersion, MaxUsersPerTrust: fx.Limits.MaxUsersPerTrust}}
	if st.MaxUsersPerTrust <= 0 {
		st.MaxUsersPerTrust = DefaultMaxUsersPerTrust
	}
	for _, o := range fx.Orgs {
		rec := &orgRec{
			ID:      o.ID,
			Name:    o.Name,
			Care:    o.Care,
			Clients: make([]ClientCredentials, len(o.Clients)),
			Roles:   nonNil(slices.Clone(o.Roles)),
			Users:   nonNil(slices.Clone(o.Users)),
			Groups:  make([]FixtureGroup, len(o.Groups)),
		}
		for i, c := range o.Clients {
			c.Permissions = slices.Clone(c.Permissions)
			rec.Clients[i] = c
		}
		for i, g := range o.Groups {
			g.Members = nonNil(slices.Clone(g.Members))
			rec.Groups[i] = g
		}
		st.Orgs = append(st.Orgs, rec)
	}
	st.reindex()
	for _, t := range fx.Trusts {
		tr := &trustRec{
			Trustor:         t.Trustor,
			Trustee:         t.Trustee,
			Enabled:         t.Enabled == nil || *t.Enabled,
			DateCreated:     fixtureTime(t.DateCreated, now),
			CreatedBy:       st.actorOf(t.CreatedBy),
			UsesDefaultRole: t.UsesDefaultRole,
			HasFullAccess:   t.HasFullAccess,
			IsTrustedUser:   t.IsTrustedUser,
			Users:           []*memberRec{},
			Groups:          []*memberRec{},
		}
		if t.DateExpired != "" {
			exp := fixtureTime(t.DateExpired, now)
			tr.DateExpired = &exp
		}
		for _, u := range t.Users {
			by := tr.CreatedBy
			if u.CreatedBy != "" {
				by = st.actorOf(u.CreatedBy)
			}
			at := tr.DateCreated
			if u.DateCreated != "" {
				at = fixtureTime(u.DateCreated, now)
			}
			tr.Users = append(tr.Users, &memberRec{ID: u.ID, RoleIDs: nonNil(slices.Clone(u.Roles)), DateCreated: at, CreatedBy: by})
		}
		for _, g := range t.Groups {
			tr.Groups = append(tr.Groups, &memberRec{ID: g.ID, RoleIDs: nonNil(slices.Clone(g.Roles)), DateCreated: tr.DateCreated, CreatedBy: tr.CreatedBy})
		}
		st.Trusts = append(st.Trusts, tr)
	}
	return st
}

// fixtureTime reads a date-time validate has checked; "" means def.
func fixtureTime(v string, def time.Time) time.Time {
	if v == "" {
		return def
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return def
	}
	return t.UTC().Truncate(time.Millisecond)
}

// actorOf turns a user or client id of the fixture into an actor; "" or
// an unknown id gives nil.
func (st *store) actorOf(id string) *actor {
	if u, ok := st.userByID[id]; ok {
		return &actor{UserID: id, OrgID: u.org.ID}
	}
	if c, ok := st.clientByID[id]; ok {
		return &actor{ClientID: id, OrgID: c.org.ID}
	}
	return nil
}

// reindex rebuilds the lookup maps from the lists.
func (st *store) reindex() {
	st.orgByID = map[string]*orgRec{}
	st.userByID = map[string]userRef{}
	st.groupByID = map[string]groupRec{}
	st.roleByID = map[string]roleRefRec{}
	st.clientByID = map[string]clientRef{}
	for _, o := range st.Orgs {
		st.orgByID[o.ID] = o
		for _, u := range o.Users {
			st.userByID[u.ID] = userRef{org: o, user: u}
		}
		for _, g := range o.Groups {
			st.groupByID[g.ID] = groupRec{org: o, group: g}
		}
		for _, r := range o.Roles {
			st.roleByID[r.ID] = roleRefRec{org: o, role: r}
		}
		for _, c := range o.Clients {
			st.clientByID[c.ID] = clientRef{org: o, client: c}
		}
	}
	st.reindexMutable()
}

// reindexMutable rebuilds the maps of what requests change: pairings and
// tokens.
func (st *store) reindexMutable() {
	st.pairByID = make(map[string]*pairingRec, len(st.Pairings))
	for _, p := range st.Pairings {
		st.pairByID[p.ID] = p
	}
	st.tokenByVal = make(map[string]*tokenRec, len(st.Tokens))
	for _, t := range st.Tokens {
		st.tokenByVal[t.Token] = t
	}
}

// clone returns a copy of st that a write can change without touching
// st: trusts, their members, pairings and tokens are copied; orgs, which
// no request changes, are shared, and so are the audit entries before
// len(st.Audit), which never change (only one write runs at a time, so
// the copy may append into the shared backing array past st's length).
func (st *store) clone() *store {
	c := &store{storeHead: st.storeHead, Audit: st.Audit}
	c.orgByID, c.userByID, c.groupByID, c.roleByID, c.clientByID = st.orgByID, st.userByID, st.groupByID, st.roleByID, st.clientByID
	c.Trusts = make([]*trustRec, len(st.Trusts))
	for i, t := range st.Trusts {
		nt := *t
		if t.DateExpired != nil {
			exp := *t.DateExpired
			nt.DateExpired = &exp
		}
		nt.Users = cloneMembers(t.Users)
		nt.Groups = cloneMembers(t.Groups)
		c.Trusts[i] = &nt
	}
	c.Pairings = make([]*pairingRec, len(st.Pairings))
	for i, p := range st.Pairings {
		np := *p
		c.Pairings[i] = &np
	}
	c.Tokens = slices.Clone(st.Tokens) // token records never change
	c.reindexMutable()
	return c
}

func cloneMembers(ms []*memberRec) []*memberRec {
	out := make([]*memberRec, len(ms))
	for i, m := range ms {
		nm := *m
		nm.RoleIDs = slices.Clone(m.RoleIDs)
		out[i] = &nm
	}
	return out
}

// findTrust returns the trust from trustorID to trusteeID, or nil.
func (st *store) findTrust(trustorID, trusteeID string) *trustRec {
	for _, t := range st.Trusts {
		if t.Trustor == trustorID && t.Trustee == trusteeID {
			return t
		}
	}
	return nil
}

// removeTrust deletes t from the store.
func (st *store) removeTrust(t *trustRec) {
	st.Trusts = slices.DeleteFunc(st.Trusts, func(x *trustRec) bool { return x == t })
}

// member returns the membership of userID in t, or nil.
func (t *trustRec) member(userID string) *memberRec { return findMember(t.Users, userID) }

// group returns the membership of groupID in t, or nil.
func (t *trustRec) group(groupID string) *memberRec { return findMember(t.Groups, groupID) }

func findMember(ms []*memberRec, id string) *memberRec {
	for _, m := range ms {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// memberCount is how many members (users and groups) t holds: the
// service's limit counts both.
func (t *trustRec) memberCount() int { return len(t.Users) + len(t.Groups) }

// addToken records an access token and drops expired ones.
func (st *store) addToken(tok *tokenRec, now time.Time) {
	st.Tokens = slices.DeleteFunc(st.Tokens, func(t *tokenRec) bool {
		if !t.Expires.After(now) {
			delete(st.tokenByVal, t.Token)
			return true
		}
		return false
	})
	st.Tokens = append(st.Tokens, tok)
	st.tokenByVal[tok.Token] = tok
}

// stateSnapshot is the store ready to be written to the state file: the
// head encoded whole, and the audit log (whose entries never change once
// appended), encoded incrementally by a stateEncoder.
type stateSnapshot struct {
	head  []byte
	audit []AuditLogMessage
}

// snapshot takes the store's state. The work is proportional to the live
// state (orgs, trusts, pairings, tokens), not to the audit history.
func (st *store) snapshot() (*stateSnapshot, error) {
	head, err := json.MarshalIndent(st.storeHead, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode sandbox state: %w", err)
	}
	n := len(st.Audit)
	return &stateSnapshot{head: head, audit: st.Audit[:n:n]}, nil
}

// stateEncoder turns snapshots into the state file's bytes. It keeps the
// encoded audit log between snapshots, so each one encodes only the
// entries appended since the last. Its methods are not safe for concurrent
// use (the Server calls them with writeMu held).
type stateEncoder struct {
	audit []byte // entries [0, n) encoded, each preceded by its separator
	n     int
}

// encoderMark is how far a stateEncoder had encoded, to go back to when
// the snapshot it encoded next is not kept.
type encoderMark struct{ bytes, n int }

func (e *stateEncoder) mark() encoderMark { return encoderMark{len(e.audit), e.n} }

// reset forgets what was encoded after m.
func (e *stateEncoder) reset(m encoderMark) { e.audit, e.n = e.audit[:m.bytes], m.n }

// Layout of the audit list in the state file, as json.MarshalIndent with
// an indent of two spaces writes it.
const (
	auditOpen      = ",\n  \"audit\": ["
	auditFirstSep  = "\n    "
	auditNextSep   = ",\n    "
	auditEntryPfx  = "    "
	auditEntryInd  = "  "
	auditCloseFull = "\n  ]\n}\n"
	auditCloseNone = "]\n}\n"
)

// encode returns the state file of snap as chunks to write in order; they
// are valid until the next call. The bytes are those json.MarshalIndent
// gives for the whole store, plus a final newline.
func (e *stateEncoder) encode(snap *stateSnapshot) ([][]byte, error) {
	head, ok := bytes.CutSuffix(snap.head, []byte("\n}"))
	if !ok {
		return nil, errors.New("encode sandbox state: unexpected encoding of the store")
	}
	if len(snap.audit) < e.n {
		// An older snapshot than the last one encoded: start again.
		e.audit, e.n = nil, 0
	}
	for _, m := range snap.audit[e.n:] {
		data, err := json.MarshalIndent(m, auditEntryPfx, auditEntryInd)
		if err != nil {
			return nil, fmt.Errorf("encode sandbox state: audit entry %s: %w", m.ID, err)
		}
		if e.n == 0 {
			e.audit = append(e.audit, auditFirstSep...)
		} else {
			e.audit = append(e.audit, auditNextSep...)
		}
		e.audit = append(e.audit, data...)
		e.n++
	}
	closing := auditCloseNone
	if e.n > 0 {
		closing = auditCloseFull
	}
	return [][]byte{head, []byte(auditOpen), e.audit, []byte(closing)}, nil
}

// loadStore reads a state file written by writeState. It reports
// fs.ErrNotExist (wrapped) when there is no file.
func loadStore(path string) (*store, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sandbox state: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var st store
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("read sandbox state %s: %w (delete the file to start again from the fixture)", path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("read sandbox state %s: format version %d, this trustsync reads version %d (delete the file to start again from the fixture)", path, st.Version, stateVersion)
	}
	if len(st.Orgs) == 0 {
		return nil, fmt.Errorf("read sandbox state %s: no orgs (delete the file to start again from the fixture)", path)
	}
	if st.MaxUsersPerTrust <= 0 {
		st.MaxUsersPerTrust = DefaultMaxUsersPerTrust
	}
	for _, o := range st.Orgs {
		if o == nil {
			return nil, fmt.Errorf("read sandbox state %s: null org (delete the file to start again from the fixture)", path)
		}
	}
	for _, t := range st.Trusts {
		if t == nil || slices.Contains(t.Users, nil) || slices.Contains(t.Groups, nil) {
			return nil, fmt.Errorf("read sandbox state %s: null trust or trust member (delete the file to start again from the fixture)", path)
		}
		t.Users, t.Groups = nonNil(t.Users), nonNil(t.Groups)
	}
	st.Pairings = slices.DeleteFunc(st.Pairings, func(p *pairingRec) bool { return p == nil })
	st.Tokens = slices.DeleteFunc(st.Tokens, func(t *tokenRec) bool { return t == nil })
	st.reindex()
	if err := st.checkRefs(); err != nil {
		return nil, fmt.Errorf("read sandbox state %s: %w (delete the file to start again from the fixture)", path, err)
	}
	return &st, nil
}

// checkRefs reports a loaded store whose records point at orgs, users,
// groups, roles or clients it does not hold.
func (st *store) checkRefs() error {
	for _, t := range st.Trusts {
		if st.orgByID[t.Trustor] == nil || st.orgByID[t.Trustee] == nil {
			return fmt.Errorf("trust %s -> %s names an unknown org", t.Trustor, t.Trustee)
		}
		for _, m := range t.Users {
			if u, ok := st.userByID[m.ID]; !ok || u.org.ID != t.Trustee {
				return fmt.Errorf("trust %s -> %s holds %q, not a user of the trustee org", t.Trustor, t.Trustee, m.ID)
			}
		}
		for _, m := range t.Groups {
			if g, ok := st.groupByID[m.ID]; !ok || g.org.ID != t.Trustee {
				return fmt.Errorf("trust %s -> %s holds %q, not a group of the trustee org", t.Trustor, t.Trustee, m.ID)
			}
		}
		for _, m := range slices.Concat(t.Users, t.Groups) {
			for _, r := range m.RoleIDs {
				if role, ok := st.roleByID[r]; !ok || role.org.ID != t.Trustor {
					return fmt.Errorf("trust %s -> %s gives %q, not a role of the trustor org", t.Trustor, t.Trustee, r)
				}
			}
		}
	}
	for _, p := range st.Pairings {
		if st.orgByID[p.Trustee] == nil {
			return fmt.Errorf("pairing %s names an unknown org %q", p.ID, p.Trustee)
		}
		for _, id := range p.UserIDs {
			if u, ok := st.userByID[id]; !ok || u.org.ID != p.Trustee {
				return fmt.Errorf("pairing %s names %q, not a user of org %q", p.ID, id, p.Trustee)
			}
		}
		for _, id := range p.GroupIDs {
			if g, ok := st.groupByID[id]; !ok || g.org.ID != p.Trustee {
				return fmt.Errorf("pairing %s names %q, not a group of org %q", p.ID, id, p.Trustee)
			}
		}
	}
	for _, o := range st.Orgs {
		for _, g := range o.Groups {
			for _, id := range g.Members {
				if u, ok := st.userByID[id]; !ok || u.org != o {
					return fmt.Errorf("group %s names %q, not a user of org %q", g.ID, id, o.ID)
				}
			}
		}
	}
	for _, t := range st.Tokens {
		if c, ok := st.clientByID[t.ClientID]; !ok || c.org.ID != t.OrgID {
			return fmt.Errorf("a token names an unknown client %q", t.ClientID)
		}
	}
	return nil
}

// writeState writes the state file with [atomicfile.WriteFile] (creating
// its directory first): a crash leaves either the old file or the new one,
// never a torn one. The state holds the sandbox's (fake) tokens, so only
// its owner may read it.
func writeState(path string, chunks ...[]byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write sandbox state: %w", err)
	}
	if err := atomicfile.WriteFile(path, 0o600, chunks...); err != nil {
		return fmt.Errorf("write sandbox state %s: %w", path, err)
	}
	return nil
}

// nonNil returns s, or an empty slice for nil, so that JSON shows [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
