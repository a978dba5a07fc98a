// Package planjson is trustsync's JSON contract: the versioned plan
// document (docs/plan-format.md), the document written when planning fails,
// and the wire form of one change, for the plan document and any other
// document that lists changes (an apply record embeds it).
//
// [FromPlan] builds a [Document] from plan data and [Document.Marshal]
// writes it; [Parse] reads one back, refusing a version it does not know
// and names (action, kind, effect) the version does not define. [Failure]
// is the document of a plan that could not be computed. [NewChange] is the
// one conversion of a plan change to its wire form, for any document that
// lists changes.
package planjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/plan"
)

// FormatVersion is the version of the JSON plan format written here.
// docs/plan-format.md describes the format and when the version changes.
const FormatVersion = "2"

// Document is the JSON plan document. Slices are never nil in a document
// built by [FromPlan], so they encode as [] rather than null.
type Document struct {
	FormatVersion string       `json:"format_version"`
	Organization  Organization `json:"organization"`
	// Errored is false: a plan that could not be computed is a [Failure].
	Errored      bool         `json:"errored"`
	Changes      []Change     `json:"changes"`
	Protected    []Protected  `json:"protected"`
	Pending      []Pending    `json:"pending"`
	Warnings     []diag.Wire  `json:"warnings"`
	Summary      Summary      `json:"summary"`
	RemovalGuard RemovalGuard `json:"removal_guard"`
}

// Organization is the org the plan is for.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// IsZero reports whether the organization is unknown (for omitzero).
func (o Organization) IsZero() bool { return o.ID == "" && o.Name == "" }

// Change is one change, in the wire form of the plan document; other
// documents that list changes (an apply record) embed it.
type Change struct {
	// Key identifies the change within its plan; DependsOn and Requires
	// are keys of changes earlier in the plan (see plan.Change).
	Key       string   `json:"key"`
	Action    string   `json:"action"` // create, update, delete
	Kind      string   `json:"kind"`   // see plan.Kind
	Address   string   `json:"address"`
	TrusteeID string   `json:"trustee_id,omitempty"`
	TrustorID string   `json:"trustor_id,omitempty"`
	UserID    string   `json:"user_id,omitempty"`
	GroupID   string   `json:"group_id,omitempty"`
	OrgName   string   `json:"org_name,omitempty"` // the trustee for trustee kinds, the trustor for trustor kinds
	Before    *Value   `json:"before"`             // null for create
	After     *Value   `json:"after"`              // null for delete
	Effect    string   `json:"effect"`             // widen, narrow, neutral
	Reason    string   `json:"reason"`
	DependsOn []string `json:"depends_on"`
	Requires  []string `json:"requires"`
	// Attribution is who last changed the live object; omitted when
	// unknown. It is information, not part of what a plan does.
	Attribution *Attribution `json:"attribution,omitempty"`
}

// Attribution is the latest audit entry that touched a change's live
// object.
type Attribution struct {
	By     string    `json:"by"`
	ByKind string    `json:"by_kind"`
	ByID   string    `json:"by_id"`
	At     time.Time `json:"at"`
	Action string    `json:"action"`
}

// Value is the state of an object before or after a change. Fields that do
// not apply to the change's kind are omitted: a nil slice is left out, an
// empty one is written as [].
type Value struct {
	Name      string `json:"name,omitempty"`
	Enabled   *bool  `json:"enabled,omitempty"`
	Expires   Expiry `json:"expires,omitzero"`
	PairingID string `json:"pairing_id,omitempty"`
	Roles     []Role `json:"roles,omitzero"`
	Users     []User `json:"users,omitzero"`
	// Groups is left out where the plan does not manage groups.
	Groups []Group `json:"groups,omitzero"`
	// MemberCount is how many users a group has, on group kinds; left out
	// when unknown.
	MemberCount *int `json:"member_count,omitempty"`
	// HasFullAccess and IsTrustedUser are a live trust's flags, on trustee
	// values of a trust that exists; left out on a trust to create.
	HasFullAccess *bool `json:"has_full_access,omitempty"`
	IsTrustedUser *bool `json:"is_trusted_user,omitempty"`
	// Pairing is what the pairing of a trust to create offers, on a
	// trustee create's after value.
	Pairing *Pairing `json:"pairing,omitempty"`
}

// Pairing is the pairing a trust is created from, as read when planning:
// the members the trustee org offered (the trust gets the members its
// entry lists) and when the pairing stops being usable.
type Pairing struct {
	ID      string  `json:"id"`
	Users   []User  `json:"users"`
	Groups  []Group `json:"groups"`
	Expires Expiry  `json:"expires"` // null when unknown
}

