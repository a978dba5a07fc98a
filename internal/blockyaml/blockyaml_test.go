package blockyaml

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// reference parses data with yaml.v3 and returns its one sequence item, or
// nil when yaml.v3 fails or finds something else.
func reference(data string) (item *yaml.Node) {
	defer func() {
		if recover() != nil {
			item = nil
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(data), &doc); err != nil {
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil
	}
	seq := doc.Content[0]
	if seq.Kind != yaml.SequenceNode || seq.Style != 0 || len(seq.Content) != 1 {
		return nil
	}
	return seq.Content[0]
}

// equal compares two trees field by field (cmp.Diff, used to show a
// difference, takes time exponential in the depth to find none).
func equal(a, b *yaml.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Anchor != b.Anchor ||
		a.HeadComment != b.HeadComment || a.LineComment != b.LineComment || a.FootComment != b.FootComment ||
		a.Line != b.Line || a.Column != b.Column || !equal(a.Alias, b.Alias) ||
		(a.Content == nil) != (b.Content == nil) || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !equal(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// TestEqualSeesEveryField keeps equal in step with yaml.Node.
func TestEqualSeesEveryField(t *testing.T) {
	if n := reflect.TypeFor[yaml.Node]().NumField(); n != 12 {
		t.Errorf("yaml.Node has %d fields; equal compares 12", n)
	}
}

func shift(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shift(c, by)
	}
}

// agree checks the package's contract on data: either Item declines, or
// yaml.v3 parses the same one item, also when data sits inside a larger
// file.
func agree(t *testing.T, data string) (accepted bool) {
	t.Helper()
	const before, after = "before: 1\n", "after: 2\n"
	src := before + data + after
	got, ok := new(Parser).Item(src, len(before), len(before)+len(data), 2)
	if !ok {
		return false
	}
	want := reference(data)
	if want == nil {
		t.Fatalf("Item accepted what yaml.v3 does not parse as one item:\n%s", data)
	}
	shift(want, 1)
	if !equal(want, got) {
		diff := cmp.Diff(want, got)
		t.Fatalf("Item and yaml.v3 differ (-yaml.v3 +Item) on:\n%s\n%s", data, diff)
	}
	return true
}

func TestAccepts(t *testing.T) {
	for _, data := range []string{
		"- a\n",
		"- a",
		"    - id: c0000001-0000-4000-8000-000000000001\n      name: User 1\n      roles: [Claims Agent, Role 1]\n",
		"  - id: b0000000-0000-4000-8000-000000000000\n    name: Trustee 0\n    expires: 2030-01-01\n    users:\n      - id: 10000001-0000-4000-8000-000000000001\n        name: User 1\n        roles: [Claims Agent, 'Role 1', \"Role 2\"]\n      - id: c0000001-0000-4000-8000-000000000002\n        name: User 2\n        roles:\n          - Claims Agent\n",
		"- {id: e0000000-0000-4000-8000-000000000001, name: Our User 1}\n",
		"- id: x\n  users:\n  - id: y\n    name: z\n  name: after the list\n",
		"-\n  key: value\n  other: 'it''s quoted'\n",
		"-   spaced:    out value\n    next: [ a ,b ]\n",
		"- k: []\n  m: {}\n  n: \"\"\n  o: ''\n",
		"- a: true\n  b: null\n  c: ~\n  d: FALSE\n  e: yes\n  f: on\n",
		"- name: Doe, John [contractor] {x}\n",
		"- url:value\n",
		"- a: b\n\n\n  c: d\n   \n",
		"- list:\n    - one\n    - two\n  tail: t\n",
	} {
		if !agree(t, data) {
			t.Errorf("Item declined:\n%s", data)
		}
	}
}

func TestDeclines(t *testing.T) {
	for _, data := range []string{
		"",
		"a: b\n",
		"- a\n- b\n",          // two items
		"- a # comment\n",     // comments
		"- a: &x b\n",         // anchors
		"- a: !!str b\n",      // tags
		"- a: |\n    text\n",  // block scalars
		"- a: b\n    c\n",     // a multi-line plain scalar
		"- a:\n",              // an empty value
		"-\n",                 // an empty item
		"- a: 12\n",           // numbers
		"- a: -1\n",           // a sign
		"- a: .inf\n",         // floats
		"- a: 2030-13-01\n",   // not a date
		"- a: \"esc\\n\"\n",   // escapes
		"- a: \"open\n",       // an unclosed quote
		"- a: [x, [y]]\n",     // nested flow
		"- a: [x,\n    y]\n",  // multi-line flow
		"- a: [x, ]\n",        // a trailing comma
		"- a: b: c\n",         // a value in a value
		"- a: b:\n",           // a value ending in ':'
		"- - a\n",             // a sequence in a sequence
		"- a: b\n- c\n",       // two items
		"- a: b\n  - c\n",     // an item after a value
		"- \"quoted\": key\n", // quoted keys
		"- a: b\n c: d\n",     // a broken indentation
		"- a: \"x\" y\n",      // text after a quote
		"- a: Müller\n",       // non-ASCII
		"- a: b\r\n",          // carriage returns
		"- a:\tb\n",           // tabs
		"---\n- a\n",          // document markers
		"- ? a\n  : b\n",      // explicit keys
		"- a: <<\n",           // the merge key
		"- a: {b: [c]}\n",     // nested flow
		"- a: {b}\n",          // a flow key without value
		"- " + strings.Repeat("k", 200) + ": v\n", // a long key
	} {
		src := data
		if _, ok := new(Parser).Item(src, 0, len(src), 1); ok {
			t.Errorf("Item accepted:\n%s", data)
		}
	}
}

func TestDepth(t *testing.T) {
	var b strings.Builder
	for d := range maxDepth + 1 {
		b.WriteString(strings.Repeat(" ", d) + "-\n")
	}
	b.WriteString(strings.Repeat(" ", maxDepth+1) + "- x\n")
	if _, ok := new(Parser).Item(b.String(), 0, b.Len(), 1); ok {
		t.Errorf("Item accepted %d nested sequences", maxDepth+2)
	}
	b.Reset()
	for d := range 50 {
		b.WriteString(strings.Repeat(" ", d) + "-\n")
	}
	b.WriteString(strings.Repeat(" ", 50) + "- x\n")
	if !agree(t, b.String()) {
		t.Error("Item declined 51 nested sequences")
	}
}

func TestBounds(t *testing.T) {
	for _, r := range [][2]int{{-1, 3}, {0, 100}, {3, 2}} {
		if _, ok := new(Parser).Item("- a\n", r[0], r[1], 1); ok {
			t.Errorf("Item accepted the range %v", r)
		}
	}
}

// TestLargeEntry checks a trustee of many users, the entry large files are
// made of.
func TestLargeEntry(t *testing.T) {
	var b strings.Builder
	b.WriteString("  - id: b0000000-0000-4000-8000-000000000000\n    name: Trustee\n    users:\n")
	for u := range 500 {
		fmt.Fprintf(&b, "      - id: c0000000-0000-4000-8000-%012x\n        name: User %d\n        roles: [Claims Agent, Role %d]\n", u, u, u%7)
	}
	if !agree(t, b.String()) {
		t.Fatal("Item declined a large trustee")
	}
}

func FuzzAgreesWithYAMLv3(f *testing.F) {
	for _, seed := range []string{
		"- a\n",
		"- id: c0000001-0000-4000-8000-000000000001\n  name: User 1\n  roles: [Claims Agent, Role 1]\n",
		"- {id: e0000000-0000-4000-8000-000000000001, name: Our User 1}\n",
		"- id: x\n  users:\n  - id: y\n    name: z\n  name: n\n",
		"-\n  key: 'it''s'\n  d: 2030-01-01\n  e: \"q\"\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		agree(t, data)
	})
}

func BenchmarkItem(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("  - id: b0000000-0000-4000-8000-000000000000\n    name: Trustee\n    expires: 2030-01-01\n    users:\n")
	for u := range 25 {
		fmt.Fprintf(&sb, "      - id: c0000000-0000-4000-8000-%012x\n        name: User %d\n        roles: [Claims Agent, Role %d]\n", u, u, u%7)
	}
	data := sb.String()
	b.Run("blockyaml", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		var p Parser
		for b.Loop() {
			if _, ok := p.Item(data, 0, len(data), 1); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("yaml.v3", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if reference(data) == nil {
				b.Fatal("failed")
			}
		}
	})
}

// TestAgreesOnGenerated builds random documents in and near the style
// (random nesting, indentation, spacing, blank lines and tricky scalars)
// and checks the contract on each.
func TestAgreesOnGenerated(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	accepted := 0
	const docs = 3000
	for range docs {
		var b strings.Builder
		g := generator{rng: rng, b: &b}
		g.item(rng.IntN(3)*2, 0)
		if agree(t, b.String()) {
			accepted++
		}
	}
	// Most documents hold a value outside the style somewhere; enough
	// must be inside it for the test to mean something.
	if accepted < docs/10 {
		t.Errorf("only %d of %d generated documents were accepted", accepted, docs)
	}
	t.Logf("%d of %d generated documents accepted", accepted, docs)
}

type generator struct {
	rng *rand.Rand
	b   *strings.Builder
}

var (
	keys    = []string{"id", "name", "roles", "users", "expires", "k_1", "true", "null", "y", "On"}
	scalars = []string{
		"a", "User 1", "Doe, John", "x [y] {z}", "a:b", "a :b", "a - b", "a  b", "yes", "No", "~",
		"null", "TRUE", "false", "2030-01-01", "2030-02-30", "c0000001-0000-4000-8000-000000000001",
		"12345678-ABCD-4000-8000-000000000001", "0b101", "12", "1e3", ".5", "-x", "?x", "%x", "@x",
		"x]", "x}", "x,", "'q'", "'it''s'", `"dq"`, `""`, "''", `"a\"b"`, "x: y", "x:", "<<", "<a",
		"!x", "&a", "*a", "|", ">", "`x", "a'b", `a"b`,
	}
	flowItems = []string{"a", "Claims Agent", "Role 1", "'q'", `"d"`, "x y", "-x", "1", "a:b", "[]", "{}", "true"}
)

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) spaces(n int) string { return strings.Repeat(" ", n) }

