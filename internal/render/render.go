// Package render formats a [plan.Plan] for people and for machines.
//
// Three renderings are built from the same plan data, and none of them
// computes anything about live state or configuration:
//
//   - [Text] for a terminal: one block per change with `+` add, `~` change,
//     `-` remove, the change's address, its effect on access, its reason and
//     field-level `old → new` detail, then protected and pending trusts,
//     warnings and the summary line. ANSI color only when asked for.
//   - [Markdown] for a pull-request comment: a hidden marker line, a summary
//     table, a callout naming every change that widens access, and one
//     collapsible block per trust, kept under [MarkdownLimit] bytes by
//     folding the least important detail first.
//   - [JSON], the versioned machine format described in docs/plan-format.md,
//     with [Document] as its Go form for reading plans back.
//
// Output depends only on the plan: equal plans render to identical bytes.
package render

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trustsync/trustsync/internal/expiry"
	"github.com/trustsync/trustsync/internal/plan"
)

// width is the column budget of the text rendering and of the diff blocks
// in Markdown.
const width = 100

// Symbol is the one-character marker of an action in every rendering:
// "+" create, "-" delete, "~" update.
func Symbol(a plan.Action) string {
	switch a {
	case plan.Create:
		return "+"
	case plan.Delete:
		return "-"
	}
	return "~"
}

// effectMarker describes a change's effect on access; neutral changes have
// none.
func effectMarker(e plan.Effect) string {
	switch e {
	case plan.Widen:
		return "[widens access]"
	case plan.Narrow:
		return "[narrows access]"
	}
	return ""
}

// verb says in words what a change does.
func verb(k plan.Kind, a plan.Action) string {
	switch k {
	case plan.KindTrustee:
		return pick(a, "create trust", "update trust", "delete trust")
	case plan.KindTrusteeUser:
		return pick(a, "add user to trust", "update user in trust", "remove user from trust")
	case plan.KindTrusteeUserRoles:
		return pick(a, "grant roles", "set roles", "clear roles")
	case plan.KindTrustor:
		return pick(a, "join trust", "update trust", "leave trust")
	case plan.KindTrustorUser:
		return pick(a, "add our user to trust", "update our user in trust", "remove our user from trust")
	case plan.KindTrusteeGroup:
		return pick(a, "add group to trust", "update group in trust", "remove group from trust")
	case plan.KindTrusteeGroupRoles:
		return pick(a, "grant group roles", "set group roles", "clear group roles")
	case plan.KindTrustorGroup:
		return pick(a, "add our group to trust", "update our group in trust", "remove our group from trust")
	}
	return a.String() + " " + string(k)
}

func pick(a plan.Action, create, update, del string) string {
	switch a {
	case plan.Create:
		return create
	case plan.Delete:
		return del
	}
	return update
}

func fmtBool(b *bool) string {
	switch {
	case b == nil:
		return "(unset)"
	case *b:
		return "true"
	}
	return "false"
}

// named shows "Name (id)", or just the id when there is no name.
func named(name, id string) string {
	name = oneLine(name)
	switch {
	case name == "":
		return id
	case id == "":
		return name
	}
	return name + " (" + id + ")"
}

// oneLine keeps names from breaking the layout.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// value returns whichever of before and after a change has, preferring
// after.
func value(c plan.Change) *plan.Value {
	if c.After != nil {
		return c.After
	}
	if c.Before != nil {
		return c.Before
	}
	return &plan.Value{}
}

// orgID is the id of the other org of a change: the trustee for trustee
// kinds, the trustor for trustor kinds.
func orgID(k plan.Kind, trusteeID, trustorID string) string {
	if isTrustor(k) {
		return trustorID
	}
	return trusteeID
}

func isTrustor(k plan.Kind) bool { return k.IsTrustor() }

// isGroup reports whether a change is about a group member of a trust.
func isGroup(k plan.Kind) bool {
	return k == plan.KindTrusteeGroup || k == plan.KindTrusteeGroupRoles || k == plan.KindTrustorGroup
}

