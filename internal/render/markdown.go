package render

import (
	"cmp"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/expiry"
	"github.com/trustsync/trustsync/internal/plan"
)

// MarkdownMarker is the first line of every Markdown plan. It is invisible
// once rendered and lets CI find and update its own pull-request comment.
const MarkdownMarker = "<!-- trustsync-plan -->"

// MarkdownLimit is the size, in bytes, that a Markdown plan stays below,
// leaving headroom under the 65,536-character limit of a GitHub comment.
const MarkdownLimit = 60000

// fold is how much detail the Markdown rendering leaves out to stay below
// MarkdownLimit; each level folds everything the previous one did.
type fold int

const (
	foldNone       fold = iota // everything
	foldQuiet                  // no field detail for narrowing and neutral changes
	foldAllDetail              // no field detail for any change
	foldTrustLines             // one line per trust instead of a block of changes
	foldLists                  // long lists cut short to fit
)

// foldNotes say what each level leaves out.
var foldNotes = map[fold]string{
	foldQuiet:      "field-level detail of narrowing and neutral changes is not shown",
	foldAllDetail:  "field-level detail of widening changes is not shown either (the callout above still says who gains what)",
	foldTrustLines: "each trust is one line with its change counts instead of a list of its changes",
	foldLists:      "long lists are cut short, saying how many items were left out",
}

// Markdown writes the plan as a pull-request comment: the hidden
// [MarkdownMarker] line, a heading, a summary table, a callout listing every
// change that widens access (who gains what), one collapsible block per
// trust with its changes, then the protected and pending trusts and the
// warnings. When the full rendering would reach [MarkdownLimit] bytes it
// folds the least important detail first and says what it folded.
func Markdown(w io.Writer, p *plan.Plan) error {
	if err := p.Check(); err != nil {
		return fmt.Errorf("render plan: %w", err)
	}
	groups := groupChanges(p.Changes)
	var out string
	for level := foldNone; level <= foldLists; level++ {
		out = markdownAt(p, groups, level)
		if len(out) < MarkdownLimit {
			break
		}
	}
	if len(out) >= MarkdownLimit {
		// foldLists budgets every list, so only pathological fixed text
		// (an enormous organization name) can get here.
		out = truncateBytes(out, MarkdownLimit-200) + "\n\n*(cut short to fit a comment; run `trustsync plan` for the full plan)*\n"
	}
	if _, err := io.WriteString(w, out); err != nil {
		return fmt.Errorf("write Markdown plan: %w", err)
	}
	return nil
}

// group is the changes of one trust, in plan order.
type group struct {
	trustor bool
	id      string
	name    string // the other org's name, or the trust's address when unknown
	changes []plan.Change
}

// groupChanges groups changes by trust, in order of first appearance.
func groupChanges(cs []plan.Change) []*group {
	type key struct {
		trustor bool
		id      string
	}
	idx := map[key]*group{}
	var out []*group
	for _, c := range cs {
		k := key{trustor: isTrustor(c.Kind), id: orgID(c.Kind, c.TrusteeID, c.TrustorID)}
		g := idx[k]
		if g == nil {
			g = &group{trustor: k.trustor, id: k.id}
			idx[k] = g
			out = append(out, g)
		}
		g.changes = append(g.changes, c)
		if g.name == "" {
			g.name = oneLine(c.OrgName)
		}
	}
	for _, g := range out {
		// A plan read from a document written before org_name existed
		// names the org only in its trust-level values.
		for _, c := range g.changes {
			if g.name == "" && (c.Kind == plan.KindTrustee || c.Kind == plan.KindTrustor) {
				g.name = oneLine(value(c).Name)
			}
		}
		if g.name == "" {
			g.name = rootAddress(g.changes[0].Address)
		}
	}
	return out
}

func (g *group) kindWord() string {
	if g.trustor {
		return "Trustor"
	}
	return "Trustee"
}

// counts is "1 to add, 2 to change · widens access".
func (g *group) counts() string {
	var add, change, remove int
	for _, c := range g.changes {
		switch c.Action {
		case plan.Create:
			add++
		case plan.Update:
			change++
		case plan.Delete:
			remove++
		}
	}
	var parts []string
	for _, n := range []struct {
		n    int
		word string
	}{{add, "add"}, {change, "change"}, {remove, "remove"}} {
		if n.n > 0 {
			parts = append(parts, fmt.Sprintf("%d to %s", n.n, n.word))
		}
	}
	s := strings.Join(parts, ", ")
	e := countEffects(g.changes)
	switch {
	case e.widen > 0 && e.narrow > 0:
		s += " · widens and narrows access"
	case e.widen > 0:
		s += " · widens access"
	case e.narrow > 0:
		s += " · narrows access"
	}
	return s
}

