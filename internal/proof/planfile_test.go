package proof

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// mutation is one change to a saved plan's bytes.
type mutation struct {
	kind string // flip, drop or insert
	pos  int
	b    byte // the byte inserted, or the bit mask flipped
}

func (m mutation) String() string { return fmt.Sprintf("%s at byte %d (%#02x)", m.kind, m.pos, m.b) }

func (m mutation) apply(data []byte) []byte {
	out := make([]byte, 0, len(data)+1)
	switch m.kind {
	case "flip":
		out = append(out, data...)
		out[m.pos] ^= m.b
	case "drop":
		out = append(append(out, data[:m.pos]...), data[m.pos+1:]...)
	case "insert":
		out = append(append(append(out, data[:m.pos]...), m.b), data[m.pos:]...)
	}
	return out
}

// maxMutations bounds the mutations of one file, to keep the test fast.
const maxMutations = 1000

// mutations returns flips, drops and insertions spread over every part of
// a file of n bytes: each kind visits every stride-th position, starting
// at an offset that moves along, so that all of the file is covered and
// the three kinds meet different bytes. The flipped bit and the inserted
// byte vary too (every bit, and bytes that matter to JSON: quotes, digits,
// letters, brackets, commas, backslashes, spaces).
func mutations(n int) []mutation {
	inserts := []byte(`"0a}],\ 1{[:-`)
	stride := max(1, 3*n/maxMutations)
	var out []mutation
	for k := 0; k*stride < n; k++ {
		for j, kind := range []string{"flip", "drop", "insert"} {
			i := k*stride + (k+j*stride/3)%stride
			if i >= n {
				continue
			}
			m := mutation{kind: kind, pos: i}
			switch kind {
			case "flip":
				m.b = 1 << ((i + k) % 8)
			case "insert":
				m.b = inserts[(i+k)%len(inserts)]
			}
			out = append(out, m)
		}
	}
	return out
}

// TestPlanFileTampering saves a plan with the CLI, then flips, drops and
// inserts bytes at positions spread over the whole file. Reading the file must refuse every
// change except those that leave its meaning intact (whitespace between
// JSON tokens, which the digest's canonical form ignores); for a sample of
// the refused files, `trustsync apply PLANFILE --auto-approve` must fail
// without a single write, while the untouched file applies.
func TestPlanFileTampering(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	s := newScenario(t, 32, sandbox.Options{}) // a plan of three changes
	dir := filepath.Dir(s.file)
	env := []string{
		"TRUSTSYNC_API_URL=" + s.svc.ts.URL,
		"GENESYSCLOUD_OAUTHCLIENT_ID=" + s.w.creds(s.w.home).ID,
		"GENESYSCLOUD_OAUTHCLIENT_SECRET=" + s.w.creds(s.w.home).Secret,
	}
	if r := runCLI(t, bin, dir, env, "plan", "-f", "trusts.yaml", "--out", "plan.json"); r.code != 0 {
		t.Fatalf("plan --out: exit %d\n%s", r.code, r.stderr)
	}
	orig, err := os.ReadFile(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, wantMeta, err := readPlanFile(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatalf("read the untouched plan file: %v", err)
	}
	if len(want.Changes) == 0 {
		t.Fatal("the plan has no changes; pick a seed whose plan has some")
	}

	// One file, kept open and rewritten in place: creating or truncating
	// a file for each of thousands of mutations is slow on some disks.
	path := filepath.Join(t.TempDir(), "tampered.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var refused []mutation
	accepted := 0
	for _, m := range mutations(len(orig)) {
		data := m.apply(orig)
		if _, err := f.WriteAt(data, 0); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(int64(len(data))); err != nil {
			t.Fatal(err)
		}
		got, meta, err := readPlanFile(path)
		if err != nil {
			refused = append(refused, m)
			continue
		}
		accepted++
		if !whitespaceOnly(orig, data) {
			t.Errorf("%s: the changed plan file was accepted", m)
		}
		if !reflect.DeepEqual(want, got) || !reflect.DeepEqual(meta, wantMeta) {
			t.Errorf("%s: accepted with another meaning (-want +got):\n%s%s", m, cmp.Diff(want, got), cmp.Diff(wantMeta, meta))
		}
	}
	t.Logf("%d bytes, %d changes: %d refused, %d accepted (whitespace only)", len(orig), len(refused)+accepted, len(refused), accepted)

	// Through the CLI, for an evenly spread sample of the refused files.
	const sample = 24
	before, entries := s.svc.writes(), len(s.svc.audit())
	for i := range sample {
		m := refused[i*len(refused)/sample]
		if err := os.WriteFile(filepath.Join(dir, "tampered.json"), m.apply(orig), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, bin, dir, env, "apply", "tampered.json", "--auto-approve", "--allow-removals")
		if r.code != 1 || !strings.Contains(r.stderr, "nothing was changed") {
			t.Errorf("%s: apply exited %d, want 1 with \"nothing was changed\"\nstderr:\n%s", m, r.code, r.stderr)
		}
		if w, n := s.svc.writes(), len(s.svc.audit()); w != before || n != entries {
			t.Fatalf("%s: apply of a tampered plan wrote (%d writes, %d audit entries)", m, w-before, n-entries)
		}
	}
	if r := runCLI(t, bin, dir, env, "apply", "plan.json", "--auto-approve", "--allow-removals"); r.code != 0 || s.svc.writes() == before {
		t.Errorf("the untouched plan did not apply: exit %d, %d writes\n%s", r.code, s.svc.writes()-before, r.stderr)
	}
}

// whitespaceOnly reports whether a and b differ only in JSON whitespace
// outside strings: the same tokens in the same order.
func whitespaceOnly(a, b []byte) bool {
	return string(tokens(a)) == string(tokens(b))
}

// tokens drops the JSON whitespace outside strings.
func tokens(data []byte) []byte {
	var out []byte
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		out = append(out, c)
	}
	return out
}