// members shows how many users a group has.
func members(n *int) string {
	switch {
	case n == nil:
		return "member count unknown"
	case *n == 1:
		return "1 member"
	}
	return strconv.Itoa(*n) + " members"
}

// groupsAsUsers lets groups be listed like users, each named with its
// member count so a reviewer sees how many people a group grant reaches.
func groupsAsUsers(gs []plan.Group) []plan.User {
	if gs == nil {
		return nil
	}
	out := make([]plan.User, 0, len(gs))
	for _, g := range gs {
		name := members(g.MemberCount)
		if n := oneLine(g.Name); n != "" {
			name = n + ", " + name
		}
		out = append(out, plan.User{ID: g.ID, Name: name, Roles: g.Roles})
	}
	return out
}

// rootAddress is the trust part of an address: everything up to the end of
// its first segment, e.g. `trustee[Bluebird Outsourcing b000…]`.
func rootAddress(addr string) string {
	if i := strings.Index(addr, "]."); i >= 0 {
		return addr[:i+1]
	}
	return addr
}

// item is one line of a set listing: a mark (+, -, ~ or space), the text,
// and nested items (a user's roles).
type item struct {
	mark  string
	text  string
	inner []item
}

// diffRoles lists the union of two role sets sorted by name then id, each
// marked as added, removed or kept.
func diffRoles(before, after []plan.Role) []item {
	type entry struct {
		r          plan.Role
		old, added bool
	}
	byID := map[string]*entry{}
	var order []*entry
	for _, r := range before {
		if _, ok := byID[r.ID]; !ok {
			e := &entry{r: r, old: true}
			byID[r.ID] = e
			order = append(order, e)
		}
	}
	for _, r := range after {
		if e, ok := byID[r.ID]; ok {
			e.added = true
			continue
		}
		e := &entry{r: r, added: true}
		byID[r.ID] = e
		order = append(order, e)
	}
	slices.SortStableFunc(order, func(a, b *entry) int {
		return cmp.Or(cmp.Compare(a.r.Name, b.r.Name), cmp.Compare(a.r.ID, b.r.ID))
	})
	out := make([]item, 0, len(order))
	for _, e := range order {
		out = append(out, item{mark: setMark(e.old, e.added), text: named(e.r.Name, e.r.ID)})
	}
	return out
}

// diffUsers lists the union of two user sets sorted by name then id; a user
// in both whose roles differ is marked ~ with its role differences nested.
func diffUsers(before, after []plan.User, withRoles bool) []item {
	type entry struct {
		b, a *plan.User
	}
	byID := map[string]*entry{}
	var order []*entry
	for i := range before {
		u := &before[i]
		if _, ok := byID[u.ID]; !ok {
			e := &entry{b: u}
			byID[u.ID] = e
			order = append(order, e)
		}
	}
	for i := range after {
		u := &after[i]
		if e, ok := byID[u.ID]; ok {
			e.a = u
			continue
		}
		e := &entry{a: u}
		byID[u.ID] = e
		order = append(order, e)
	}
	user := func(e *entry) *plan.User { return cmp.Or(e.a, e.b) }
	slices.SortStableFunc(order, func(x, y *entry) int {
		ux, uy := user(x), user(y)
		return cmp.Or(cmp.Compare(ux.Name, uy.Name), cmp.Compare(ux.ID, uy.ID))
	})
	out := make([]item, 0, len(order))
	for _, e := range order {
		u := user(e)
		it := item{mark: setMark(e.b != nil, e.a != nil), text: named(u.Name, u.ID)}
		if withRoles {
			var br, ar []plan.Role
			if e.b != nil {
				br = e.b.Roles
			}
			if e.a != nil {
				ar = e.a.Roles
			}
			it.inner = diffRoles(br, ar)
			if it.mark == " " && slices.ContainsFunc(it.inner, func(r item) bool { return r.mark != " " }) {
				it.mark = "~"
			}
			if len(it.inner) == 0 {
				it.inner = []item{{mark: " ", text: "(no roles)"}}
			}
		}
		out = append(out, it)
	}
	return out
}

