package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// DecodeError is a 2xx answer that could not be read as the documented
// shape of its operation: no body where one is due, null, not a JSON
// object, truncated JSON, wrong types or a required member missing (an
// entity without id, a listing without an entities array). Nothing is
// returned with it, so no caller ever takes a zero value for what the
// service holds.
type DecodeError struct {
	// Method and Path name the operation (the path has no query).
	Method, Path string
	// Status is the HTTP status of the answer.
	Status int
	// CorrelationID is the answer's inin-correlation-id, if any.
	CorrelationID string
	// Reason says what was wrong with the body.
	Reason string
}

func (e *DecodeError) Error() string {
	s := fmt.Sprintf("%s %s answered %d with an unreadable body: %s", e.Method, e.Path, e.Status, e.Reason)
	if e.CorrelationID != "" {
		s += " [correlation id " + e.CorrelationID + "]"
	}
	return s
}

// checker is a wire type that can tell whether a decoded answer has the
// members its operation guarantees.
type checker interface {
	check() error
}

// decodeBody decodes a 2xx body into out strictly (see [DecodeError]); it
// returns the reason when the body does not qualify. contentType is only
// used to word the reason.
func decodeBody(body []byte, contentType string, out any) error {
	b := bytes.TrimSpace(body)
	switch {
	case len(b) == 0:
		return errors.New("the body is empty")
	case bytes.Equal(b, []byte("null")):
		return errors.New("the body is null")
	case b[0] != '{':
		what := "not a JSON object"
		if ct := strings.TrimSpace(contentType); ct != "" && !strings.Contains(strings.ToLower(ct), "json") {
			what += " (content type " + cleanText(ct) + ")"
		}
		return fmt.Errorf("%s: starts with %q", what, cleanText(string(b[:min(len(b), 40)])))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return jsonReason(err)
	}
	if c, ok := out.(checker); ok {
		return c.check()
	}
	return nil
}

// jsonReason words a decoding failure without echoing the body.
func jsonReason(err error) error {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		where := te.Field
		if where == "" {
			where = "the top level"
		}
		return fmt.Errorf("%s is a JSON %s, want %s", where, te.Value, te.Type)
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		if strings.Contains(se.Error(), "unexpected end") {
			return errors.New("truncated JSON")
		}
		return fmt.Errorf("malformed JSON at byte %d: %w", se.Offset, se)
	}
	return err
}

// need reports a required string member that is empty or absent.
func need(what, v string) error {
	if v == "" {
		return fmt.Errorf("%s has no id", what)
	}
	return nil
}

// checkAll checks each element that is a checker, naming the first bad
// one by index.
func checkAll[T any](what string, items []T) error {
	for i := range items {
		if c, ok := any(&items[i]).(checker); ok {
			if err := c.check(); err != nil {
				return fmt.Errorf("%s[%d]: %w", what, i, err)
			}
		}
	}
	return nil
}

func (o *Organization) check() error { return need("the organization", o.ID) }
func (r *Role) check() error         { return need("the role", r.ID) }
func (u *User) check() error         { return need("the user", u.ID) }
func (u *TrustUser) check() error    { return need("the trust user", u.ID) }
func (d *DomainRole) check() error   { return need("the role", d.ID) }
func (g *TrustGroup) check() error   { return need("the group", g.ID) }
func (g *Group) check() error        { return need("the group", g.ID) }
func (u *OrgUser) check() error      { return need("the user", u.ID) }

func (t *Trustee) check() error {
	if err := need("the trustee", t.ID); err != nil {
		return err
	}
	return sameOrg("trustee", t.ID, t.Organization)
}

func (t *Trustor) check() error {
	if err := need("the trustor", t.ID); err != nil {
		return err
	}
	return sameOrg("trustor", t.ID, t.Organization)
}