// listSection is a Markdown section made of a heading and list items that
// foldLists may cut short.
type listSection struct {
	head   string
	n      int                // number of items
	item   func(i int) string // item i, built only when needed
	weight int
	more   func(n int) string
}

// markdownHead writes the marker line, the heading naming the
// organization and its id line.
func markdownHead(b *strings.Builder, org plan.Org) {
	b.WriteString(MarkdownMarker + "\n")
	switch name := cmp.Or(org.Name, org.ID); name {
	case "":
		b.WriteString("## trustsync plan\n\n")
	default:
		fmt.Fprintf(b, "## trustsync plan for %s\n\n", mdText(truncateRunes(oneLine(name), 200)))
	}
	if org.ID != "" {
		fmt.Fprintf(b, "Organization %s\n\n", mdCode(truncateRunes(org.ID, 200)))
	}
}

// MarkdownFailure writes the Markdown of a plan that could not be
// computed, so that a pull-request comment says why the check failed: the
// [MarkdownMarker] line, the heading (org may be zero when the
// organization was not learnt) and the diagnostics. Like [Markdown] it
// stays under [MarkdownLimit] bytes.
func MarkdownFailure(w io.Writer, org plan.Org, diags diag.List) error {
	var b strings.Builder
	markdownHead(&b, org)
	b.WriteString("**Plan failed.** Nothing was changed. Fix the problems below and run plan again.\n\n### Problems\n\n")
	rest := MarkdownLimit - 200 - b.Len()
	for i, d := range diags {
		it := mdDiagnostic(d)
		if len(it) > rest {
			fmt.Fprintf(&b, "- *(%d more; run `trustsync plan` to see them all)*\n", len(diags)-i)
			break
		}
		rest -= len(it)
		b.WriteString(it)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write Markdown plan: %w", err)
	}
	return nil
}

// markdownAt renders the plan at one fold level.
func markdownAt(p *plan.Plan, groups []*group, level fold) string {
	var b strings.Builder
	markdownHead(&b, p.Organization)
	if !p.HasChanges() {
		b.WriteString("**No changes.** Live state matches the configuration.\n")
	} else {
		fmt.Fprintf(&b, "**%s**\n\n", summaryLine(p))
		s, e := p.Summary(), countEffects(p.Changes)
		b.WriteString("| Add | Change | Remove | Widen access | Narrow access |\n")
		b.WriteString("| ---: | ---: | ---: | ---: | ---: |\n")
		fmt.Fprintf(&b, "| %d | %d | %d | %d | %d |\n", s.Add, s.Change, s.Remove, e.widen, e.narrow)
	}
	if level > foldNone {
		var folded []string
		for l := foldQuiet; l <= level; l++ {
			folded = append(folded, foldNotes[l])
		}
		fmt.Fprintf(&b, "\n> [!NOTE]\n> This plan was folded to fit in a comment (under %d characters): %s.\n"+
			"> Run `trustsync plan` for the full plan, or `trustsync plan --format json` for every detail.\n",
			MarkdownLimit, strings.Join(folded, "; "))
	}

	var sections []*listSection
	if p.HasChanges() {
		sections = append(sections, calloutSection(p, groups), trustSection(groups, level))
	}
	if len(p.Protected) > 0 {
		sections = append(sections, &listSection{
			head: "\n### Protected (left unchanged)\n\n", n: len(p.Protected), weight: 1, more: moreItems,
			item: func(i int) string {
				pr := p.Protected[i]
				return fmt.Sprintf("- %s: %s\n", mdCode(pr.Address), mdText(oneLine(protectedText(pr))))
			},
		})
	}
	if len(p.Pending) > 0 {
		sections = append(sections, &listSection{
			head: "\n### Pending (waiting for the other org)\n\n", n: len(p.Pending), weight: 1, more: moreItems,
			item: func(i int) string {
				pe := p.Pending[i]
				return fmt.Sprintf("- %s: %s\n", mdCode(pe.Address), mdText(oneLine(pe.Message)))
			},
		})
	}
	if len(p.Warnings) > 0 {
		sections = append(sections, &listSection{
			head: "\n### Warnings\n\n", n: len(p.Warnings), weight: 1, more: moreItems,
			item: func(i int) string {
				wa := p.Warnings[i]
				wa.Severity = diag.Warning
				return mdDiagnostic(wa)
			},
		})
	}

	if level < foldLists {
		// Stop as soon as the rendering is too long: it will be
		// folded further, so the rest would be wasted work.
		for _, s := range sections {
			b.WriteString(s.head)
			for i := range s.n {
				if b.Len() >= MarkdownLimit {
					return b.String()
				}
				b.WriteString(s.item(i))
			}
		}
		return b.String()
	}

	// foldLists: share what is left of the limit between the sections by
	// weight; what a section does not use goes to the ones after it.
	avail := MarkdownLimit - 1 - b.Len()
	weights := 0
	for _, s := range sections {
		avail -= len(s.head)
		weights += s.weight
	}
	for _, s := range sections {
		share := max(avail*s.weight/weights, 0)
		weights -= s.weight
		b.WriteString(s.head)
		text := fitItems(s, share)
		b.WriteString(text)
		avail -= len(text)
	}
	return b.String()
}

