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
)

// stateVersion is the format version of the state file.
const stateVersion = 1

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
}

type userRef struct {
	org  *orgRec
	user FixtureUser
}

type roleRefRec struct {
	org  *orgRec
	role FixtureRole
}

type clientRef struct {
	org    *orgRec
	secret string
}

// actor is who made a change: an OAuth client of an org.
type actor struct {
	ClientID string `json:"clientId"`
	OrgID    string `json:"orgId"`
}

type trustRec struct {
	Trustor     string       `json:"trustor"`
	Trustee     string       `json:"trustee"`
	Enabled     bool         `json:"enabled"`
	DateCreated time.Time    `json:"dateCreated"`
	DateExpired *time.Time   `json:"dateExpired,omitempty"`
	CreatedBy   *actor       `json:"createdBy,omitempty"`
	Users       []*memberRec `json:"users"`
}

type memberRec struct {
	UserID      string    `json:"userId"`
	RoleIDs     []string  `json:"roleIds"`
	DateCreated time.Time `json:"dateCreated"`
	CreatedBy   *actor    `json:"createdBy,omitempty"`
}

type pairingRec struct {
	ID          string    `json:"id"`
	Trustee     string    `json:"trustee"`
	UserIDs     []string  `json:"userIds"`
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
		st.Orgs = append(st.Orgs, &orgRec{
			ID:      o.ID,
			Name:    o.Name,
			Care:    o.Care,
			Clients: slices.Clone(o.Clients),
			Roles:   slices.Clone(o.Roles),
			Users:   slices.Clone(o.Users),
		})
	}
	for _, t := range fx.Trusts {
		tr := &trustRec{
			Trustor:     t.Trustor,
			Trustee:     t.Trustee,
			Enabled:     t.Enabled == nil || *t.Enabled,
			DateCreated: now,
		}
		if t.DateExpired != "" {
			// validate has checked the format.
			exp, _ := time.Parse(time.RFC3339, t.DateExpired)
			exp = exp.UTC()
			tr.DateExpired = &exp
		}
		for _, u := range t.Users {
			tr.Users = append(tr.Users, &memberRec{UserID: u.ID, RoleIDs: nonNil(slices.Clone(u.Roles)), DateCreated: now})
		}
		st.Trusts = append(st.Trusts, tr)
	}
	st.reindex()
	return st
}

// reindex rebuilds the lookup maps from the lists.
func (st *store) reindex() {
	st.orgByID = map[string]*orgRec{}
	st.userByID = map[string]userRef{}
	st.roleByID = map[string]roleRefRec{}
	st.clientByID = map[string]clientRef{}
	st.pairByID = map[string]*pairingRec{}
	st.tokenByVal = map[string]*tokenRec{}
	for _, o := range st.Orgs {
		st.orgByID[o.ID] = o
		for _, u := range o.Users {
			st.userByID[u.ID] = userRef{org: o, user: u}
		}
		for _, r := range o.Roles {
			st.roleByID[r.ID] = roleRefRec{org: o, role: r}
		}
		for _, c := range o.Clients {
			st.clientByID[c.ID] = clientRef{org: o, secret: c.Secret}
		}
	}
	for _, p := range st.Pairings {
		st.pairByID[p.ID] = p
	}
	for _, t := range st.Tokens {
		st.tokenByVal[t.Token] = t
	}
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
func (t *trustRec) member(userID string) *memberRec {
	for _, m := range t.Users {
		if m.UserID == userID {
			return m
		}
	}
	return nil
}

// removeMember deletes userID's membership from t.
func (t *trustRec) removeMember(userID string) {
	t.Users = slices.DeleteFunc(t.Users, func(m *memberRec) bool { return m.UserID == userID })
}

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

// stateSnapshot is the store at one generation, ready to be written to
// the state file without the Server's mutex: the head is encoded while the
// mutex is held, the audit log is shared (its entries never change once
// appended) and encoded, incrementally, by a stateEncoder.
type stateSnapshot struct {
	gen   uint64
	head  []byte
	audit []AuditLogMessage
}

// snapshot takes the store's state at generation gen. The caller holds the
// Server's mutex; the work is proportional to the live state (orgs,
// trusts, pairings, tokens), not to the audit history.
func (st *store) snapshot(gen uint64) (*stateSnapshot, error) {
	head, err := json.MarshalIndent(st.storeHead, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode sandbox state: %w", err)
	}
	n := len(st.Audit)
	return &stateSnapshot{gen: gen, head: head, audit: st.Audit[:n:n]}, nil
}

// stateEncoder turns snapshots into the state file's bytes. It keeps the
// encoded audit log between snapshots, so each one encodes only the
// entries appended since the last. Its methods are not safe for concurrent
// use (the Server calls them with persistMu held).
type stateEncoder struct {
	audit []byte // entries [0, n) encoded, each preceded by its separator
	n     int
}

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
	for _, t := range st.Trusts {
		if t == nil {
			return nil, fmt.Errorf("read sandbox state %s: null trust (delete the file to start again from the fixture)", path)
		}
		for _, m := range t.Users {
			if m == nil {
				return nil, fmt.Errorf("read sandbox state %s: null trust user (delete the file to start again from the fixture)", path)
			}
		}
	}
	for _, o := range st.Orgs {
		if o == nil {
			return nil, fmt.Errorf("read sandbox state %s: null org (delete the file to start again from the fixture)", path)
		}
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
// roles or clients it does not hold.
func (st *store) checkRefs() error {
	for _, t := range st.Trusts {
		if st.orgByID[t.Trustor] == nil || st.orgByID[t.Trustee] == nil {
			return fmt.Errorf("trust %s -> %s names an unknown org", t.Trustor, t.Trustee)
		}
		for _, m := range t.Users {
			if u, ok := st.userByID[m.UserID]; !ok || u.org.ID != t.Trustee {
				return fmt.Errorf("trust %s -> %s holds %q, not a user of the trustee org", t.Trustor, t.Trustee, m.UserID)
			}
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
	}
	for _, t := range st.Tokens {
		if c, ok := st.clientByID[t.ClientID]; !ok || c.org.ID != t.OrgID {
			return fmt.Errorf("a token names an unknown client %q", t.ClientID)
		}
	}
	return nil
}

// writeState writes data to path atomically: a temporary file in the same
// directory, synced, then renamed over path. A crash leaves either the old
// file or the new one, never a torn one.
func writeState(path string, chunks ...[]byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write sandbox state: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write sandbox state: %w", err)
	}
	tmp := f.Name()
	for _, c := range chunks {
		if _, err = f.Write(c); err != nil {
			break
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return errors.Join(fmt.Errorf("write sandbox state %s: %w", path, err), removeIfExists(tmp))
	}
	return nil
}

// removeIfExists removes path, ignoring a missing file.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove temporary state file: %w", err)
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