// Expiry is a trust's expiry. Its zero value means "does not apply" and is
// omitted from the JSON; a set Expiry with a nil Time is written as null
// (the trust never expires); otherwise it is an RFC 3339 UTC timestamp.
type Expiry struct {
	Set  bool
	Time *time.Time
}

// IsZero reports whether the expiry does not apply (for omitzero).
func (e Expiry) IsZero() bool { return !e.Set }

// MarshalJSON writes null or an RFC 3339 UTC timestamp.
func (e Expiry) MarshalJSON() ([]byte, error) {
	if e.Time == nil {
		return []byte("null"), nil
	}
	return json.Marshal(e.Time.UTC().Format(time.RFC3339Nano))
}

// UnmarshalJSON reads null or an RFC 3339 timestamp.
func (e *Expiry) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*e = Expiry{Set: true}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("expires: want an RFC 3339 timestamp or null, got %s", b)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("expires: %q is not an RFC 3339 timestamp", s)
	}
	t = t.UTC()
	*e = Expiry{Set: true, Time: &t}
	return nil
}

// Role is a role of the plan's organization.
type Role struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// User is a user; Roles is present only for trustee users.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Roles []Role `json:"roles,omitzero"`
}

// Group is a group; Roles is present only for trustee groups.
type Group struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	MemberCount *int   `json:"member_count,omitempty"` // left out when unknown
	Roles       []Role `json:"roles,omitzero"`
}

// Protected is a live trust the plan leaves alone on purpose.
type Protected struct {
	Kind      string `json:"kind"`
	Address   string `json:"address"`
	TrusteeID string `json:"trustee_id,omitempty"`
	TrustorID string `json:"trustor_id,omitempty"`
	Name      string `json:"name"`
	Reason    string `json:"reason"`
	// HasFullAccess and IsTrustedUser are a protected trustee trust's
	// flags; left out for trustors.
	HasFullAccess *bool `json:"has_full_access,omitempty"`
	IsTrustedUser *bool `json:"is_trusted_user,omitempty"`
}

// Pending is a configured trustor whose trust does not exist yet.
type Pending struct {
	Address   string `json:"address"`
	TrustorID string `json:"trustor_id"`
	Name      string `json:"name"`
	Message   string `json:"message"`
}

// Summary counts changes by action.
type Summary struct {
	Add    int `json:"add"`
	Change int `json:"change"`
	Remove int `json:"remove"`
}

// RemovalGuard holds the numbers apply's removal guard uses: how many live
// objects the configuration manages and how many of them the plan removes
// or leaves without access (see plan.Plan).
type RemovalGuard struct {
	Managed  int `json:"managed"`
	Removals int `json:"removals"`
	// Deleted, Disabled and WithoutRoles say how removals comes about
	// (they add up to it): objects deleted, a disabled trust with its
	// users, trustee users or groups left with no roles.
	Deleted      int `json:"deleted"`
	Disabled     int `json:"disabled"`
	WithoutRoles int `json:"without_roles"`
}

// Failure is the document written instead of a plan when planning fails,
// so that a pull-request check still shows why: the organization when it
// is known, errored true, no changes, and the diagnostics.
type Failure struct {
	FormatVersion string       `json:"format_version"`
	Organization  Organization `json:"organization,omitzero"`
	Errored       bool         `json:"errored"`
	Changes       []Change     `json:"changes"`
	Diagnostics   []diag.Wire  `json:"diagnostics"`
}

// NewFailure returns the document of a plan that failed with diags; org
// may be zero when the organization was not learnt.
func NewFailure(org plan.Org, diags diag.List) *Failure {
	f := &Failure{
		FormatVersion: FormatVersion,
		Organization:  Organization{ID: org.ID, Name: org.Name},
		Errored:       true,
		Changes:       []Change{},
		Diagnostics:   make([]diag.Wire, 0, len(diags)),
	}
	for _, d := range diags {
		f.Diagnostics = append(f.Diagnostics, d.ToWire())
	}
	return f
}

// Marshal encodes the failure document like [Document.Marshal].
func (f *Failure) Marshal() ([]byte, error) { return encode(f) }