func setMark(old, now bool) string {
	switch {
	case old && now:
		return " "
	case now:
		return "+"
	}
	return "-"
}

// field is one labelled detail line of a change.
type field struct {
	label string
	value string
	items []item // a set listed below the label instead of a value
}

// details lists the field-level detail of a change: what it is about, the
// scalar fields (all of them for create and delete, those that differ for
// update), and role and user sets.
func details(c plan.Change) []field {
	v := value(c)
	var out []field
	switch c.Kind {
	case plan.KindTrustee, plan.KindTrustor:
		label := "trustee"
		if c.Kind == plan.KindTrustor {
			label = "trustor"
		}
		out = append(out, field{label: label, value: identity(c, orgID(c.Kind, c.TrusteeID, c.TrustorID), c.OrgName)})
	case plan.KindTrusteeGroup, plan.KindTrusteeGroupRoles, plan.KindTrustorGroup:
		out = append(out, field{label: "group", value: identity(c, c.GroupID, "") + ", " + members(v.MemberCount)})
	default:
		out = append(out, field{label: "user", value: identity(c, c.UserID, "")})
	}
	if c.Kind == plan.KindTrustee || c.Kind == plan.KindTrustor {
		if c.Kind == plan.KindTrustee || v.Enabled != nil {
			out = appendScalar(out, c, "enabled", func(v *plan.Value) string { return fmtBool(v.Enabled) })
		}
		if c.Kind == plan.KindTrustee {
			out = appendScalar(out, c, "expires", func(v *plan.Value) string { return expiry.FormatPtr(v.Expires) })
		}
		out = appendScalar(out, c, "pairing id", func(v *plan.Value) string {
			if v.PairingID == "" {
				return "(none)"
			}
			return v.PairingID
		})
		if f := Flags(v.HasFullAccess, v.IsTrustedUser); f != "" {
			out = append(out, field{label: "flags", value: f})
		}
		if pr := v.Pairing; pr != nil && c.Kind == plan.KindTrustee {
			out = append(out, field{label: "pairing expires", value: expiry.FormatPtr(pr.Expires)})
			out = append(out, field{label: "pairing offers", items: offered(pr, v)})
		}
	}
	before, after := c.Before, c.After
	if before == nil {
		before = &plan.Value{}
	}
	if after == nil {
		after = &plan.Value{}
	}
	switch c.Kind {
	case plan.KindTrusteeUser, plan.KindTrusteeUserRoles, plan.KindTrusteeGroup, plan.KindTrusteeGroupRoles:
		out = append(out, field{label: "roles", items: orNone(diffRoles(before.Roles, after.Roles), "(no roles)")})
	case plan.KindTrustee, plan.KindTrustor:
		if c.Kind == plan.KindTrustee && c.Action == plan.Create && after.Users == nil {
			out = append(out, field{label: "users", items: []item{{mark: " ", text: "not managed: the trust is created with its groups alone"}}})
		} else if c.Action != plan.Update || before.Users != nil || after.Users != nil {
			out = append(out, field{label: "users", items: orNone(diffUsers(before.Users, after.Users, c.Kind == plan.KindTrustee), "(no users)")})
		}
		// Groups are listed only where the plan manages them.
		if before.Groups != nil || after.Groups != nil {
			out = append(out, field{label: "groups", items: orNone(
				diffUsers(groupsAsUsers(before.Groups), groupsAsUsers(after.Groups), c.Kind == plan.KindTrustee), "(no groups)")})
		}
	}
	if a := c.Attribution; a != nil {
		out = append(out, field{label: "last change", value: attribution(a)})
	}
	return out
}

// protectedText is a protected trust's reason, with its flags when set.
func protectedText(pr plan.Protected) string {
	if f := Flags(pr.HasFullAccess, pr.IsTrustedUser); f != "" {
		return pr.Reason + " (" + f + ")"
	}
	return pr.Reason
}

