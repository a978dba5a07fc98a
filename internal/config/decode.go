package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustsync/trustsync/internal/printable"
)

// fileDoc is what one file says, with the locations that checks and
// merging need. Only values that passed their own checks are filled in.
type fileDoc struct {
	org     *Organization
	orgLocs map[string]loc // per organization key

	policy policyDoc

	protectTrustees []refDoc
	protectTrustors []refDoc

	hasTrustees bool
	trustees    []trusteeDoc
	hasTrustors bool
	trustors    []trustorDoc
}

// loc is where a value is: its position and path.
type loc struct {
	pos Pos
	p   path
}

// refDoc is a string (org id or role) with its location.
type refDoc struct {
	val string
	loc
}

// setting is one policy value and where it was set.
type setting[T any] struct {
	val T
	set bool
	loc
}

type policyDoc struct {
	requireExpiry     setting[bool]
	maxTrustDays      setting[int]
	maxUsersPerTrust  setting[int]
	maxRemovalPercent setting[int]
	forbiddenRoles    []refDoc
}

type trusteeDoc struct {
	t       Trustee
	loc     // the trustee's mapping
	idOK    bool
	idLoc   loc
	expires *loc // the expires value, when the key is present
	// usersLoc is the users key's value, when present.
	usersLoc *loc
	users    []trusteeUserDoc
}

type trusteeUserDoc struct {
	loc
	id    string
	idOK  bool
	idLoc loc
	name  string
	roles []refDoc
	// rolesSet is true when the roles key held a list; noRoles when that
	// list was empty.
	rolesSet bool
	noRoles  bool
	rolesLoc loc
}

type trustorDoc struct {
	t Trustor
	loc
	idOK     bool
	idLoc    loc
	usersLoc *loc
	users    []trustorUserDoc
}

type trustorUserDoc struct {
	TrustorUser
	loc
	idOK  bool
	idLoc loc
}

// decoder walks one file's nodes.
type decoder struct {
	file string
	l    *loader
}

func (d *decoder) pos(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: max(n.Line, 1), Col: max(n.Column, 1)}
}

func (d *decoder) locOf(n *yaml.Node, p path) loc { return loc{pos: d.pos(n), p: p} }

func (d *decoder) errorAt(n *yaml.Node, p path, msg, hint string) {
	d.l.add(diag{Diagnostic: Diagnostic{Pos: d.pos(n), Severity: Error, Message: p.prefix() + msg, Hint: hint}, ptr: p.ptr})
}

// keyError reports a problem with a key itself: the message names the
// mapping the key is in, the pointer is the key's own.
func (d *decoder) keyError(n *yaml.Node, parent path, key, msg, hint string) {
	d.l.add(diag{Diagnostic: Diagnostic{Pos: d.pos(n), Severity: Error, Message: parent.prefix() + msg, Hint: hint}, ptr: parent.key(key).ptr})
}

func (d *decoder) warnAt(n *yaml.Node, p path, msg, hint string) {
	d.l.add(diag{Diagnostic: Diagnostic{Pos: d.pos(n), Severity: Warning, Message: p.prefix() + msg, Hint: hint}, ptr: p.ptr})
}

// field describes one key a mapping may hold.
type field struct {
	name     string
	required bool
	// decode handles the key's value; key is the key node.
	decode func(key, val *yaml.Node, p path)
}