// item writes one sequence item at indentation n, depth levels deep.
func (g *generator) item(n, depth int) {
	g.b.WriteString(g.spaces(n) + "-")
	switch r := g.rng.IntN(10); {
	case r < 6 || depth > 3: // a compact mapping
		gap := 1 + g.rng.IntN(2)
		g.b.WriteString(g.spaces(gap))
		g.mapping(n+1+gap, depth, true)
	case r < 8: // a nested block on the next lines
		g.b.WriteString(g.trailing() + "\n")
		inner := n + 1 + g.rng.IntN(3)
		if g.rng.IntN(2) == 0 {
			g.mapping(inner, depth+1, false)
		} else {
			g.sequence(inner, depth+1)
		}
	default: // a scalar or flow value
		g.b.WriteString(" " + g.value() + g.trailing() + "\n")
	}
}

func (g *generator) sequence(n, depth int) {
	for range 1 + g.rng.IntN(3) {
		g.item(n, depth)
		g.blank()
	}
}

// mapping writes a block mapping with keys at indentation m; inline means
// its first key continues the current line.
func (g *generator) mapping(m, depth int, inline bool) {
	for i := range 1 + g.rng.IntN(4) {
		if i > 0 || !inline {
			g.b.WriteString(g.spaces(m))
		}
		g.b.WriteString(g.pick(keys) + ":")
		switch r := g.rng.IntN(10); {
		case r < 6 || depth > 3:
			g.b.WriteString(g.spaces(1+g.rng.IntN(2)) + g.value() + g.trailing() + "\n")
		case r < 8:
			g.b.WriteString(g.trailing() + "\n")
			g.sequence(m+g.rng.IntN(3), depth+1) // indentless when +0
		default:
			g.b.WriteString("\n")
			g.mapping(m+1+g.rng.IntN(3), depth+1, false)
		}
		g.blank()
	}
}

func (g *generator) value() string {
	switch g.rng.IntN(5) {
	case 0:
		items := make([]string, g.rng.IntN(4))
		for i := range items {
			items[i] = g.pick(flowItems)
		}
		return "[" + strings.Join(items, ","+g.spaces(g.rng.IntN(2))) + "]"
	case 1:
		pairs := make([]string, g.rng.IntN(3))
		for i := range pairs {
			pairs[i] = g.pick(keys) + ": " + g.pick(flowItems)
		}
		return "{" + strings.Join(pairs, ", ") + "}"
	}
	return g.pick(scalars)
}

func (g *generator) trailing() string { return g.spaces(g.rng.IntN(3) / 2) }

func (g *generator) blank() {
	if g.rng.IntN(8) == 0 {
		g.b.WriteString(g.spaces(g.rng.IntN(4)) + "\n")
	}
}
