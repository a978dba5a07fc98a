package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/plan"
)

func markdownOf(t *testing.T, p *plan.Plan) string {
	return render(t, func(b *bytes.Buffer, p *plan.Plan) error { return Markdown(b, p) }, p)
}

// balanced checks that every opened block is closed.
func balanced(t *testing.T, md string) {
	t.Helper()
	if o, c := strings.Count(md, "<details>"), strings.Count(md, "</details>"); o != c {
		t.Errorf("%d <details> but %d </details>", o, c)
	}
	if o, c := strings.Count(md, "<summary>"), strings.Count(md, "</summary>"); o != c {
		t.Errorf("%d <summary> but %d </summary>", o, c)
	}
	if n := strings.Count(md, "```diff"); strings.Count(md, "```")-n != n {
		t.Errorf("unbalanced code fences")
	}
}

func TestMarkdownStructure(t *testing.T) {
	md := markdownOf(t, richPlan())
	if !strings.HasPrefix(md, MarkdownMarker+"\n") {
		t.Fatalf("first line is not the marker: %q", strings.SplitN(md, "\n", 2)[0])
	}
	balanced(t, md)
	for _, want := range []string{
		"| 5 | 8 | 5 | 7 | 8 |",
		"> **7 changes widen access.** Who gains what:",
		"> - **Bluebird Outsourcing**: Bo Blue gains Telephony Admin",
		"> - **Harbor Analytics**: Hana Hart gains Quality Evaluator",
		"> - **Bluebird Outsourcing**: Bianca Bell gains Claims Agent, Reporting Viewer",
		"> - **Indigo Partners**: trust enabled; access no longer expires (was 2026-01-31)",
		"> - **Juniper Labs**: new trust, expires 2027-01-01: Jin Ju gains Claims Agent, Quality Evaluator; Jo Jensen (no roles)",
		"> - **Copperfield Consulting**: our user Priya Patel gains access to Copperfield Consulting",
		"> - **Kestrel Group**: our user Nadia North gains access to Kestrel Group",
		"<summary><b>Trustee</b> Bluebird Outsourcing <code>b0000000-0000-4000-8000-000000000002</code>: 1 to add, 3 to change, 2 to remove · widens and narrows access</summary>",
		"<summary><b>Trustor</b> Copperfield Consulting <code>c0000000-0000-4000-8000-000000000003</code>",
		"### Protected (left unchanged)",
		"### Pending (waiting for the other org)",
		"- trusts.yaml:14:7: warning: trustee Harbor Analytics: the trust expires in 12 days",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if strings.Contains(md, "[!NOTE]") {
		t.Error("a small plan was folded")
	}
}

// TestMarkdownTrustNames checks how trusts are named in group headings and
// in the widening callout: by the changes' org name, else by a trust-level
// value's name (plans read from documents without org_name), else by the
// trust's address.
func TestMarkdownTrustNames(t *testing.T) {
	// Only user-level changes: Ben Baker removed from Bluebird, Priya Patel
	// added to Copperfield.
	userLevel := func() *plan.Plan {
		p := richPlan()
		p.Changes = []plan.Change{p.Changes[0], p.Changes[len(p.Changes)-2]}
		return p
	}
	clearOrgNames := func(p *plan.Plan) {
		for i := range p.Changes {
			p.Changes[i].OrgName = ""
		}
	}
	for _, tc := range []struct {
		name  string
		plan  func() *plan.Plan
		want  []string
		avoid []string
	}{
		{
			name: "org name on user-level changes",
			plan: userLevel,
			want: []string{
				"<summary><b>Trustee</b> Bluebird Outsourcing <code>b0000000-0000-4000-8000-000000000002</code>: 1 to remove",
				"<summary><b>Trustor</b> Copperfield Consulting <code>c0000000-0000-4000-8000-000000000003</code>: 1 to add",
				"> - **Copperfield Consulting**: our user Priya Patel gains access to Copperfield Consulting",
			},
			avoid: []string{"<b>Trustee</b> trustee[", "<b>Trustor</b> trustor["},
		},
		{
			name: "no org name: the address",
			plan: func() *plan.Plan { p := userLevel(); clearOrgNames(p); return p },
			want: []string{
				"<summary><b>Trustee</b> trustee[Bluebird Outsourcing b000…] <code>",
				"<summary><b>Trustor</b> trustor[Copperfield Consulting c000…] <code>",
				`> - **trustor\[Copperfield Consulting c000…\]**: our user Priya Patel gains access to trustor\[Copperfield Consulting c000…\]`,
			},
		},
		{
			name: "no org name: a trust-level value's name",
			plan: func() *plan.Plan { p := richPlan(); clearOrgNames(p); return p },
			want: []string{
				"<summary><b>Trustee</b> Bluebird Outsourcing <code>b0000000-0000-4000-8000-000000000002</code>",
				"<summary><b>Trustor</b> Copperfield Consulting <code>c0000000-0000-4000-8000-000000000003</code>",
				"> - **Copperfield Consulting**: our user Priya Patel gains access to Copperfield Consulting",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md := markdownOf(t, tc.plan())
			for _, w := range tc.want {
				if !strings.Contains(md, w) {
					t.Errorf("Markdown lacks %q:\n%s", w, md)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(md, a) {
					t.Errorf("Markdown has %q:\n%s", a, md)
				}
			}
		})
	}
}

func TestMarkdownNoWidening(t *testing.T) {
	p := richPlan()
	p.Changes = p.Changes[:8]
	md := markdownOf(t, p)
	if !strings.Contains(md, "No change widens access.") || strings.Contains(md, "[!WARNING]") {
		t.Errorf("narrowing-only plan:\n%s", md)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	p := richPlan()
	p.Organization.Name = "Evil <script>alert(1)</script> | *Corp*"
	p.Changes[len(p.Changes)-1].After.Name = "Kestrel `Group` </summary></details>"
	p.Changes[len(p.Changes)-1].Address = "trustor[Kestrel ``` Group 6000…]"
	md := markdownOf(t, p)
	if strings.Contains(md, "<script>") {
		t.Error("HTML in a name is not escaped")
	}
	if !strings.Contains(md, "Evil &lt;script&gt;alert(1)&lt;/script&gt; \\| \\*Corp\\*") {
		t.Errorf("heading not escaped:\n%s", strings.SplitN(md, "\n", 3)[1])
	}
	if outside := stripFences(md); strings.Count(outside, "</summary>") != strings.Count(outside, "<summary>") ||
		strings.Count(outside, "</details>") != strings.Count(outside, "<details>") {
		t.Error("a name closed a summary or details block")
	}
	if !strings.Contains(md, "````diff") {
		t.Error("a diff block holding ``` does not use a longer fence")
	}
}

// stripFences drops fenced code blocks, where HTML is shown, not
// interpreted.
func stripFences(md string) string {
	var out []string
	fence := ""
	for _, l := range strings.Split(md, "\n") {
		switch {
		case fence == "" && strings.HasPrefix(l, "```"):
			fence = strings.TrimRight(l, "abcdefghijklmnopqrstuvwxyz")
		case fence != "" && l == fence:
			fence = ""
		case fence == "":
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// bigPlan has n trusts, each with a deleted user and an added user with
// several roles, so that it is far beyond the comment limit.
func bigPlan(n int) *plan.Plan {
	p := &plan.Plan{Organization: plan.Org{ID: homeID, Name: "Northwind Insurance"}}
	rs := roles(claimsSupervisor, claimsAgent, qualityEvaluator, reportingViewer, telephonyAdmin)
	var widen []plan.Change
	for i := range n {
		id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		name := fmt.Sprintf("Partner %05d", i)
		addr := fmt.Sprintf("trustee[%s %s…]", name, id[:4])
		p.Changes = append(p.Changes, plan.Change{
			Action: plan.Delete, Kind: plan.KindTrustee, Address: addr, TrusteeID: id, TrustorID: homeID,
			Before: &plan.Value{Name: name, Enabled: ptr(true), Users: []plan.User{
				{ID: id + "-u1", Name: "Departing User", Roles: rs},
				{ID: id + "-u2", Name: "Another User", Roles: rs},
			}},
			Effect: plan.Narrow, Reason: "not in configuration",
		})
		widen = append(widen, plan.Change{
			Action: plan.Create, Kind: plan.KindTrusteeUser, Address: addr + ".user[New User]",
			TrusteeID: id, TrustorID: homeID, UserID: id + "-u3",
			After:  &plan.Value{Name: "New User", Roles: rs},
			Effect: plan.Widen, Reason: "not live",
		})
		p.Protected = append(p.Protected, plan.Protected{Kind: plan.KindTrustor, Address: "trustor[" + name + "]", TrustorID: id, Name: name, Reason: "listed under protect"})
		p.Pending = append(p.Pending, plan.Pending{Address: "trustor[" + name + "]", TrustorID: id, Name: name, Message: name + " has not created the trust yet"})
		p.Warnings = append(p.Warnings, plan.Warning{Severity: diag.Warning, Message: strings.Repeat("a long warning ", 20), Hints: []string{"do something"}})
	}
	p.Changes = append(p.Changes, widen...)
	return p
}

func TestMarkdownFolding(t *testing.T) {
	for _, tc := range []struct {
		trusts int
		level  fold
	}{
		{1, foldNone},
		{60, foldQuiet},
		{100, foldAllDetail},
		{200, foldTrustLines},
		{5000, foldLists},
	} {
		t.Run(fmt.Sprint(tc.trusts), func(t *testing.T) {
			p := bigPlan(tc.trusts)
			if tc.trusts > 1 {
				// Keep the lists that are not changes out of the way,
				// except in the huge plan.
				if tc.level != foldLists {
					p.Protected, p.Pending, p.Warnings = nil, nil, nil
				}
			}
			md := markdownOf(t, p)
			if len(md) >= MarkdownLimit {
				t.Fatalf("Markdown is %d bytes, limit %d", len(md), MarkdownLimit)
			}
			if !strings.HasPrefix(md, MarkdownMarker+"\n") {
				t.Error("marker line missing")
			}
			balanced(t, md)
			// The chosen level is the least folding that fits.
			groups := groupChanges(p.Changes)
			for l := foldNone; l < tc.level; l++ {
				if n := len(markdownAt(p, groups, l)); n < MarkdownLimit {
					t.Errorf("level %d already fits (%d bytes) but level %d was expected", l, n, tc.level)
				}
			}
			if got := markdownAt(p, groups, tc.level); got != md {
				t.Errorf("output is not the level %d rendering", tc.level)
			}
			if tc.level == foldNone {
				if strings.Contains(md, "[!NOTE]") {
					t.Error("unfolded plan says it was folded")
				}
				return
			}
			if !strings.Contains(md, "This plan was folded") || !strings.Contains(md, foldNotes[tc.level]) {
				t.Errorf("folded plan does not say what was folded")
			}
			if !strings.Contains(md, "widen access.** Who gains what:") {
				t.Error("folding dropped the widening callout")
			}
			switch tc.level {
			case foldQuiet:
				// Widening changes keep their detail, narrowing ones lose it.
				if !strings.Contains(md, "      + Claims Agent (") {
					t.Error("widening change lost its roles")
				}
				if strings.Contains(md, "Departing User") {
					t.Error("narrowing change kept its users")
				}
			case foldAllDetail:
				if strings.Contains(md, "      + Claims Agent (") || strings.Contains(md, "Departing User") {
					t.Error("field-level detail kept")
				}
				if !strings.Contains(md, "<details>") || !strings.Contains(md, "+ trustee[Partner 00099 0000…].user[New User]  [widens access]") {
					t.Error("change headers dropped")
				}
			case foldTrustLines:
				if strings.Contains(md, "<details>") {
					t.Error("trust blocks were not collapsed")
				}
				if !strings.Contains(md, "- **Trustee** Partner 00199 `00000199-0000-4000-8000-000000000000`: 1 to add, 1 to remove · widens and narrows access") {
					t.Error("collapsed trust line missing")
				}
			case foldLists:
				for _, want := range []string{"more widening changes not shown here", "more not shown here*"} {
					if !strings.Contains(md, want) {
						t.Errorf("lacks %q", want)
					}
				}
				for _, h := range []string{"### Changes by trust", "### Protected", "### Pending", "### Warnings"} {
					if !strings.Contains(md, h) {
						t.Errorf("section %q dropped entirely", h)
					}
				}
			}
		})
	}
}

func TestMarkdownHugeNames(t *testing.T) {
	p := bigPlan(50)
	p.Organization.Name = strings.Repeat("N", 100000)
	for i := range p.Warnings {
		p.Warnings[i].Message = strings.Repeat("w", 70000)
	}
	md := markdownOf(t, p)
	if len(md) >= MarkdownLimit {
		t.Fatalf("Markdown is %d bytes", len(md))
	}
	balanced(t, md)
}
