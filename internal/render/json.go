package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/trustsync/trustsync/internal/plan"
)

// FormatVersion is the version of the JSON plan format written by [JSON].
// docs/plan-format.md describes the format and when the version changes.
const FormatVersion = "1"

// Document is the JSON plan format (docs/plan-format.md). [NewDocument]
// builds one from a plan, [JSON] writes it, [DecodeJSON] reads it back and
// [Document.Plan] turns it into plan data again.
//
// Slices are never nil in a document built by [NewDocument], so they encode
// as [] rather than null.
type Document struct {
	FormatVersion string       `json:"format_version"`
	Organization  Organization `json:"organization"`
	Changes       []Change     `json:"changes"`
	Protected     []Protected  `json:"protected"`
	Pending       []Pending    `json:"pending"`
	Warnings      []Warning    `json:"warnings"`
	Summary       Summary      `json:"summary"`
	RemovalGuard  RemovalGuard `json:"removal_guard"`
}

// Organization is the org the plan is for.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Change is one change, in the order apply runs them.
type Change struct {
	Action    string `json:"action"` // create, update, delete
	Kind      string `json:"kind"`   // trustee, trustee_user, trustee_user_roles, trustor, trustor_user
	Address   string `json:"address"`
	TrusteeID string `json:"trustee_id,omitempty"`
	TrustorID string `json:"trustor_id,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	OrgName   string `json:"org_name,omitempty"` // the trustee for trustee kinds, the trustor for trustor kinds
	Before    *Value `json:"before"`             // null for create
	After     *Value `json:"after"`              // null for delete
	Effect    string `json:"effect"`             // widen, narrow, neutral
	Reason    string `json:"reason"`
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

// Protected is a live trust the plan leaves alone on purpose.
type Protected struct {
	Kind      string `json:"kind"`
	Address   string `json:"address"`
	TrusteeID string `json:"trustee_id,omitempty"`
	TrustorID string `json:"trustor_id,omitempty"`
	Name      string `json:"name"`
	Reason    string `json:"reason"`
}

// Pending is a configured trustor whose trust does not exist yet.
type Pending struct {
	Address   string `json:"address"`
	TrustorID string `json:"trustor_id"`
	Name      string `json:"name"`
	Message   string `json:"message"`
}

// Warning is something a reviewer should know. File, Line and Col are
// present only when the warning points into a configuration file.
type Warning struct {
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
}

// Summary counts changes by action.
type Summary struct {
	Add    int `json:"add"`
	Change int `json:"change"`
	Remove int `json:"remove"`
}

// RemovalGuard holds the numbers apply's removal guard uses: how many live
// objects the configuration manages and how many of them the plan removes.
type RemovalGuard struct {
	Managed  int `json:"managed"`
	Removals int `json:"removals"`
}

// JSON writes the plan as one JSON document (format version
// [FormatVersion]), indented with two spaces and ending in a newline. The
// output depends only on the plan, so equal plans give identical bytes.
func JSON(w io.Writer, p *plan.Plan) error {
	b, err := MarshalPlan(p)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write JSON plan: %w", err)
	}
	return nil
}

// MarshalPlan returns the bytes [JSON] writes.
func MarshalPlan(p *plan.Plan) ([]byte, error) {
	doc, err := NewDocument(p)
	if err != nil {
		return nil, err
	}
	return doc.Marshal()
}

// Marshal encodes the document as [JSON] does: two-space indentation, no
// HTML escaping, trailing newline.
func (d *Document) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode JSON plan: %w", err)
	}
	return buf.Bytes(), nil
}

// NewDocument converts a plan into its JSON form. It fails when the plan
// holds an action, kind or effect the format has no name for.
func NewDocument(p *plan.Plan) (*Document, error) {
	if err := check(p); err != nil {
		return nil, err
	}
	s := p.Summary()
	d := &Document{
		FormatVersion: FormatVersion,
		Organization:  Organization{ID: p.Organization.ID, Name: p.Organization.Name},
		Changes:       make([]Change, 0, len(p.Changes)),
		Protected:     make([]Protected, 0, len(p.Protected)),
		Pending:       make([]Pending, 0, len(p.Pending)),
		Warnings:      make([]Warning, 0, len(p.Warnings)),
		Summary:       Summary{Add: s.Add, Change: s.Change, Remove: s.Remove},
		RemovalGuard:  RemovalGuard{Managed: p.Managed, Removals: p.Removals},
	}
	for _, c := range p.Changes {
		d.Changes = append(d.Changes, Change{
			Action:    c.Action.String(),
			Kind:      string(c.Kind),
			Address:   c.Address,
			TrusteeID: c.TrusteeID,
			TrustorID: c.TrustorID,
			UserID:    c.UserID,
			OrgName:   c.OrgName,
			Before:    docValue(c.Kind, c.Action, c.Before),
			After:     docValue(c.Kind, c.Action, c.After),
			Effect:    c.Effect.String(),
			Reason:    c.Reason,
		})
	}
	for _, pr := range p.Protected {
		d.Protected = append(d.Protected, Protected{
			Kind: string(pr.Kind), Address: pr.Address, TrusteeID: pr.TrusteeID,
			TrustorID: pr.TrustorID, Name: pr.Name, Reason: pr.Reason,
		})
	}
	for _, pe := range p.Pending {
		d.Pending = append(d.Pending, Pending{
			Address: pe.Address, TrustorID: pe.TrustorID, Name: pe.Name, Message: pe.Message,
		})
	}
	for _, w := range p.Warnings {
		dw := Warning{Message: w.Message, Hint: w.Hint}
		if w.Line > 0 {
			dw.File, dw.Line, dw.Col = w.File, w.Line, w.Col
		}
		d.Warnings = append(d.Warnings, dw)
	}
	return d, nil
}

// docValue converts a before or after value, keeping exactly the fields
// that belong to the kind (see plan.Value).
func docValue(k plan.Kind, a plan.Action, v *plan.Value) *Value {
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
		// create leaves them out when they are not managed (the pairing's
		// users join).
		if a == plan.Delete || v.Users != nil {
			out.Users = docUsers(v.Users, true)
		}
	case plan.KindTrusteeUser, plan.KindTrusteeUserRoles:
		out.Roles = docRoles(v.Roles)
	case plan.KindTrustor:
		out.Enabled = copyBool(v.Enabled)
		out.Users = docUsers(v.Users, false)
	case plan.KindTrustorUser:
		// The name is all there is.
	}
	return out
}

func docRoles(rs []plan.Role) []Role {
	out := make([]Role, 0, len(rs))
	for _, r := range rs {
		out = append(out, Role{ID: r.ID, Name: r.Name})
	}
	return out
}

func docUsers(us []plan.User, withRoles bool) []User {
	out := make([]User, 0, len(us))
	for _, u := range us {
		du := User{ID: u.ID, Name: u.Name}
		if withRoles {
			du.Roles = docRoles(u.Roles)
		}
		out = append(out, du)
	}
	return out
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

// check rejects plans the formats cannot express.
func check(p *plan.Plan) error {
	if p == nil {
		return errors.New("render plan: no plan")
	}
	for i, c := range p.Changes {
		if _, ok := actionNames[c.Action]; !ok || c.Action == plan.NoOp {
			return fmt.Errorf("render plan: change %d (%s): invalid action %v", i+1, c.Address, c.Action)
		}
		if _, ok := kinds[c.Kind]; !ok {
			return fmt.Errorf("render plan: change %d (%s): unknown kind %q", i+1, c.Address, c.Kind)
		}
		if _, ok := effectNames[c.Effect]; !ok {
			return fmt.Errorf("render plan: change %d (%s): unknown effect %v", i+1, c.Address, c.Effect)
		}
		if c.Action == plan.Create && c.After == nil {
			return fmt.Errorf("render plan: change %d (%s): create without an after value", i+1, c.Address)
		}
		if c.Action == plan.Delete && c.Before == nil {
			return fmt.Errorf("render plan: change %d (%s): delete without a before value", i+1, c.Address)
		}
		if c.Action == plan.Update && (c.Before == nil || c.After == nil) {
			return fmt.Errorf("render plan: change %d (%s): update needs both before and after values", i+1, c.Address)
		}
	}
	return nil
}

var actionNames = map[plan.Action]string{
	plan.NoOp: "no-op", plan.Create: "create", plan.Update: "update", plan.Delete: "delete",
}

var effectNames = map[plan.Effect]string{
	plan.Neutral: "neutral", plan.Narrow: "narrow", plan.Widen: "widen",
}

var kinds = map[plan.Kind]bool{
	plan.KindTrustee: true, plan.KindTrusteeUser: true, plan.KindTrusteeUserRoles: true,
	plan.KindTrustor: true, plan.KindTrustorUser: true,
}

// DecodeJSON reads a JSON plan document and checks its format version.
// Fields it does not know are ignored (later format versions "1" may add
// fields; see docs/plan-format.md).
func DecodeJSON(r io.Reader) (*Document, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read JSON plan: %w", err)
	}
	return ParseJSON(data)
}

// ParseJSON is [DecodeJSON] for bytes in memory. Syntax errors name the
// line and column.
func ParseJSON(data []byte) (*Document, error) {
	var head struct {
		FormatVersion *string `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("JSON plan: %w", DescribeJSONError(data, err))
	}
	switch {
	case head.FormatVersion == nil:
		return nil, errors.New("JSON plan: no format_version; this is not a trustsync plan")
	case *head.FormatVersion != FormatVersion:
		return nil, fmt.Errorf("JSON plan: format_version %q is not supported (this trustsync reads %q); run plan again with this version",
			*head.FormatVersion, FormatVersion)
	}
	var d Document
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("JSON plan: %w", DescribeJSONError(data, err))
	}
	return &d, nil
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