// FromPlan converts a plan into its JSON document. It fails when the plan
// holds an action, kind or effect the format has no name for.
func FromPlan(p *plan.Plan) (*Document, error) {
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("JSON plan: %w", err)
	}
	s := p.Summary()
	d := &Document{
		FormatVersion: FormatVersion,
		Organization:  Organization{ID: p.Organization.ID, Name: p.Organization.Name},
		Changes:       make([]Change, 0, len(p.Changes)),
		Protected:     make([]Protected, 0, len(p.Protected)),
		Pending:       make([]Pending, 0, len(p.Pending)),
		Warnings:      make([]diag.Wire, 0, len(p.Warnings)),
		Summary:       Summary{Add: s.Add, Change: s.Change, Remove: s.Remove},
		RemovalGuard: RemovalGuard{
			Managed: p.Managed, Removals: p.Removals,
			Deleted: p.Lost.Deleted, Disabled: p.Lost.Disabled, WithoutRoles: p.Lost.WithoutRoles,
		},
	}
	for _, c := range p.Changes {
		d.Changes = append(d.Changes, NewChange(c))
	}
	for _, pr := range p.Protected {
		d.Protected = append(d.Protected, Protected{
			Kind: string(pr.Kind), Address: pr.Address, TrusteeID: pr.TrusteeID,
			TrustorID: pr.TrustorID, Name: pr.Name, Reason: pr.Reason,
			HasFullAccess: copyBool(pr.HasFullAccess), IsTrustedUser: copyBool(pr.IsTrustedUser),
		})
	}
	for _, pe := range p.Pending {
		d.Pending = append(d.Pending, Pending{
			Address: pe.Address, TrustorID: pe.TrustorID, Name: pe.Name, Message: pe.Message,
		})
	}
	for _, w := range p.Warnings {
		w.Severity = diag.Warning // every member of warnings is one
		d.Warnings = append(d.Warnings, w.ToWire())
	}
	return d, nil
}

// NewChange returns the wire form of c.
func NewChange(c plan.Change) Change {
	out := Change{
		Key:       c.Key,
		Action:    c.Action.String(),
		Kind:      string(c.Kind),
		Address:   c.Address,
		TrusteeID: c.TrusteeID,
		TrustorID: c.TrustorID,
		UserID:    c.UserID,
		GroupID:   c.GroupID,
		OrgName:   c.OrgName,
		Before:    newValue(c.Kind, c.Action, c.Before),
		After:     newValue(c.Kind, c.Action, c.After),
		Effect:    c.Effect.String(),
		Reason:    c.Reason,
		DependsOn: nonNil(c.DependsOn),
		Requires:  nonNil(c.Requires),
	}
	if a := c.Attribution; a != nil {
		out.Attribution = &Attribution{By: a.By, ByKind: a.ByKind, ByID: a.ByID, At: a.At.UTC(), Action: a.Action}
	}
	return out
}

func nonNil(s []string) []string {
	out := make([]string, len(s))
	copy(out, s)
	return out
}

// newValue converts a before or after value, keeping exactly the fields
// that belong to the kind (see plan.Value).
func newValue(k plan.Kind, a plan.Action, v *plan.Value) *Value {
	if v == nil {
		return nil
	}
	out := &Value{Name: v.Name}
	switch k {
	case plan.KindTrustee:
		out.Enabled = copyBool(v.Enabled)
		out.Expires = Expiry{Set: true, Time: utc(v.Expires)}
		out.PairingID = v.PairingID
		// Users are the people who gain or lose access when a trust is
		// created or deleted; an update carries them only if set, and a
		// create leaves them out when they are not managed (it is then
		// created with its groups alone).
		if a == plan.Delete || v.Users != nil {
			out.Users = newUsers(v.Users, true)
		}
		out.Groups = newGroups(v.Groups, true)
		out.HasFullAccess, out.IsTrustedUser = copyBool(v.HasFullAccess), copyBool(v.IsTrustedUser)
		if pr := v.Pairing; pr != nil {
			out.Pairing = &Pairing{
				ID: pr.ID, Users: newUsers(pr.Users, false), Groups: newGroups(pr.Groups, false),
				Expires: Expiry{Set: true, Time: utc(pr.Expires)},
			}
			if out.Pairing.Groups == nil {
				out.Pairing.Groups = []Group{}
			}
		}
	case plan.KindTrusteeUser, plan.KindTrusteeUserRoles:
		out.Roles = newRoles(v.Roles)
	case plan.KindTrusteeGroup, plan.KindTrusteeGroupRoles:
		out.Roles = newRoles(v.Roles)
		out.MemberCount = copyInt(v.MemberCount)
	case plan.KindTrustor:
		out.Enabled = copyBool(v.Enabled)
		out.Users = newUsers(v.Users, false)
		out.Groups = newGroups(v.Groups, false)
	case plan.KindTrustorGroup:
		out.MemberCount = copyInt(v.MemberCount)
	case plan.KindTrustorUser:
		// The name is all there is.
	}
	return out
}