// Flags names a trustee trust's flags that are set ("full access,
// trusted user"); "" when none is, or they are unknown.
func Flags(fullAccess, trustedUser *bool) string {
	var fs []string
	if fullAccess != nil && *fullAccess {
		fs = append(fs, "full access")
	}
	if trustedUser != nil && *trustedUser {
		fs = append(fs, "trusted user")
	}
	return strings.Join(fs, ", ")
}

// offered lists the members a pairing offers, saying of each one the
// trust's entry does not list that it does not join.
func offered(pr *plan.Pairing, v *plan.Value) []item {
	listed := map[string]bool{}
	for _, u := range v.Users {
		listed["u/"+strings.ToLower(u.ID)] = true
	}
	for _, g := range v.Groups {
		listed["g/"+strings.ToLower(g.ID)] = true
	}
	const unlisted = " (not in the file: does not join)"
	var out []item
	for _, u := range pr.Users {
		text := named(u.Name, u.ID)
		if !listed["u/"+strings.ToLower(u.ID)] {
			text += unlisted
		}
		out = append(out, item{mark: " ", text: text})
	}
	for _, g := range pr.Groups {
		text := "group " + named(cmp.Or(oneLine(g.Name), "(unnamed)")+", "+members(g.MemberCount), g.ID)
		if !listed["g/"+strings.ToLower(g.ID)] {
			text += unlisted
		}
		out = append(out, item{mark: " ", text: text})
	}
	return orNone(out, "(no members)")
}

// attribution says who last changed a change's live object and when:
// "Update by Ada Admin (user) at 2026-11-20T09:30:00Z".
func attribution(a *plan.Attribution) string {
	s := oneLine(cmp.Or(a.Action, "change"))
	if by := oneLine(cmp.Or(a.By, a.ByID)); by != "" {
		s += " by " + by
		if a.ByKind != "" {
			s += " (" + oneLine(a.ByKind) + ")"
		}
	}
	if !a.At.IsZero() {
		s += " at " + a.At.UTC().Format(time.RFC3339)
	}
	return s
}

func orNone(items []item, none string) []item {
	if len(items) == 0 {
		return []item{{mark: " ", text: none}}
	}
	return items
}

// identity shows what a change is about as "Name (id)", or
// "Old → New (id)" when an update renames it. fallback is the name used
// when the change's values carry none.
func identity(c plan.Change, id, fallback string) string {
	if c.Action == plan.Update && c.Before != nil && c.After != nil {
		b, a := oneLine(c.Before.Name), oneLine(c.After.Name)
		if b != a && b != "" && a != "" {
			return named(b+" → "+a, id)
		}
	}
	return named(cmp.Or(value(c).Name, fallback), id)
}

// appendScalar adds a scalar field: always for create and delete (the pairing
// id only when set), only when it differs for update.
func appendScalar(out []field, c plan.Change, label string, f func(*plan.Value) string) []field {
	switch c.Action {
	case plan.Update:
		if c.Before == nil || c.After == nil {
			return out
		}
		if b, a := f(c.Before), f(c.After); b != a {
			return append(out, field{label: label, value: b + " → " + a})
		}
		return out
	default:
		if label == "pairing id" && value(c).PairingID == "" {
			return out
		}
		return append(out, field{label: label, value: f(value(c))})
	}
}

// wrap breaks text into lines of at most max columns (runes), the first
// starting with first and the rest with rest. Words longer than a line are
// kept whole.
func wrap(first, rest, text string, max int) []string {
	words := strings.Fields(text)
	if len(words) == 0 {
		return []string{strings.TrimRight(first, " ")}
	}
	var lines []string
	line := first
	n := utf8.RuneCountInString(first)
	empty := true
	for _, w := range words {
		wn := utf8.RuneCountInString(w)
		if !empty && n+1+wn > max {
			lines = append(lines, line)
			line, n, empty = rest, utf8.RuneCountInString(rest), true
		}
		if !empty {
			line += " "
			n++
		}
		line += w
		n += wn
		empty = false
	}
	return append(lines, line)
}