// Plan converts the document back into plan data. Every name (action, kind,
// effect) must be one the format defines.
func (d *Document) Plan() (*plan.Plan, error) {
	if d.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("JSON plan: format_version %q is not supported (this trustsync reads %q)", d.FormatVersion, FormatVersion)
	}
	p := &plan.Plan{
		Organization: plan.Org{ID: d.Organization.ID, Name: d.Organization.Name},
		Managed:      d.RemovalGuard.Managed,
		Removals:     d.RemovalGuard.Removals,
	}
	for i, c := range d.Changes {
		a, err := lookup(actionNames, c.Action)
		if err != nil || a == plan.NoOp {
			return nil, fmt.Errorf("JSON plan: changes[%d]: unknown action %q", i, c.Action)
		}
		e, err := lookup(effectNames, c.Effect)
		if err != nil {
			return nil, fmt.Errorf("JSON plan: changes[%d]: unknown effect %q", i, c.Effect)
		}
		k := plan.Kind(c.Kind)
		if !kinds[k] {
			return nil, fmt.Errorf("JSON plan: changes[%d]: unknown kind %q", i, c.Kind)
		}
		p.Changes = append(p.Changes, plan.Change{
			Action: a, Kind: k, Address: c.Address,
			TrusteeID: c.TrusteeID, TrustorID: c.TrustorID, UserID: c.UserID, OrgName: c.OrgName,
			Before: planValue(c.Before), After: planValue(c.After),
			Effect: e, Reason: c.Reason,
		})
	}
	for i, pr := range d.Protected {
		k := plan.Kind(pr.Kind)
		if k != plan.KindTrustee && k != plan.KindTrustor {
			return nil, fmt.Errorf("JSON plan: protected[%d]: unknown kind %q", i, pr.Kind)
		}
		p.Protected = append(p.Protected, plan.Protected{
			Kind: k, Address: pr.Address, TrusteeID: pr.TrusteeID, TrustorID: pr.TrustorID,
			Name: pr.Name, Reason: pr.Reason,
		})
	}
	for _, pe := range d.Pending {
		p.Pending = append(p.Pending, plan.Pending{
			Address: pe.Address, TrustorID: pe.TrustorID, Name: pe.Name, Message: pe.Message,
		})
	}
	for _, w := range d.Warnings {
		p.Warnings = append(p.Warnings, plan.Warning{
			Message: w.Message, Hint: w.Hint, File: w.File, Line: w.Line, Col: w.Col,
		})
	}
	return p, nil
}

func lookup[K comparable](names map[K]string, name string) (K, error) {
	for k, n := range names {
		if n == name {
			return k, nil
		}
	}
	var zero K
	return zero, fmt.Errorf("unknown name %q", name)
}

func planValue(v *Value) *plan.Value {
	if v == nil {
		return nil
	}
	out := &plan.Value{
		Name:      v.Name,
		Enabled:   copyBool(v.Enabled),
		Expires:   utc(v.Expires.Time),
		PairingID: v.PairingID,
	}
	if v.Roles != nil {
		out.Roles = planRoles(v.Roles)
	}
	if v.Users != nil {
		out.Users = make([]plan.User, 0, len(v.Users))
		for _, u := range v.Users {
			pu := plan.User{ID: u.ID, Name: u.Name}
			if u.Roles != nil {
				pu.Roles = planRoles(u.Roles)
			}
			out.Users = append(out.Users, pu)
		}
	}
	return out
}

func planRoles(rs []Role) []plan.Role {
	out := make([]plan.Role, 0, len(rs))
	for _, r := range rs {
		out = append(out, plan.Role{ID: r.ID, Name: r.Name})
	}
	return out
}
