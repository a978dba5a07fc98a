package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustsync/trustsync/internal/ids"
	"github.com/trustsync/trustsync/internal/printable"
)

// offsets are where one file's entries start in the merged lists, so
// that a merged pointer can be turned back into the file's own pointer
// (for messages and to match schema errors).
type offsets struct {
	trustees, trustors, forbidden, protectTrustees, protectTrustors int
}

// filePtr returns the file's own pointer for the merged pointer p.
func (o offsets) filePtr(p path) string {
	s := string(p)
	for _, l := range [...]struct {
		prefix string
		off    int
	}{
		{"/trustees/", o.trustees}, {"/trustors/", o.trustors}, {"/policy/forbiddenRoles/", o.forbidden},
		{"/protect/trustees/", o.protectTrustees}, {"/protect/trustors/", o.protectTrustors},
	} {
		if l.off == 0 || !strings.HasPrefix(s, l.prefix) {
			continue
		}
		rest := s[len(l.prefix):]
		end := strings.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		n, err := strconv.Atoi(rest[:end])
		if err != nil {
			return s
		}
		return l.prefix + strconv.Itoa(n-l.off) + rest[end:]
	}
	return s
}

// decoder walks one file's nodes and adds what it says to the merged
// Config.
type decoder struct {
	file string
	l    *loader
	cfg  *Config
	off  offsets
	// lists delivers the entries of the lists cut from a large file (see
	// split), in order; the list in the file's nodes holds a placeholder.
	lists map[string]<-chan parsed
	// cutFailed is set when a cut entry must be parsed with the whole
	// file instead; cutSchema gathers the cut entries' schema errors.
	cutFailed bool
	cutSchema []diag
}

// items calls f with each entry of the list key whose nodes are items:
// the cut entries when the list was cut, else items.
func (d *decoder) items(key string, items []*yaml.Node, f func(i int, item *yaml.Node)) {
	ch, cut := d.lists[key]
	if !cut {
		for i, item := range items {
			f(i, item)
		}
		return
	}
	delete(d.lists, key)
	i := 0
	for p := range ch {
		if p.err != nil {
			d.cutFailed = true
			return
		}
		d.cutSchema = append(d.cutSchema, p.schema...)
		f(i, p.node)
		i++
	}
}

func (d *decoder) pos(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: max(n.Line, 1), Col: max(n.Column, 1)}
}

// record notes where the value at p was written, unless an earlier file
// already set it. Only the top level and its mappings can be set by
// several files; a value inside a list entry is always new.
func (d *decoder) record(n *yaml.Node, p path) {
	if strings.Count(string(p), "/") <= 2 {
		if _, ok := d.cfg.Positions[string(p)]; ok {
			return
		}
	}
	d.cfg.Positions[string(p)] = d.pos(n)
}

func (d *decoder) report(n *yaml.Node, p path, sev Severity, msg, hint string) {
	fp := d.off.filePtr(p)
	d.l.add(diag{Diagnostic: Diagnostic{Pos: d.pos(n), Severity: sev, Message: prefix(fp) + msg, Hints: hints(hint)}, ptr: fp})
}

func (d *decoder) errorAt(n *yaml.Node, p path, msg, hint string) { d.report(n, p, Error, msg, hint) }

func (d *decoder) warnAt(n *yaml.Node, p path, msg, hint string) { d.report(n, p, Warning, msg, hint) }

// keyError reports a problem with a key itself: the message names the
// mapping the key is in, the pointer is the key's own.
func (d *decoder) keyError(n *yaml.Node, parent path, key, msg, hint string) {
	fp := d.off.filePtr(parent)
	d.l.add(diag{Diagnostic: Diagnostic{Pos: d.pos(n), Severity: Error, Message: prefix(fp) + msg, Hints: hints(hint)}, ptr: fp + "/" + escapePointer(key)})
}

// field describes one key a mapping may hold.
type field struct {
	name     string
	required bool
	// hidden keys are not offered in suggestions: they exist only to be
	// refused with a better message than "unknown key".
	hidden bool
	// ownPos says that decode records the value's position itself (for
	// values that merge across files, where the first file's position is
	// kept only when the value is valid).
	ownPos bool
	// decode handles the key's value; key is the key node.
	decode func(key, val *yaml.Node, p path)
}