// mapping checks that n is a mapping, rejects unknown and duplicate keys
// with a suggestion, calls each field's decoder and reports missing
// required keys. It returns false when n is not a mapping.
func (d *decoder) mapping(n *yaml.Node, p path, what string, fields []field) bool {
	site := n
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		d.typeError(site, p, "a mapping ("+what+")")
		if isString(n) && slices.Contains(names(fields), "id") {
			d.l.diags[len(d.l.diags)-1].Hint = "write the entry as a mapping: `- id: " + shorten(n.Value) + "`"
		}
		return false
	}
	names := names(fields)
	seen := make(map[string]*yaml.Node)
	// suggested holds the keys offered for misspelt ones; they are not
	// reported missing as well.
	suggested := make(map[string]bool)
	for i := 0; i+1 < len(n.Content); i += 2 {
		keySite, val := n.Content[i], n.Content[i+1]
		key := deref(keySite)
		if key.Kind != yaml.ScalarNode {
			d.keyError(keySite, p, complexKey(keySite), "a key must be a plain name, not "+describe(key), "keys here are: "+strings.Join(names, ", "))
			continue
		}
		if key.ShortTag() == tagMerge {
			d.keyError(keySite, p, key.Value, "merge keys (<<) are not supported",
				"write the keys out, or use an alias (*name) for a whole value")
			continue
		}
		if first, dup := seen[key.Value]; dup {
			d.keyError(keySite, p, key.Value, fmt.Sprintf("duplicate key %q; first at %s", key.Value, d.pos(first)),
				"a key may appear once per mapping; remove one of them")
			continue
		}
		seen[key.Value] = keySite
		idx := slices.IndexFunc(fields, func(f field) bool { return f.name == key.Value })
		if idx < 0 {
			msg := fmt.Sprintf("unknown key %q in %s", key.Value, what)
			if p.ptr == "" {
				msg = fmt.Sprintf("unknown top-level key %q", key.Value)
			}
			match, hint := suggestKey(key.Value, names)
			if match != "" {
				suggested[match] = true
			}
			d.keyError(keySite, p, key.Value, msg, hint)
			continue
		}
		fields[idx].decode(keySite, val, p.key(key.Value))
	}
	for _, f := range fields {
		if f.required && seen[f.name] == nil && !suggested[f.name] {
			if p.ptr == "" {
				d.errorAt(site, p, fmt.Sprintf("missing required top-level key %q", f.name), "add `"+f.name+": 1` as the first line")
				continue
			}
			d.errorAt(site, p, fmt.Sprintf("missing required key %q in %s", f.name, what), "")
		}
	}
	return true
}

func names(fields []field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}

// typeError reports a value of the wrong type, with a hint suited to the
// common mistakes.
func (d *decoder) typeError(n *yaml.Node, p path, want string) {
	v := deref(n)
	hint := ""
	switch {
	case v.Kind == yaml.ScalarNode && v.ShortTag() == tagNull:
		hint = "give a value, or delete the key to use the default"
		switch {
		case p.ptr == "/trustees" || p.ptr == "/trustors":
			hint = "write `[]` to manage an empty list, or delete the key to leave " + p.human + " unmanaged"
		case strings.HasSuffix(p.ptr, "/users"):
			hint = "write `users: []` for no users, or delete the key to leave the users unmanaged"
		case strings.HasSuffix(p.ptr, "/roles"):
			hint = "write `roles: []` for no roles"
		}
	case want == "true or false" && isString(v):
		hint = "write true or false (YAML 1.2 reads yes/no/on/off as strings)"
	case want == "a whole number" && isString(v):
		hint = "write the number without quotes"
	case strings.HasPrefix(want, "a string") && v.Kind == yaml.ScalarNode:
		hint = "quote the value: " + strconv.Quote(v.Value)
	}
	d.errorAt(n, p, "expected "+want+", got "+describe(v), hint)
}

func (d *decoder) str(n *yaml.Node, p path) (string, bool) {
	v := deref(n)
	if !isString(v) {
		d.typeError(n, p, "a string")
		return "", false
	}
	return v.Value, true
}

// name decodes an informational name, refusing control and
// bidirectional-formatting characters: they could disguise a plan.
func (d *decoder) name(n *yaml.Node, p path) (string, bool) {
	s, ok := d.str(n, p)
	if ok && !printable.Safe(s) {
		d.errorAt(n, p, fmt.Sprintf("%q contains control or bidirectional-formatting characters", s),
			"names are shown in plans; write them on one line, without escapes such as \\n or \\u202e")
		return "", false
	}
	return s, ok
}

func (d *decoder) nonEmptyStr(n *yaml.Node, p path) (string, bool) {
	s, ok := d.str(n, p)
	if ok && s == "" {
		d.errorAt(n, p, "must not be empty", "")
		return "", false
	}
	return s, ok
}

func (d *decoder) boolean(n *yaml.Node, p path) (bool, bool) {
	v := deref(n)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == tagBool {
		if b, ok := parseBool(v.Value); ok {
			return b, true
		}
	}
	d.typeError(n, p, "true or false")
	return false, false
}

