package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff):\n%s", name, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant: %q\ngot:  %q", i+1, w, g)
		}
	}
	return "(only line endings differ)"
}

type renderer struct {
	name string
	ext  string
	fn   func(*bytes.Buffer, *plan.Plan) error
}

var renderers = []renderer{
	{"text", "txt", func(b *bytes.Buffer, p *plan.Plan) error { return Text(b, p, TextOptions{}) }},
	{"text_color", "txt", func(b *bytes.Buffer, p *plan.Plan) error { return Text(b, p, TextOptions{Color: true}) }},
	{"markdown", "md", func(b *bytes.Buffer, p *plan.Plan) error { return Markdown(b, p) }},
	{"json", "json", func(b *bytes.Buffer, p *plan.Plan) error { return JSON(b, p) }},
}

func TestGolden(t *testing.T) {
	plans := map[string]func() *plan.Plan{"rich": richPlan, "empty": emptyPlan, "groups": groupPlan}
	for pname, mk := range plans {
		for _, r := range renderers {
			t.Run(pname+"_"+r.name, func(t *testing.T) {
				var first, second bytes.Buffer
				if err := r.fn(&first, mk()); err != nil {
					t.Fatal(err)
				}
				if err := r.fn(&second, mk()); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(first.Bytes(), second.Bytes()) {
					t.Fatal("two renderings of the same plan differ")
				}
				golden(t, pname+"_"+r.name+"."+r.ext+".golden", first.Bytes())
			})
		}
	}
}