// mapping checks that n is a mapping, rejects unknown and duplicate keys
// with a suggestion, records each value's position, calls each field's
// decoder and reports missing required keys. It returns false when n is
// not a mapping.
func (d *decoder) mapping(n *yaml.Node, p path, what string, fields []field) bool {
	site := n
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		d.typeError(site, p, "a mapping ("+what+")")
		if isString(n) && slices.Contains(names(fields), "id") {
			d.l.diags[len(d.l.diags)-1].Hints = []string{"write the entry as a mapping: `- id: " + shorten(n.Value) + "`"}
		}
		return false
	}
	// seen holds the key node of each field found; a mapping has few
	// fields, so a linear search beats a map.
	var seenBuf [12]*yaml.Node
	seen := seenBuf[:0]
	for range fields {
		seen = append(seen, nil)
	}
	var unknown map[string]*yaml.Node // keys that are not fields
	// suggested holds the keys offered for misspelt ones; they are not
	// reported missing as well.
	var suggested []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		keySite, val := n.Content[i], n.Content[i+1]
		key := deref(keySite)
		if key.Kind != yaml.ScalarNode {
			d.keyError(keySite, p, complexKey(keySite), "a key must be a plain name, not "+describe(key), "keys here are: "+strings.Join(names(fields), ", "))
			continue
		}
		if key.ShortTag() == tagMerge {
			d.keyError(keySite, p, key.Value, "merge keys (<<) are not supported",
				"write the keys out, or use an alias (*name) for a whole value")
			continue
		}
		idx := slices.IndexFunc(fields, func(f field) bool { return f.name == key.Value })
		first := unknown[key.Value]
		if idx >= 0 {
			first = seen[idx]
		}
		if first != nil {
			d.keyError(keySite, p, key.Value, fmt.Sprintf("duplicate key %q; first at %s", key.Value, d.pos(first)),
				"a key may appear once per mapping; remove one of them")
			continue
		}
		if idx < 0 {
			if unknown == nil {
				unknown = make(map[string]*yaml.Node)
			}
			unknown[key.Value] = keySite
			msg := fmt.Sprintf("unknown key %q in %s", key.Value, what)
			if p == "" {
				msg = fmt.Sprintf("unknown top-level key %q", key.Value)
			}
			match, hint := suggestKey(key.Value, names(fields))
			if match != "" {
				suggested = append(suggested, match)
			}
			d.keyError(keySite, p, key.Value, msg, hint)
			continue
		}
		seen[idx] = keySite
		vp := p.key(key.Value)
		if !fields[idx].ownPos {
			d.record(val, vp)
		}
		fields[idx].decode(keySite, val, vp)
	}
	for i, f := range fields {
		if f.required && seen[i] == nil && !slices.Contains(suggested, f.name) {
			name := strings.Clone(f.name) // see names
			if p == "" {
				d.errorAt(site, p, fmt.Sprintf("missing required top-level key %q", name), "add `"+name+": 1` as the first line")
				continue
			}
			d.errorAt(site, p, fmt.Sprintf("missing required key %q in %s", name, what), "")
		}
	}
	return true
}