func (d *decoder) integer(n *yaml.Node, p path, lo, hi int64) (int, bool) {
	v := deref(n)
	if v.Kind == yaml.ScalarNode {
		if tag := v.ShortTag(); tag == tagInt || tag == tagFloat {
			if _, isInt, i, ok := parseNumber(v); ok && isInt {
				if i < lo || i > hi {
					d.errorAt(n, p, fmt.Sprintf("must be between %d and %d, got %d", lo, hi, i), "")
					return 0, false
				}
				return int(i), true
			}
		}
	}
	d.typeError(n, p, "a whole number")
	return 0, false
}

// seq checks that n is a list and returns its items (as written, aliases
// not followed).
func (d *decoder) seq(n *yaml.Node, p path) ([]*yaml.Node, bool) {
	v := deref(n)
	if v.Kind != yaml.SequenceNode {
		d.typeError(n, p, "a list")
		return nil, false
	}
	return v.Content, true
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// uuid reads an id, returning it in lowercase (the form the API uses).
func (d *decoder) uuid(n *yaml.Node, p path, what string) (string, bool) {
	s, ok := d.str(n, p)
	if !ok {
		return "", false
	}
	if !uuidRE.MatchString(s) {
		d.errorAt(n, p, fmt.Sprintf("%q is not a valid %s (a UUID)", shorten(s), what),
			"ids look like 3fa85f64-5717-4562-b3fc-2c963f66afa6: 32 hex digits in groups of 8-4-4-4-12")
		return "", false
	}
	return strings.ToLower(s), true
}

// roleSpace is the whitespace the schema's \S does not match.
const roleSpace = " \t\n\f\r"

func (d *decoder) roleRef(n *yaml.Node, p path) (refDoc, bool) {
	s, ok := d.str(n, p)
	if !ok {
		return refDoc{}, false
	}
	if strings.Trim(s, roleSpace) == "" {
		d.errorAt(n, p, "role must not be empty", "name a role of this organization, or give its id")
		return refDoc{}, false
	}
	if strings.Trim(s, roleSpace) != s {
		d.errorAt(n, p, fmt.Sprintf("role %q has leading or trailing spaces", s), "write the role name exactly: "+strconv.Quote(strings.Trim(s, roleSpace)))
		return refDoc{}, false
	}
	return refDoc{val: s, loc: d.locOf(n, p)}, true
}

func (d *decoder) roleList(n *yaml.Node, p path) ([]refDoc, bool) {
	items, ok := d.seq(n, p)
	if !ok {
		return nil, false
	}
	out := []refDoc{}
	for i, item := range items {
		if r, ok := d.roleRef(item, p.index(i)); ok {
			out = append(out, r)
		}
	}
	return out, true
}

func (d *decoder) orgList(n *yaml.Node, p path) []refDoc {
	items, _ := d.seq(n, p)
	var out []refDoc
	for i, item := range items {
		if id, ok := d.uuid(item, p.index(i), "org id"); ok {
			out = append(out, refDoc{val: id, loc: d.locOf(item, p.index(i))})
		}
	}
	return out
}

// parseExpiry reads an RFC 3339 date-time or a YYYY-MM-DD date (00:00 UTC).
func parseExpiry(s string) (time.Time, bool) {
	if len(s) == len("2006-01-02") {
		t, err := time.Parse(time.DateOnly, s)
		return t.UTC(), err == nil
	}
	// RFC 3339 allows a lowercase t and z.
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	return t.UTC(), err == nil
}

// document decodes a file's root.
func (d *decoder) document(root *yaml.Node) *fileDoc {
	doc := &fileDoc{orgLocs: make(map[string]loc)}
	d.mapping(root, path{}, "the top level", []field{
		{name: "version", required: true, decode: func(_, v *yaml.Node, p path) {
			if n, ok := d.integer(v, p, 1, 1<<31); ok && n != 1 {
				d.errorAt(v, p, fmt.Sprintf("unsupported version %d; this trustsync reads version 1", n),
					"write `version: 1`, or upgrade trustsync")
			}
		}},
		{name: "organization", decode: func(_, v *yaml.Node, p path) { d.organization(doc, v, p) }},
		{name: "policy", decode: func(_, v *yaml.Node, p path) { d.policy(doc, v, p) }},
		{name: "protect", decode: func(_, v *yaml.Node, p path) {
			d.mapping(v, p, "protect", []field{
				{name: "trustees", decode: func(_, v *yaml.Node, p path) { doc.protectTrustees = d.orgList(v, p) }},
				{name: "trustors", decode: func(_, v *yaml.Node, p path) { doc.protectTrustors = d.orgList(v, p) }},
			})
		}},
		{name: "trustees", decode: func(_, v *yaml.Node, p path) {
			items, ok := d.seq(v, p)
			if !ok {
				return
			}
			doc.hasTrustees = true
			for i, item := range items {
				if t, ok := d.trustee(item, p.index(i)); ok {
					doc.trustees = append(doc.trustees, t)
				}
			}
		}},
		{name: "trustors", decode: func(_, v *yaml.Node, p path) {
			items, ok := d.seq(v, p)
			if !ok {
				return
			}
			doc.hasTrustors = true
			for i, item := range items {
				if t, ok := d.trustor(item, p.index(i)); ok {
					doc.trustors = append(doc.trustors, t)
				}
			}
		}},
	})
	return doc
}

func (d *decoder) organization(doc *fileDoc, n *yaml.Node, p path) {
	org := &Organization{Pos: d.pos(n)}
	d.mapping(n, p, "organization", []field{
		{name: "id", decode: func(_, v *yaml.Node, p path) {
			if id, ok := d.uuid(v, p, "org id"); ok {
				org.ID = id
				doc.orgLocs["id"] = d.locOf(v, p)
			}
		}},
		{name: "name", decode: func(_, v *yaml.Node, p path) {
			if s, ok := d.name(v, p); ok {
				org.Name = s
				doc.orgLocs["name"] = d.locOf(v, p)
			}
		}},
		{name: "region", decode: func(_, v *yaml.Node, p path) {
			if s, ok := d.nonEmptyStr(v, p); ok {
				org.Region = s
				doc.orgLocs["region"] = d.locOf(v, p)
			}
		}},
	})
	doc.org = org
}

func (d *decoder) policy(doc *fileDoc, n *yaml.Node, p path) {
	pol := &doc.policy
	intSetting := func(s *setting[int], lo, hi int64) func(_, v *yaml.Node, p path) {
		return func(_, v *yaml.Node, p path) {
			if x, ok := d.integer(v, p, lo, hi); ok {
				*s = setting[int]{val: x, set: true, loc: d.locOf(v, p)}
			}
		}
	}
	d.mapping(n, p, "policy", []field{
		{name: "requireExpiry", decode: func(_, v *yaml.Node, p path) {
			if b, ok := d.boolean(v, p); ok {
				pol.requireExpiry = setting[bool]{val: b, set: true, loc: d.locOf(v, p)}
			}
		}},
		{name: "maxTrustDays", decode: intSetting(&pol.maxTrustDays, 1, 36500)},
		{name: "forbiddenRoles", decode: func(_, v *yaml.Node, p path) {
			if roles, ok := d.roleList(v, p); ok {
				pol.forbiddenRoles = roles
			}
		}},
		{name: "maxUsersPerTrust", decode: func(k, v *yaml.Node, p path) {
			intSetting(&pol.maxUsersPerTrust, 1, 1000)(k, v, p)
			if pol.maxUsersPerTrust.set && pol.maxUsersPerTrust.val > DefaultMaxUsersPerTrust {
				d.warnAt(v, p, fmt.Sprintf("%d is above the service's documented limit of %d users per trust", pol.maxUsersPerTrust.val, DefaultMaxUsersPerTrust),
					"the service may refuse trusts with more users than that")
			}
		}},
		{name: "maxRemovalPercent", decode: intSetting(&pol.maxRemovalPercent, 0, 100)},
	})
}

func (d *decoder) trustee(n *yaml.Node, p path) (trusteeDoc, bool) {
	td := trusteeDoc{loc: d.locOf(n, p)}
	td.t.Enabled = true
	td.t.Pos = d.pos(n)
	ok := d.mapping(n, p, "a trustee", []field{
		{name: "id", required: true, decode: func(_, v *yaml.Node, p path) {
			td.t.ID, td.idOK = d.uuid(v, p, "org id")
			td.idLoc = d.locOf(v, p)
		}},
		{name: "name", decode: func(_, v *yaml.Node, p path) { td.t.Name, _ = d.name(v, p) }},
		{name: "pairingId", decode: func(_, v *yaml.Node, p path) { td.t.PairingID, _ = d.nonEmptyStr(v, p) }},
		{name: "enabled", decode: func(_, v *yaml.Node, p path) {
			if b, ok := d.boolean(v, p); ok {
				td.t.Enabled = b
			}
		}},
		{name: "expires", decode: func(_, v *yaml.Node, p path) {
			l := d.locOf(v, p)
			td.expires = &l
			s, ok := d.str(v, p)
			if !ok {
				return
			}
			t, ok := parseExpiry(s)
			if !ok {
				d.errorAt(v, p, fmt.Sprintf("%q is not a valid date", shorten(s)),
					"write a date as 2027-03-31 (00:00 UTC) or an RFC 3339 date-time such as 2027-03-31T17:00:00Z")
				return
			}
			td.t.Expires = &t
		}},
		{name: "users", decode: func(_, v *yaml.Node, p path) {
			items, ok := d.seq(v, p)
			l := d.locOf(v, p)
			td.usersLoc = &l
			if !ok {
				return
			}
			td.t.ManageUsers = true
			for i, item := range items {
				if u, ok := d.trusteeUser(item, p.index(i)); ok {
					td.users = append(td.users, u)
				}
			}
		}},
	})
	return td, ok
}

func (d *decoder) trusteeUser(n *yaml.Node, p path) (trusteeUserDoc, bool) {
	ud := trusteeUserDoc{loc: d.locOf(n, p)}
	ok := d.mapping(n, p, "a trustee user", []field{
		{name: "id", required: true, decode: func(_, v *yaml.Node, p path) {
			ud.id, ud.idOK = d.uuid(v, p, "user id")
			ud.idLoc = d.locOf(v, p)
		}},
		{name: "name", decode: func(_, v *yaml.Node, p path) { ud.name, _ = d.name(v, p) }},
		{name: "roles", required: true, decode: func(_, v *yaml.Node, p path) {
			ud.rolesLoc = d.locOf(v, p)
			ud.roles, ud.rolesSet = d.roleList(v, p)
			ud.noRoles = ud.rolesSet && len(deref(v).Content) == 0
		}},
	})
	return ud, ok
}

func (d *decoder) trustor(n *yaml.Node, p path) (trustorDoc, bool) {
	td := trustorDoc{loc: d.locOf(n, p)}
	td.t.Pos = d.pos(n)
	ok := d.mapping(n, p, "a trustor", []field{
		{name: "id", required: true, decode: func(_, v *yaml.Node, p path) {
			td.t.ID, td.idOK = d.uuid(v, p, "org id")
			td.idLoc = d.locOf(v, p)
		}},
		{name: "name", decode: func(_, v *yaml.Node, p path) { td.t.Name, _ = d.name(v, p) }},
		{name: "users", decode: func(_, v *yaml.Node, p path) {
			items, ok := d.seq(v, p)
			l := d.locOf(v, p)
			td.usersLoc = &l
			if !ok {
				return
			}
			td.t.ManageUsers = true
			for i, item := range items {
				if u, ok := d.trustorUser(item, p.index(i)); ok {
					td.users = append(td.users, u)
				}
			}
		}},
	})
	return td, ok
}

// trustorUser reads a user given as a bare id or as {id, name}.
func (d *decoder) trustorUser(n *yaml.Node, p path) (trustorUserDoc, bool) {
	ud := trustorUserDoc{loc: d.locOf(n, p)}
	ud.Pos = d.pos(n)
	v := deref(n)
	switch v.Kind {
	case yaml.ScalarNode:
		if !isString(v) {
			d.typeError(n, p, "a user id or {id, name}")
			return ud, false
		}
		ud.ID, ud.idOK = d.uuid(n, p, "user id")
		ud.idLoc = ud.loc
		return ud, true
	case yaml.MappingNode:
		ok := d.mapping(n, p, "a trustor user", []field{
			{name: "id", required: true, decode: func(_, v *yaml.Node, p path) {
				ud.ID, ud.idOK = d.uuid(v, p, "user id")
				ud.idLoc = d.locOf(v, p)
			}},
			{name: "name", decode: func(_, v *yaml.Node, p path) { ud.Name, _ = d.name(v, p) }},
		})
		return ud, ok
	}
	d.typeError(n, p, "a user id or {id, name}")
	return ud, false
}