func render(t *testing.T, fn func(*bytes.Buffer, *plan.Plan) error, p *plan.Plan) string {
	t.Helper()
	var b bytes.Buffer
	if err := fn(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func textOf(t *testing.T, p *plan.Plan, color bool) string {
	return render(t, func(b *bytes.Buffer, p *plan.Plan) error { return Text(b, p, TextOptions{Color: color}) }, p)
}

func TestTextLastLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *plan.Plan
		want string
	}{
		{"rich", richPlan(), "Plan: 5 to add, 8 to change, 5 to remove."},
		{"empty", emptyPlan(), "No changes. Live state matches the configuration."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := textOf(t, tc.p, false)
			if !strings.HasSuffix(out, "\n") {
				t.Fatal("text plan does not end with a newline")
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if got := lines[len(lines)-1]; got != tc.want {
				t.Errorf("last line = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTextColorOnlyWhenAsked(t *testing.T) {
	p := richPlan()
	if plain := textOf(t, p, false); strings.Contains(plain, "\x1b[") {
		t.Error("text without Color contains ANSI escapes")
	}
	colored := textOf(t, p, true)
	for _, want := range []string{"\x1b[32m+\x1b[0m", "\x1b[31m-\x1b[0m", "\x1b[33m~\x1b[0m", "\x1b[1;33m[widens access]\x1b[0m"} {
		if !strings.Contains(colored, want) {
			t.Errorf("colored text lacks %q", want)
		}
	}
	// Color changes nothing but the escapes.
	stripped := stripANSI(colored)
	if stripped != textOf(t, p, false) {
		t.Errorf("colored text without escapes differs from plain text:\n%s", firstDiff(textOf(t, p, false), stripped))
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && s[j] != 'm' {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestTextFitsInWidth(t *testing.T) {
	p := richPlan()
	long := strings.Repeat("very long reason words ", 12)
	p.Changes = append(p.Changes, plan.Change{
		Action: plan.Update, Kind: plan.KindTrustee,
		Address:   "trustee[An Organization With A Remarkably Long Name For Testing Wrapping Incorporated 3000…]",
		TrusteeID: "30000000-0000-4000-8000-000000000003", TrustorID: homeID,
		Before: &plan.Value{Name: "An Organization With A Remarkably Long Name For Testing Wrapping Incorporated", Enabled: ptr(true)},
		After:  &plan.Value{Name: "An Organization With A Remarkably Long Name For Testing Wrapping Incorporated Ltd", Enabled: ptr(true)},
		Effect: plan.Widen, Reason: long,
	})
	p.Warnings = append(p.Warnings, plan.Warning{Severity: diag.Warning, Message: long, Hints: []string{long}, Pos: diag.Pos{File: "trusts.yaml", Line: 3, Col: 1}})
	out := textOf(t, p, false)
	for i, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > width {
			t.Errorf("line %d is %d columns wide: %q", i+1, n, l)
		}
	}
	if !strings.Contains(out, "[widens access]") || !strings.Contains(out, "→ An Organization") {
		t.Errorf("long change lost its marker or its old → new split:\n%s", out)
	}
}

func TestTextFieldDetail(t *testing.T) {
	out := textOf(t, richPlan(), false)
	for _, want := range []string{
		"expires: 2027-06-30 → 2026-12-31T17:30:00Z",
		"enabled: true → false",
		"enabled: false → true",
		"expires: 2026-01-31 → never",
		"- Reporting Viewer (a1000000-0000-4000-8000-000000000004)",
		"+ Telephony Admin (a1000000-0000-4000-8000-000000000005)",
		"user: H. Hart → Hana Hart (e2000000-0000-4000-8000-000000000001)",
		"pairing id:      5f1c2d3e-0000-4000-8000-00000000abcd",
		"pairing expires: 2026-12-02T10:00:00Z",
		"  Juno Jay (82000000-0000-4000-8000-000000000003) (not in the file: does not join)",
		"flags:   full access",
		"Genesys Customer Care trust (full access, trusted user)",
		"+ Jo Jensen (82000000-0000-4000-8000-000000000002)",
		"+ Jo Jensen (82000000-0000-4000-8000-000000000002)\n            (no roles)",
		"Protected (left unchanged):",
		"Pending (waiting for the other org):",
		"trusts.yaml:14:7: warning: trustee Harbor Analytics",
		"hint: extend expires or let it lapse",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text plan lacks %q", want)
		}
	}

	// A trust-level value without a name falls back to the change's org name.
	p := richPlan()
	p.Changes[5].Before.Name = "" // delete trustee Old Partner LLC
	if out := textOf(t, p, false); !strings.Contains(out, "trustee: Old Partner LLC ("+oldPartnerID+")") {
		t.Errorf("text plan does not name the trustee by its org name:\n%s", out)
	}
}

func TestInvalidPlans(t *testing.T) {
	bad := []struct {
		name string
		mod  func(*plan.Plan)
		want string
	}{
		{"no-op action", func(p *plan.Plan) { p.Changes[0].Action = plan.NoOp }, "invalid action"},
		{"unknown action", func(p *plan.Plan) { p.Changes[0].Action = 9 }, "invalid action"},
		{"unknown kind", func(p *plan.Plan) { p.Changes[0].Kind = "trustee_division" }, `unknown kind "trustee_division"`},
		{"unknown effect", func(p *plan.Plan) { p.Changes[0].Effect = 7 }, "unknown effect"},
		{"create without after", func(p *plan.Plan) { p.Changes[len(p.Changes)-1].After = nil }, "create without an after value"},
		{"delete without before", func(p *plan.Plan) { p.Changes[0].Before = nil }, "delete without a before value"},
		{"update without before", func(p *plan.Plan) { p.Changes[1].Before = nil }, "update needs both"},
	}
	for _, tc := range bad {
		for _, r := range renderers {
			t.Run(tc.name+"/"+r.name, func(t *testing.T) {
				p := richPlan()
				tc.mod(p)
				var b bytes.Buffer
				err := r.fn(&b, p)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error = %v, want one containing %q", err, tc.want)
				}
				if b.Len() != 0 {
					t.Errorf("wrote %d bytes before failing", b.Len())
				}
			})
		}
	}
	for _, r := range renderers {
		if err := r.fn(&bytes.Buffer{}, nil); err == nil {
			t.Errorf("%s accepted a nil plan", r.name)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestWriteErrors(t *testing.T) {
	p := richPlan()
	for name, err := range map[string]error{
		"text":     Text(failWriter{}, p, TextOptions{}),
		"markdown": Markdown(failWriter{}, p),
		"json":     JSON(failWriter{}, p),
	} {
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: error = %v, want the writer's error", name, err)
		}
	}
}

func TestJSONShape(t *testing.T) {
	var doc map[string]any
	out := render(t, func(b *bytes.Buffer, p *plan.Plan) error { return JSON(b, p) }, emptyPlan())
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"changes", "protected", "pending", "warnings"} {
		if arr, ok := doc[k].([]any); !ok || len(arr) != 0 {
			t.Errorf("%s = %#v, want []", k, doc[k])
		}
	}
	if doc["format_version"] != "2" || doc["errored"] != false {
		t.Errorf("format_version = %v", doc["format_version"])
	}
	if !strings.HasPrefix(out, "{\n  \"format_version\": \"2\",\n") || !strings.HasSuffix(out, "}\n") {
		t.Errorf("not indented with two spaces and a trailing newline:\n%s", out)
	}

	out = render(t, func(b *bytes.Buffer, p *plan.Plan) error { return JSON(b, p) }, richPlan())
	var rich struct {
		Changes []map[string]json.RawMessage `json:"changes"`
		Summary map[string]int               `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &rich); err != nil {
		t.Fatal(err)
	}
	if rich.Summary["add"] != 5 || rich.Summary["change"] != 8 || rich.Summary["remove"] != 5 {
		t.Errorf("summary = %v", rich.Summary)
	}
	p := richPlan()
	for i, c := range rich.Changes {
		pc := p.Changes[i]
		if got := string(c["address"]); got != fmt.Sprintf("%q", pc.Address) {
			t.Errorf("change %d address = %s, want plan order (%s)", i, got, pc.Address)
		}
		if got, want := string(c["org_name"]), fmt.Sprintf("%q", pc.OrgName); pc.OrgName != "" && got != want {
			t.Errorf("change %d org_name = %s, want %s", i, got, want)
		}
		if pc.Action == plan.Create && string(c["before"]) != "null" {
			t.Errorf("change %d: create has before %s, want null", i, c["before"])
		}
		if pc.Action == plan.Delete && string(c["after"]) != "null" {
			t.Errorf("change %d: delete has after %s, want null", i, c["after"])
		}
		// Only the ids that apply, and the org name when known, are present.
		for key, id := range map[string]string{"trustee_id": pc.TrusteeID, "trustor_id": pc.TrustorID, "user_id": pc.UserID, "org_name": pc.OrgName} {
			if _, ok := c[key]; ok != (id != "") {
				t.Errorf("change %d: %s present = %v, id %q", i, key, ok, id)
			}
		}
	}
	// Per-kind value fields.
	wantKeys := map[string]string{
		"trustee_user delete before":       "name,roles",
		"trustee_user_roles delete before": "roles",
		"trustee update before":            "enabled,expires,name",
		"trustee delete before":            "enabled,expires,name,users",
		"trustee create after":             "enabled,expires,name,pairing,pairing_id,users",
		"trustor delete before":            "name,users",
		"trustor_user delete before":       "name",
	}
	seen := map[string]bool{}
	for i, c := range rich.Changes {
		pc := p.Changes[i]
		for side, raw := range map[string]json.RawMessage{"before": c["before"], "after": c["after"]} {
			k := fmt.Sprintf("%s %s %s", pc.Kind, pc.Action, side)
			want, ok := wantKeys[k]
			if !ok || seen[k] {
				continue
			}
			seen[k] = true
			var v map[string]json.RawMessage
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for key := range v {
				keys = append(keys, key)
			}
			if got := strings.Join(slices.Sorted(slices.Values(keys)), ","); got != want {
				t.Errorf("%s keys = %s, want %s", k, got, want)
			}
		}
	}
	if len(seen) != len(wantKeys) {
		t.Errorf("checked %d of %d value shapes", len(seen), len(wantKeys))
	}
	// An unknown org name is left out, not written as "".
	p.Changes[0].OrgName = ""
	out = render(t, func(b *bytes.Buffer, p *plan.Plan) error { return JSON(b, p) }, p)
	var unnamed struct {
		Changes []map[string]json.RawMessage `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &unnamed); err != nil {
		t.Fatal(err)
	}
	if v, ok := unnamed.Changes[0]["org_name"]; ok {
		t.Errorf("change without an org name has org_name %s", v)
	}
	if !strings.Contains(out, `"expires": null`) {
		t.Error("a trust that never expires is not written as expires: null")
	}
	if !strings.Contains(out, `"name": "Jo Jensen",
            "roles": []`) {
		t.Error("a trustee user without roles does not have roles: []")
	}
}