// names lists the keys a mapping may hold, for suggestions. The names are
// copies: a name that reaches a diagnostic then does not make the compiler
// keep fields, and the decode closures in it, on the heap, which for a large
// file is several allocations per list entry.
func names(fields []field) []string {
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		if !f.hidden {
			out = append(out, strings.Clone(f.name))
		}
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
		case p == "/trustees" || p == "/trustors":
			hint = "write `[]` to manage an empty list, or delete the key to leave " + human(string(p)) + " unmanaged"
		case strings.HasSuffix(string(p), "/users"):
			hint = "write `users: []` for no users, or delete the key to leave the users unmanaged"
		case strings.HasSuffix(string(p), "/groups"):
			hint = "write `groups: []` for no groups, or delete the key to leave the groups unmanaged"
		case strings.HasSuffix(string(p), "/roles"):
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

// uuid reads an id, returning it in lowercase (the form the API uses).
func (d *decoder) uuid(n *yaml.Node, p path, what string) (string, bool) {
	s, ok := d.str(n, p)
	if !ok {
		return "", false
	}
	if !ids.IsUUID(s) {
		d.errorAt(n, p, fmt.Sprintf("%q is not a valid %s (a UUID)", shorten(s), what),
			"ids look like 3fa85f64-5717-4562-b3fc-2c963f66afa6: 32 hex digits in groups of 8-4-4-4-12")
		return "", false
	}
	return strings.ToLower(s), true
}

// roleSpace is the whitespace the schema's \S does not match.
const roleSpace = " \t\n\f\r"

func (d *decoder) roleRef(n *yaml.Node, p path) (RoleRef, bool) {
	if v := deref(n); v.Kind == yaml.MappingNode {
		if key, _ := mappingEntry(v, "divisions"); key != nil {
			d.divisionsError(key, p)
			return RoleRef{}, false
		}
	}
	s, ok := d.str(n, p)
	if !ok {
		return RoleRef{}, false
	}
	if strings.Trim(s, roleSpace) == "" {
		d.errorAt(n, p, "role must not be empty", "name a role of this organization, or give its id")
		return RoleRef{}, false
	}
	if strings.Trim(s, roleSpace) != s {
		d.errorAt(n, p, fmt.Sprintf("role %q has leading or trailing spaces", s), "write the role name exactly: "+strconv.Quote(strings.Trim(s, roleSpace)))
		return RoleRef{}, false
	}
	return RoleRef{Ref: s, Pos: d.pos(n)}, true
}

// roleList reads a list of roles. Roles that fail their checks are kept
// with an empty Ref, so that indexes match the file. It returns nil when n
// is not a list. Each role's position is its RoleRef.Pos; with record it
// is kept in Config.Positions as well (policy.forbiddenRoles: a handful),
// not for the roles of members, a third of a large file's values.
func (d *decoder) roleList(n *yaml.Node, p path, off int, record bool) []RoleRef {
	items, ok := d.seq(n, p)
	if !ok {
		return nil
	}
	out := make([]RoleRef, 0, len(items))
	for i, item := range items {
		ip := p.index(off + i)
		if record {
			d.record(item, ip)
		}
		r, _ := d.roleRef(item, ip)
		out = append(out, r)
	}
	return out
}

// orgList reads protected org ids; off is where this file's entries start
// in the merged list.
func (d *decoder) orgList(n *yaml.Node, p path, off int) []OrgRef {
	items, _ := d.seq(n, p)
	out := make([]OrgRef, 0, len(items))
	for i, item := range items {
		ip := p.index(off + i)
		d.record(item, ip)
		id, _ := d.uuid(item, ip, "org id")
		out = append(out, OrgRef{ID: id, Pos: d.pos(item)})
	}
	return out
}

// divisionsError refuses a `divisions` key on a member or role.
func (d *decoder) divisionsError(key *yaml.Node, parent path) {
	d.keyError(key, parent, "divisions", "divisions cannot be managed: the API returns a member's roles without their divisions, so trustsync could not verify a division grant",
		"remove `divisions`; the roles listed are granted in all divisions")
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

// mergeValue sets *dst to val, the value at p, or reports a conflict when
// an earlier file set it to something else. show formats a value for the
// message.
func mergeValue[T comparable](d *decoder, n *yaml.Node, p path, dst *T, val T, show func(T) string) {
	if first, set := d.cfg.Positions[string(p)]; set {
		if *dst != val {
			name := human(string(p))
			d.l.add(diag{Diagnostic: Diagnostic{
				Pos: d.pos(n), Severity: Error,
				Message: fmt.Sprintf("%s conflicts with %s set at %s", name, show(*dst), first),
				Hints:   []string{"files are merged: set " + name + " in one file only, or to the same value in each"},
			}, ptr: d.off.filePtr(p)})
		}
		return
	}
	d.cfg.Positions[string(p)] = d.pos(n)
	*dst = val
}

func showInt(v int) string    { return strconv.Itoa(v) }
func showBool(v bool) string  { return strconv.FormatBool(v) }
func showStr(v string) string { return strconv.Quote(v) }

// versionNumber is how `version` must be written: the integer 1.
const versionNumber = "1"

// document decodes a file's root into the merged Config.
func (d *decoder) document(root *yaml.Node) {
	cfg := d.cfg
	d.record(root, "")
	d.mapping(root, "", "the top level", []field{
		{name: "version", required: true, decode: func(_, v *yaml.Node, p path) { d.version(v, p) }},
		{name: "organization", decode: func(_, v *yaml.Node, p path) { d.organization(v, p) }},
		{name: "policy", decode: func(_, v *yaml.Node, p path) { d.policy(v, p) }},
		{name: "protect", decode: func(_, v *yaml.Node, p path) {
			d.mapping(v, p, "protect", []field{
				{name: "trustees", decode: func(_, v *yaml.Node, p path) {
					cfg.Protect.Trustees = append(cfg.Protect.Trustees, d.orgList(v, p, d.off.protectTrustees)...)
				}},
				{name: "trustors", decode: func(_, v *yaml.Node, p path) {
					cfg.Protect.Trustors = append(cfg.Protect.Trustors, d.orgList(v, p, d.off.protectTrustors)...)
				}},
			})
		}},
		{name: "trustees", decode: func(_, v *yaml.Node, p path) {
			items, ok := d.seq(v, p)
			if !ok {
				return
			}
			cfg.ManageTrustees = true
			if cfg.Trustees == nil {
				cfg.Trustees = make([]Trustee, 0, len(items))
			}
			d.items("trustees", items, func(i int, item *yaml.Node) {
				ip := p.index(d.off.trustees + i)
				d.record(item, ip)
				cfg.Trustees = append(cfg.Trustees, d.trustee(item, ip))
			})
		}},
		{name: "trustors", decode: func(_, v *yaml.Node, p path) {
			items, ok := d.seq(v, p)
			if !ok {
				return
			}
			cfg.ManageTrustors = true
			if cfg.Trustors == nil {
				cfg.Trustors = make([]Trustor, 0, len(items))
			}
			d.items("trustors", items, func(i int, item *yaml.Node) {
				ip := p.index(d.off.trustors + i)
				d.record(item, ip)
				cfg.Trustors = append(cfg.Trustors, d.trustor(item, ip))
			})
		}},
	})
}

// version accepts only the integer 1, written as such: `1.0`, `0x1` and
// `1e0` are numbers equal to 1 that a reader might take for something else.
func (d *decoder) version(v *yaml.Node, p path) {
	n := deref(v)
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == tagInt || n.ShortTag() == tagFloat) && n.Value != versionNumber {
		if f, _, _, ok := parseNumber(n); ok && f == 1 {
			d.errorAt(v, p, fmt.Sprintf("must be written as the integer %s, not %s", versionNumber, shorten(n.Value)),
				"write `version: 1`")
			return
		}
	}
	if x, ok := d.integer(v, p, 1, 1<<31); ok && x != 1 {
		d.errorAt(v, p, fmt.Sprintf("unsupported version %d; this trustsync reads version 1", x),
			"write `version: 1`, or upgrade trustsync")
	}
}

func (d *decoder) organization(n *yaml.Node, p path) {
	cfg := d.cfg
	if cfg.Organization == nil {
		cfg.Organization = &Organization{Pos: d.pos(n)}
	}
	org := cfg.Organization
	d.mapping(n, p, "organization", []field{
		{name: "id", ownPos: true, decode: func(_, v *yaml.Node, p path) {
			if id, ok := d.uuid(v, p, "org id"); ok {
				mergeValue(d, v, p, &org.ID, id, showStr)
			}
		}},
		{name: "name", ownPos: true, decode: func(_, v *yaml.Node, p path) {
			if s, ok := d.name(v, p); ok {
				mergeValue(d, v, p, &org.Name, s, showStr)
			}
		}},
		{name: "region", ownPos: true, decode: func(_, v *yaml.Node, p path) {
			if s, ok := d.nonEmptyStr(v, p); ok {
				mergeValue(d, v, p, &org.Region, s, showStr)
			}
		}},
	})
}

// policyInts are the integer policy settings: their keys, ranges and
// defaults. Load fills in the defaults; Encode leaves out values equal to
// them.
var policyInts = [...]struct {
	key    string
	lo, hi int64
	def    int // 0: none
	field  func(*Policy) *int
}{
	{"maxTrustDays", 1, 36500, 0, func(p *Policy) *int { return &p.MaxTrustDays }},
	{"maxUsersPerTrust", 1, 1000, DefaultMaxUsersPerTrust, func(p *Policy) *int { return &p.MaxUsersPerTrust }},
	{"maxRemovalPercent", 0, 100, DefaultMaxRemovalPercent, func(p *Policy) *int { return &p.MaxRemovalPercent }},
	{"warnExpiryDays", 0, 36500, DefaultWarnExpiryDays, func(p *Policy) *int { return &p.WarnExpiryDays }},
}

func (d *decoder) policy(n *yaml.Node, p path) {
	pol := &d.cfg.Policy
	boolSetting := func(dst *bool) func(_, v *yaml.Node, p path) {
		return func(_, v *yaml.Node, p path) {
			if b, ok := d.boolean(v, p); ok {
				mergeValue(d, v, p, dst, b, showBool)
			}
		}
	}
	fields := []field{
		{name: "requireExpiry", ownPos: true, decode: boolSetting(&pol.RequireExpiry)},
		{name: "forbiddenRoles", decode: func(_, v *yaml.Node, p path) {
			pol.ForbiddenRoles = append(pol.ForbiddenRoles, d.roleList(v, p, d.off.forbidden, true)...)
		}},
		{name: "forbidFullAccess", ownPos: true, decode: boolSetting(&pol.ForbidFullAccess)},
	}
	for _, s := range policyInts {
		fields = append(fields, field{name: s.key, ownPos: true, decode: func(_, v *yaml.Node, p path) {
			x, ok := d.integer(v, p, s.lo, s.hi)
			if !ok {
				return
			}
			mergeValue(d, v, p, s.field(pol), x, showInt)
			if s.key == "maxUsersPerTrust" && x > DefaultMaxUsersPerTrust {
				d.warnAt(v, p, fmt.Sprintf("%d is above the service's documented limit of %d members per trust", x, DefaultMaxUsersPerTrust),
					"the service may refuse trusts with more users and groups than that")
			}
		}})
	}
	d.mapping(n, p, "policy", fields)
}

// fillDefaults sets the policy values no file set.
func fillDefaults(cfg *Config) {
	for _, s := range policyInts {
		if _, set := cfg.Positions[Pointer("policy", s.key)]; !set {
			*s.field(&cfg.Policy) = s.def
		}
	}
}

// expires reads a trustee's expiry.
func (d *decoder) expires(v *yaml.Node, p path) *time.Time {
	s, ok := d.str(v, p)
	if !ok {
		return nil
	}
	t, ok := parseExpiry(s)
	if !ok {
		d.errorAt(v, p, fmt.Sprintf("%q is not a valid date", shorten(s)),
			"write a date as 2027-03-31 (00:00 UTC) or an RFC 3339 date-time such as 2027-03-31T17:00:00Z")
		return nil
	}
	return &t
}

func (d *decoder) trustee(n *yaml.Node, p path) Trustee {
	t := Trustee{Enabled: true, Pos: d.pos(n)}
	ok := d.mapping(n, p, "a trustee", []field{
		{name: "id", required: true, decode: func(_, v *yaml.Node, p path) { t.ID, _ = d.uuid(v, p, "org id") }},
		{name: "name", decode: func(_, v *yaml.Node, p path) { t.Name, _ = d.name(v, p) }},
		{name: "pairingId", decode: func(_, v *yaml.Node, p path) { t.PairingID, _ = d.nonEmptyStr(v, p) }},
		{name: "enabled", decode: func(_, v *yaml.Node, p path) {
			if b, ok := d.boolean(v, p); ok {
				t.Enabled = b
			}
		}},
		{name: "expires", decode: func(_, v *yaml.Node, p path) { t.Expires = d.expires(v, p) }},
		{name: "users", decode: func(_, v *yaml.Node, p path) {
			t.Users, t.ManageUsers = members(d, v, p, func(item *yaml.Node, ip path) TrusteeUser {
				id, name, roles := d.trusteeMember(item, ip, "a trustee user", "user id")
				return TrusteeUser{ID: id, Name: name, Roles: roles, Pos: d.pos(item)}
			})
		}},
		{name: "groups", decode: func(_, v *yaml.Node, p path) {
			t.Groups, t.ManageGroups = members(d, v, p, func(item *yaml.Node, ip path) TrusteeGroup {
				id, name, roles := d.trusteeMember(item, ip, "a trustee group", "group id")
				return TrusteeGroup{ID: id, Name: name, Roles: roles, Pos: d.pos(item)}
			})
		}},
	})
	if !ok {
		d.l.notMapping[string(p)] = true
	}
	return t
}

// trusteeMember reads a trustee user or group: {id, name, roles}.
func (d *decoder) trusteeMember(n *yaml.Node, p path, what, idWhat string) (id, name string, roles []RoleRef) {
	if !d.mapping(n, p, what, []field{
		{name: "id", required: true, decode: func(_, v *yaml.Node, p path) { id, _ = d.uuid(v, p, idWhat) }},
		{name: "name", decode: func(_, v *yaml.Node, p path) { name, _ = d.name(v, p) }},
		{name: "roles", required: true, decode: func(_, v *yaml.Node, p path) { roles = d.roleList(v, p, 0, false) }},
		{name: "divisions", hidden: true, decode: func(k, _ *yaml.Node, p path) { d.divisionsError(k, path(strings.TrimSuffix(string(p), "/divisions"))) }},
	}) {
		d.l.notMapping[string(p)] = true
	}
	return id, name, roles
}

// members decodes the list of a trust's users or groups at v, recording
// each entry's position and decoding it with entry; managed is false when
// v is not a list (the error is reported).
func members[T any](d *decoder, v *yaml.Node, p path, entry func(item *yaml.Node, ip path) T) (_ []T, managed bool) {
	items, ok := d.seq(v, p)
	if !ok {
		return nil, false
	}
	out := make([]T, 0, len(items))
	for i, item := range items {
		ip := p.index(i)
		d.record(item, ip)
		out = append(out, entry(item, ip))
	}
	return out, true
}

func (d *decoder) trustor(n *yaml.Node, p path) Trustor {
	t := Trustor{Pos: d.pos(n)}
	ok := d.mapping(n, p, "a trustor", []field{
		{name: "id", required: true, decode: func(_, v *yaml.Node, p path) { t.ID, _ = d.uuid(v, p, "org id") }},
		{name: "name", decode: func(_, v *yaml.Node, p path) { t.Name, _ = d.name(v, p) }},
		{name: "users", decode: func(_, v *yaml.Node, p path) {
			t.Users, t.ManageUsers = members(d, v, p, func(item *yaml.Node, ip path) TrustorUser {
				id, name := d.trustorMember(item, ip, "a trustor user", "user")
				return TrustorUser{ID: id, Name: name, Pos: d.pos(item)}
			})
		}},
		{name: "groups", decode: func(_, v *yaml.Node, p path) {
			t.Groups, t.ManageGroups = members(d, v, p, func(item *yaml.Node, ip path) TrustorGroup {
				id, name := d.trustorMember(item, ip, "a trustor group", "group")
				return TrustorGroup{ID: id, Name: name, Pos: d.pos(item)}
			})
		}},
	})
	if !ok {
		d.l.notMapping[string(p)] = true
	}
	return t
}

// trustorMember reads one of our users or groups given as a bare id or as
// {id, name}; kind is "user" or "group".
func (d *decoder) trustorMember(n *yaml.Node, p path, what, kind string) (id, name string) {
	v := deref(n)
	switch v.Kind {
	case yaml.ScalarNode:
		if !isString(v) {
			d.typeError(n, p, "a "+kind+" id or {id, name}")
			return "", ""
		}
		id, _ = d.uuid(n, p, kind+" id")
		return id, ""
	case yaml.MappingNode:
		d.mapping(n, p, what, []field{
			{name: "id", required: true, decode: func(_, v *yaml.Node, p path) { id, _ = d.uuid(v, p, kind+" id") }},
			{name: "name", decode: func(_, v *yaml.Node, p path) { name, _ = d.name(v, p) }},
			{name: "divisions", hidden: true, decode: func(k, _ *yaml.Node, p path) { d.divisionsError(k, path(strings.TrimSuffix(string(p), "/divisions"))) }},
		})
		return id, name
	}
	d.typeError(n, p, "a "+kind+" id or {id, name}")
	return "", ""
}