// sameOrg refuses a trust whose organization names another org than its id.
func sameOrg(what, id string, o *Organization) error {
	if o == nil || o.ID == "" || strings.EqualFold(o.ID, id) {
		return nil
	}
	return fmt.Errorf("the %s %s names organization %s", what, id, o.ID)
}

func (a *UserAuthorization) check() error { return checkAll("roles", a.Roles) }

// UnmarshalJSON requires the roles member to be an array: an answer
// without it says nothing about the roles held.
func (a *UserAuthorization) UnmarshalJSON(b []byte) error {
	type plain UserAuthorization
	var p struct {
		plain
		Roles json.RawMessage `json:"roles"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	roles, err := requiredArray[DomainRole]("roles", p.Roles)
	if err != nil {
		return err
	}
	*a = UserAuthorization(p.plain)
	a.Roles = roles
	return nil
}

func (p *TrustRequest) check() error {
	if err := need("the pairing", p.ID); err != nil {
		return err
	}
	if p.Trustee == nil || p.Trustee.ID == "" {
		return fmt.Errorf("the pairing %s names no trustee organization", p.ID)
	}
	if err := checkAll("users", p.Users); err != nil {
		return err
	}
	return checkAll("groups", p.Groups)
}

func (l *Listing[T]) check() error { return checkAll("entities", l.Entities) }

// UnmarshalJSON requires entities to be an array and total to be a
// number: a listing without them cannot be told apart from an empty one.
func (l *Listing[T]) UnmarshalJSON(b []byte) error {
	type plain Listing[T]
	var p struct {
		plain
		Entities json.RawMessage `json:"entities"`
		Total    *int64          `json:"total"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	ents, err := requiredArray[T]("entities", p.Entities)
	if err != nil {
		return err
	}
	if p.Total == nil {
		return errors.New("the listing has no total")
	}
	*l = Listing[T](p.plain)
	l.Entities = ents
	l.Total = *p.Total
	return nil
}

func (p *AuditPage) check() error { return nil }

// UnmarshalJSON requires entities to be an array.
func (p *AuditPage) UnmarshalJSON(b []byte) error {
	type plain AuditPage
	var w struct {
		plain
		Entities json.RawMessage `json:"entities"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	ents, err := requiredArray[AuditLogMessage]("entities", w.Entities)
	if err != nil {
		return err
	}
	*p = AuditPage(w.plain)
	p.Entities = ents
	return nil
}

// requiredArray decodes a member that must be present as a JSON array
// (never null); an empty array gives an empty, non-nil slice.
func requiredArray[T any](name string, raw json.RawMessage) ([]T, error) {
	r := bytes.TrimSpace(raw)
	switch {
	case len(r) == 0:
		return nil, fmt.Errorf("no %s member", name)
	case bytes.Equal(r, []byte("null")):
		return nil, fmt.Errorf("%s is null, want an array", name)
	case r[0] != '[':
		return nil, fmt.Errorf("%s is a JSON %s, want an array", name, jsonKind(r[0]))
	}
	out := []T{}
	if err := json.Unmarshal(r, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", name, jsonReason(err))
	}
	return out, nil
}

// careListing is the answer of GET /trustees/care.
type careListing struct {
	Entities []Organization `json:"entities"`
}

func (l *careListing) check() error { return checkAll("entities", l.Entities) }

// UnmarshalJSON requires entities to be an array.
func (l *careListing) UnmarshalJSON(b []byte) error {
	var w struct {
		Entities json.RawMessage `json:"entities"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	ents, err := requiredArray[Organization]("entities", w.Entities)
	if err != nil {
		return err
	}
	l.Entities = ents
	return nil
}

// jsonKind names the kind of JSON value that starts with b.
func jsonKind(b byte) string {
	switch {
	case b == '{':
		return "object"
	case b == '"':
		return "string"
	case b == 't' || b == 'f':
		return "bool"
	case b == '-' || (b >= '0' && b <= '9'):
		return "number"
	}
	return "value"
}
