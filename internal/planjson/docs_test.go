package planjson

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trustsync/trustsync/internal/plan"
)

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	reasonsTable = regexp.MustCompile("(?s)<!-- reasons -->\n(.*?)<!-- /reasons -->")
	tableReason  = regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	jsonReason   = regexp.MustCompile(`"reason": "([^"]*)"`)
	docExample   = regexp.MustCompile("(?s)<!-- example: ([a-z]+) -->\n```json\n(.*?)```\n")
)

// TestDocumentedReasons checks that docs/plan-format.md lists exactly the
// reasons the plan package can give, and that every reason quoted in the
// plan documents' JSON examples and in docs/plan.md is one of them.
func TestDocumentedReasons(t *testing.T) {
	format := readDoc(t, "plan-format.md")
	m := reasonsTable.FindStringSubmatch(format)
	if m == nil {
		t.Fatal("docs/plan-format.md has no <!-- reasons --> table")
	}
	var documented []string
	for _, r := range tableReason.FindAllStringSubmatch(m[1], -1) {
		documented = append(documented, r[1])
	}
	want := plan.Reasons()
	slices.Sort(documented)
	slices.Sort(want)
	if !slices.Equal(documented, want) {
		t.Errorf("docs/plan-format.md lists the reasons %q; the plan package gives %q", documented, want)
	}

	known := func(reason string) bool {
		for part := range strings.SplitSeq(reason, plan.ReasonsSeparator) {
			if !slices.Contains(want, part) {
				return false
			}
		}
		return true
	}
	for _, name := range []string{"plan-format.md", "plan.md", "apply.md"} {
		for _, r := range jsonReason.FindAllStringSubmatch(readDoc(t, name), -1) {
			if !known(r[1]) {
				t.Errorf("docs/%s quotes the reason %q, which plan never gives", name, r[1])
			}
		}
	}
	// docs/plan.md names reasons in its list of what a change has.
	planDoc := readDoc(t, "plan.md")
	i := strings.Index(planDoc, "- a **reason**, such as ")
	if i < 0 {
		t.Fatal("docs/plan.md no longer lists reasons")
	}
	item := planDoc[i:]
	if j := strings.Index(item[1:], "\n- "); j >= 0 {
		item = item[:j+1]
	}
	quoted := regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(item, -1)
	if len(quoted) == 0 {
		t.Fatal("docs/plan.md's reason item quotes no reason")
	}
	for _, q := range quoted {
		if !known(q[1]) {
			t.Errorf("docs/plan.md quotes the reason %q, which plan never gives", q[1])
		}
	}
}

// TestDocumentedExamples decodes every marked JSON example of
// docs/plan-format.md strictly (a member the format does not have is an
// error) into the type it shows, and checks its names as Parse does.
func TestDocumentedExamples(t *testing.T) {
	examples := docExample.FindAllStringSubmatch(readDoc(t, "plan-format.md"), -1)
	seen := map[string]bool{}
	for _, ex := range examples {
		kind, body := ex[1], ex[2]
		seen[kind] = true
		t.Run(kind, func(t *testing.T) {
			strict := func(data string, v any) {
				t.Helper()
				dec := json.NewDecoder(bytes.NewReader([]byte(data)))
				dec.DisallowUnknownFields()
				if err := dec.Decode(v); err != nil {
					t.Fatalf("the documented %s example does not decode: %v", kind, err)
				}
			}
			switch kind {
			case "change":
				var c Change
				strict(body, &c)
				if err := (&Document{Changes: []Change{c}}).check(); err != nil {
					t.Error(err)
				}
				if c.Before == nil || c.After == nil || c.Key == "" || c.Attribution == nil {
					t.Errorf("the change example lost members: %+v", c)
				}
			case "lists":
				var d Document
				strict("{"+body+"}", &d)
				if err := d.check(); err != nil {
					t.Error(err)
				}
				if len(d.Protected) == 0 || len(d.Pending) == 0 || len(d.Warnings) == 0 {
					t.Errorf("the lists example lost members: %+v", d)
				}
			case "failure":
				var f Failure
				strict(body, &f)
				if !f.Errored || f.FormatVersion != FormatVersion || len(f.Diagnostics) == 0 {
					t.Errorf("the failure example is not a failed plan of this version: %+v", f)
				}
			default:
				t.Errorf("unknown example kind %q", kind)
			}
		})
	}
	for _, k := range []string{"change", "lists", "failure"} {
		if !seen[k] {
			t.Errorf("docs/plan-format.md has no <!-- example: %s --> block", k)
		}
	}
}