// fitItems joins as many items as fit in budget bytes, then a line saying
// how many were left out. Items longer than a tenth of the budget are
// shortened first.
func fitItems(s *listSection, budget int) string {
	reserve := len(s.more(s.n))
	limit := max(budget/10, 200)
	var b strings.Builder
	for i := range s.n {
		it := s.item(i)
		if len(it) > limit {
			it = truncateBytes(strings.TrimRight(it, "\n"), limit-10) + "\n"
		}
		if b.Len()+len(it)+reserve > budget {
			if b.Len()+reserve <= budget {
				b.WriteString(s.more(s.n - i))
			}
			return b.String()
		}
		b.WriteString(it)
	}
	return b.String()
}

func moreItems(n int) string {
	return fmt.Sprintf("- *…and %d more not shown here*\n", n)
}

// calloutSection lists who gains what access.
func calloutSection(p *plan.Plan, groups []*group) *listSection {
	names := map[string]string{}
	for _, g := range groups {
		names[groupKey(g.trustor, g.id)] = g.name
	}
	var widen []plan.Change
	for _, c := range p.Changes {
		if c.Effect == plan.Widen {
			widen = append(widen, c)
		}
	}
	if len(widen) == 0 {
		return &listSection{head: "\nNo change widens access.\n", weight: 1, more: moreItems}
	}
	head := fmt.Sprintf("\n> [!WARNING]\n> **%s access.** Who gains what:\n>\n", capitalize(changesWord(len(widen))+" widen"+verbS(len(widen))))
	item := func(i int) string {
		c := widen[i]
		org := names[groupKey(isTrustor(c.Kind), orgID(c.Kind, c.TrusteeID, c.TrustorID))]
		return "> - **" + mdText(org) + "**: " + mdText(gains(c, org)) + "\n"
	}
	return &listSection{head: head, n: len(widen), item: item, weight: 3, more: func(n int) string {
		return fmt.Sprintf("> - *…and %d more widening changes not shown here*\n", n)
	}}
}