// newGroups converts a value's groups; nil (groups not managed) stays nil.
func newGroups(gs []plan.Group, withRoles bool) []Group {
	if gs == nil {
		return nil
	}
	out := make([]Group, 0, len(gs))
	for _, g := range gs {
		dg := Group{ID: g.ID, Name: g.Name, MemberCount: copyInt(g.MemberCount)}
		if withRoles {
			dg.Roles = newRoles(g.Roles)
		}
		out = append(out, dg)
	}
	return out
}

func newRoles(rs []plan.Role) []Role {
	out := make([]Role, 0, len(rs))
	for _, r := range rs {
		out = append(out, Role{ID: r.ID, Name: r.Name})
	}
	return out
}

func newUsers(us []plan.User, withRoles bool) []User {
	out := make([]User, 0, len(us))
	for _, u := range us {
		du := User{ID: u.ID, Name: u.Name}
		if withRoles {
			du.Roles = newRoles(u.Roles)
		}
		out = append(out, du)
	}
	return out
}

func copyInt(n *int) *int {
	if n == nil {
		return nil
	}
	v := *n
	return &v
}

func copyBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Marshal encodes the document: two-space indentation, no HTML escaping,
// trailing newline. Equal documents give identical bytes.
func (d *Document) Marshal() ([]byte, error) { return encode(d) }

func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON plan: %w", err)
	}
	return buf.Bytes(), nil
}

// Marshal returns the bytes of p's JSON plan document.
func Marshal(p *plan.Plan) ([]byte, error) {
	d, err := FromPlan(p)
	if err != nil {
		return nil, err
	}
	return d.Marshal()
}

// WithoutAttribution returns a copy of the document whose changes carry no
// attribution: what a saved plan is compared on, since who last touched an
// object is information for a reviewer, not part of what the plan does.
func (d *Document) WithoutAttribution() *Document {
	c := *d
	c.Changes = make([]Change, len(d.Changes))
	for i, ch := range d.Changes {
		ch.Attribution = nil
		c.Changes[i] = ch
	}
	return &c
}

// Parse reads a JSON plan document, checking its format version and every
// name (action, kind, effect) in it. Members it does not know are ignored
// (later releases may add them within a version; see docs/plan-format.md).
// Syntax errors name the line and column.
func Parse(data []byte) (*Document, error) {
	var head struct {
		FormatVersion *string `json:"format_version"`
		Errored       bool    `json:"errored"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("JSON plan: %w", DescribeJSONError(data, err))
	}
	switch {
	case head.FormatVersion == nil:
		return nil, errors.New("JSON plan: no format_version; this is not a trustsync plan")
	case *head.FormatVersion == "1":
		return nil, errors.New(`JSON plan: format_version "1" was written by an older trustsync and lacks the order of changes; run plan again`)
	case *head.FormatVersion != FormatVersion:
		return nil, fmt.Errorf("JSON plan: format_version %q is not supported (this trustsync reads %q); run plan again with this version",
			*head.FormatVersion, FormatVersion)
	case head.Errored:
		return nil, errors.New("JSON plan: the document is of a plan that failed (errored: true); it has no changes to apply")
	}
	var d Document
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("JSON plan: %w", DescribeJSONError(data, err))
	}
	if err := d.check(); err != nil {
		return nil, fmt.Errorf("JSON plan: %w", err)
	}
	return &d, nil
}

// check refuses names the format version does not define.
func (d *Document) check() error {
	for i, c := range d.Changes {
		if _, err := plan.ParseAction(c.Action); err != nil {
			return fmt.Errorf("changes[%d]: %w", i, err)
		}
		if _, err := plan.ParseEffect(c.Effect); err != nil {
			return fmt.Errorf("changes[%d]: %w", i, err)
		}
		if !plan.Kind(c.Kind).Known() {
			return fmt.Errorf("changes[%d]: unknown kind %q", i, c.Kind)
		}
	}
	for i, pr := range d.Protected {
		if k := plan.Kind(pr.Kind); k != plan.KindTrustee && k != plan.KindTrustor {
			return fmt.Errorf("protected[%d]: unknown kind %q", i, pr.Kind)
		}
	}
	return nil
}

// DescribeJSONError adds the line and column to a JSON syntax or type error
// about data, and says when the input ended too early.
func DescribeJSONError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		if syn.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))) {
			return fmt.Errorf("unexpected end of input (the file is truncated or empty): %w", err)
		}
		line, col := lineCol(data, syn.Offset)
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("unexpected end of input (the file is truncated or empty): %w", err)
	}
	return err
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}