func groupKey(trustor bool, id string) string {
	if trustor {
		return "trustor " + id
	}
	return "trustee " + id
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// gains says in words what access a widening change gives.
func gains(c plan.Change, org string) string {
	v := value(c)
	user := oneLine(v.Name)
	if user == "" {
		user = cmp.Or(c.UserID, c.GroupID)
	}
	if isGroup(c.Kind) {
		user = "group " + user + " (" + members(v.MemberCount) + ")"
	}
	switch {
	case c.Kind == plan.KindTrustee && c.Action == plan.Create:
		s := "new trust"
		if v.Enabled != nil && !*v.Enabled {
			s += " (disabled)"
		}
		if v.Expires != nil {
			s += ", expires " + expiry.FormatPtr(v.Expires)
		} else {
			s += ", never expires"
		}
		if len(v.Users) == 0 && len(v.Groups) == 0 {
			return s + "; no users yet"
		}
		var us []string
		for _, u := range v.Users {
			us = append(us, orID(u.Name, u.ID)+userGains(u.Roles))
		}
		for _, g := range v.Groups {
			us = append(us, "group "+orID(g.Name, g.ID)+" ("+members(g.MemberCount)+")"+userGains(g.Roles))
		}
		return s + ": " + strings.Join(us, "; ")
	case c.Kind == plan.KindTrustee && c.Action == plan.Update && c.Before != nil && c.After != nil:
		var parts []string
		if fmtBool(c.Before.Enabled) != fmtBool(c.After.Enabled) {
			parts = append(parts, "trust "+map[bool]string{true: "enabled", false: "disabled"}[c.After.Enabled != nil && *c.After.Enabled])
		}
		if b, a := expiry.FormatPtr(c.Before.Expires), expiry.FormatPtr(c.After.Expires); b != a {
			if c.After.Expires == nil {
				parts = append(parts, "access no longer expires (was "+b+")")
			} else {
				parts = append(parts, "expiry moves from "+b+" to "+a)
			}
		}
		if len(parts) == 0 {
			return c.Reason
		}
		return strings.Join(parts, "; ")
	case (c.Kind == plan.KindTrusteeUser || c.Kind == plan.KindTrusteeGroup) && c.Action == plan.Create:
		if len(v.Roles) == 0 {
			return user + " joins the trust with no roles"
		}
		return user + userGains(v.Roles)
	case c.Kind == plan.KindTrusteeUserRoles || c.Kind == plan.KindTrusteeGroupRoles:
		var before []plan.Role
		if c.Before != nil {
			before = c.Before.Roles
		}
		var added []plan.Role
		for _, r := range v.Roles {
			if !slices.ContainsFunc(before, func(b plan.Role) bool { return b.ID == r.ID }) {
				added = append(added, r)
			}
		}
		if len(added) > 0 {
			return user + userGains(added)
		}
	case c.Kind == plan.KindTrustorUser && c.Action == plan.Create:
		return "our user " + user + " gains access to " + org
	case c.Kind == plan.KindTrustorGroup && c.Action == plan.Create:
		return "our " + user + " gains access to " + org
	case c.Kind == plan.KindTrustor && c.Action == plan.Create:
		if len(v.Users) == 0 {
			return "we join the trust " + org + " grants us"
		}
		var us []string
		for _, u := range v.Users {
			us = append(us, orID(u.Name, u.ID))
		}
		if len(us) == 1 {
			return "our user " + us[0] + " gains access to " + org
		}
		return "our users " + strings.Join(us, ", ") + " gain access to " + org
	}
	s := verb(c.Kind, c.Action)
	if c.Reason != "" {
		s += ": " + c.Reason
	}
	return s
}

// orID is the name, or the id for something without a name.
func orID(name, id string) string {
	if name = oneLine(name); name != "" {
		return name
	}
	return id
}

// userGains is " gains Role A, Role B".
func userGains(rs []plan.Role) string {
	if len(rs) == 0 {
		return " (no roles)"
	}
	names := make([]string, 0, len(rs))
	for _, r := range rs {
		names = append(names, orID(r.Name, r.ID))
	}
	return " gains " + strings.Join(names, ", ")
}

// trustSection renders the changes grouped by trust.
func trustSection(groups []*group, level fold) *listSection {
	s := &listSection{
		head:   "\n### Changes by trust\n\nApply runs every narrowing change before any widening one; `trustsync plan` lists them in that order.\n",
		weight: 2,
		more:   moreItems,
	}
	s.n = len(groups)
	s.item = func(i int) string {
		g := groups[i]
		if level >= foldTrustLines {
			lead := ""
			if i == 0 {
				lead = "\n"
			}
			return fmt.Sprintf("%s- **%s** %s %s: %s\n", lead, g.kindWord(), mdText(g.name), mdCode(g.id), g.counts())
		}
		var lines []string
		for j, c := range g.changes {
			if j > 0 {
				lines = append(lines, "")
			}
			detail := level == foldNone || (level == foldQuiet && c.Effect == plan.Widen)
			lines = append(lines, changeBlock(c, painter{}, detail)...)
		}
		body := strings.Join(lines, "\n")
		fence := codeFence(body)
		return fmt.Sprintf("\n<details>\n<summary><b>%s</b> %s <code>%s</code>: %s</summary>\n\n%sdiff\n%s\n%s\n\n</details>\n",
			g.kindWord(), html.EscapeString(g.name), html.EscapeString(g.id), html.EscapeString(g.counts()), fence, body, fence)
	}
	return s
}

// codeFence returns a backtick fence longer than any backtick run in s.
func codeFence(s string) string {
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// mdCode renders s as an inline code span.
func mdCode(s string) string {
	s = oneLine(s)
	if s == "" {
		return "``"
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if fence != "`" || strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// mdReplacer escapes what Markdown or HTML would otherwise interpret in
// plain text.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "~", `\~`, "&", "&amp;", "<", "&lt;", ">", "&gt;",
)

func mdText(s string) string { return mdReplacer.Replace(s) }

// truncateRunes shortens s to at most n runes, ending with "…".
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// truncateBytes shortens s to at most n bytes on a rune boundary, ending
// with "…".
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-len("…"), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// mdDiagnostic is one diagnostic as a list item, in the one diagnostic
// format ("FILE:LINE:COL: severity: message"), with its hints nested.
func mdDiagnostic(d diag.Diagnostic) string {
	d.Message = oneLine(d.Message)
	it := "- " + mdText(d.String()) + "\n"
	for _, h := range d.Hints {
		it += "  - hint: " + mdText(oneLine(h)) + "\n"
	}
	return it
}
