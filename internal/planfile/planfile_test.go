package planfile

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/version"
)

const (
	homeID     = "a0000000-0000-4000-8000-000000000001"
	bluebirdID = "b0000000-0000-4000-8000-000000000002"
	copperID   = "c0000000-0000-4000-8000-000000000003"
)

func testPlan() *plan.Plan {
	enabled := true
	exp := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	agent := plan.Role{ID: "a1000000-0000-4000-8000-000000000002", Name: "Claims Agent"}
	viewer := plan.Role{ID: "a1000000-0000-4000-8000-000000000004", Name: "Reporting Viewer"}
	p := &plan.Plan{
		Organization: plan.Org{ID: homeID, Name: "Northwind Insurance"},
		Changes: []plan.Change{
			{
				Action: plan.Delete, Kind: plan.KindTrusteeUser,
				Address:   "trustee[Bluebird Outsourcing b000…].user[Ben Baker b200…]",
				TrusteeID: bluebirdID, TrustorID: homeID, UserID: "b2000000-0000-4000-8000-000000000003",
				Before: &plan.Value{Name: "Ben Baker", Roles: []plan.Role{viewer}},
				Effect: plan.Narrow, Reason: "not in configuration",
			},
			{
				Action: plan.Update, Kind: plan.KindTrustee,
				Address:   "trustee[Bluebird Outsourcing b000…]",
				TrusteeID: bluebirdID, TrustorID: homeID,
				Before: &plan.Value{Name: "Bluebird Outsourcing", Enabled: &enabled},
				After:  &plan.Value{Name: "Bluebird Outsourcing", Enabled: &enabled, Expires: &exp},
				Effect: plan.Narrow, Reason: "expiry changed",
			},
			{
				Action: plan.Create, Kind: plan.KindTrusteeUser,
				Address:   "trustee[Bluebird Outsourcing b000…].user[Bella Byrne b200…]",
				TrusteeID: bluebirdID, TrustorID: homeID, UserID: "b2000000-0000-4000-8000-000000000002",
				After:  &plan.Value{Name: "Bella Byrne", Roles: []plan.Role{agent}},
				Effect: plan.Widen, Reason: "not live",
			},
			{
				Action: plan.Create, Kind: plan.KindTrustorUser,
				Address:   "trustor[Copperfield Consulting c000…].user[Priya Patel a200…]",
				TrusteeID: homeID, TrustorID: copperID, UserID: "a2000000-0000-4000-8000-000000000003",
				After:  &plan.Value{Name: "Priya Patel"},
				Effect: plan.Widen, Reason: "not live",
			},
		},
		Protected: []plan.Protected{{Kind: plan.KindTrustee, Address: "trustee[Genesys Customer Care d000…]",
			TrusteeID: "d0000000-0000-4000-8000-000000000004", TrustorID: homeID,
			Name: "Genesys Customer Care", Reason: "Genesys Customer Care trust"}},
		Warnings: []plan.Warning{{Severity: diag.Warning, Message: "trust expires soon <soon>", Pos: diag.Pos{File: "trusts.yaml", Line: 3, Col: 5}}},
		Managed:  9,
		Removals: 1,
		Lost:     plan.Lost{Deleted: 1},
	}
	plan.Link(p.Changes)
	p.Changes[0].Attribution = &plan.Attribution{By: "Ada", ByKind: "user", ByID: "u1", At: exp.AddDate(-1, 0, 0), Action: "Update"}
	return p
}

// testMeta is the metadata of a plan file written to dir, with its paths
// as Write takes them.
func testMeta(dir string) Meta {
	return Meta{
		Build:           version.Info{Version: "v1.2.3", Commit: strings.Repeat("ab", 20), GoVersion: "go1.26.0", Platform: "linux/amd64"},
		ConfigDigest:    "3f1a000000000000000000000000000000000000000000000000000000000001",
		LiveFingerprint: "9c2b000000000000000000000000000000000000000000000000000000000002",
		Files:           []string{filepath.Join(dir, "trusts.yaml"), filepath.Join(dir, "more", "trusts.yaml")},
		Connection:      Connection{Kind: ConnSandbox, SandboxState: filepath.Join(dir, ".trustsync", "sandbox.json")},
	}
}

// storedMeta is testMeta as a file read back holds it: paths relative to
// the plan file's directory.
func storedMeta() Meta {
	m := testMeta("")
	m.Files = []string{"trusts.yaml", "more/trusts.yaml"}
	m.Connection.SandboxState = ".trustsync/sandbox.json"
	return m
}

func writeTest(t *testing.T) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.json")
	if err := Write(path, testPlan(), testMeta(dir)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

func TestRoundTrip(t *testing.T) {
	path, data := writeTest(t)
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != path || f.FormatVersion != FormatVersion {
		t.Errorf("path %q version %q", f.Path, f.FormatVersion)
	}
	if !reflect.DeepEqual(f.Meta, storedMeta()) {
		t.Errorf("meta = %+v, want %+v", f.Meta, storedMeta())
	}
	if len(f.PlanDigest) != 64 {
		t.Errorf("plan digest %q is not a hex SHA-256", f.PlanDigest)
	}
	same, err := f.SamePlan(testPlan())
	if err != nil || !same {
		t.Fatalf("SamePlan(original) = %v, %v", same, err)
	}
	if d, err := DigestPlan(testPlan()); err != nil || d != digest(f.raw) {
		t.Errorf("DigestPlan = %q, %v; want the digest of the saved plan document", d, err)
	}
	if d, err := f.Difference(testPlan()); d != "" || err != nil {
		t.Errorf("Difference(original) = %q, %v", d, err)
	}
	if d := f.Document; d.Organization.ID != homeID || d.RemovalGuard.Managed != 9 || d.RemovalGuard.Removals != 1 ||
		len(d.Changes) != 4 || d.Changes[0].Attribution == nil {
		t.Errorf("plan document lost data: %+v", d)
	}

	// Attribution is not part of the comparison: who last touched an
	// object does not change what the plan does.
	other := testPlan()
	other.Changes[0].Attribution.By = "someone else"
	other.Changes[1].Attribution = &plan.Attribution{By: "ci", ByKind: "client", ByID: "c1", Action: "Add"}
	if same, err := f.SamePlan(other); err != nil || !same {
		t.Errorf("SamePlan(other attribution) = %v, %v; want true", same, err)
	}
	if d, err := f.Difference(other); d != "" || err != nil {
		t.Errorf("Difference(other attribution) = %q, %v", d, err)
	}
	if d1, _ := DigestPlan(other); d1 != digest(f.raw) {
		t.Error("DigestPlan depends on attribution")
	}
	other.Changes[0].Reason = "changed"
	if same, _ := f.SamePlan(other); same {
		t.Error("SamePlan ignores a changed reason")
	}

	// The file is indented JSON with the members in the documented order.
	var order []string
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	wantOrder := "format_version trustsync config_digest live_fingerprint files connection plan plan_digest"
	if strings.Join(order, " ") != wantOrder {
		t.Errorf("members %v, want %s", order, wantOrder)
	}
	if !bytes.HasSuffix(data, []byte("}\n")) || !bytes.Contains(data, []byte("\n  \"plan\": {\n    \"format_version\": \"2\",")) {
		t.Errorf("file is not indented as documented:\n%s", data)
	}
	if !bytes.Contains(data, []byte("<soon>")) {
		t.Error("HTML characters are escaped in the file")
	}

	// Writing the same plan again gives the same bytes.
	dir2 := t.TempDir()
	path2 := filepath.Join(dir2, "again.json")
	if err := Write(path2, testPlan(), testMeta(dir2)); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(path2)
	if !bytes.Equal(again, data) {
		t.Error("writing the same plan twice gave different files")
	}
}

func TestFileMode(t *testing.T) {
	path, _ := writeTest(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("mode %v, want 0600", mode)
	}
}

func TestSamePlanDetectsChanges(t *testing.T) {
	path, _ := writeTest(t)
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*plan.Plan)
		want string
	}{
		{"extra change", func(p *plan.Plan) { p.Changes = append(p.Changes, p.Changes[0]) }, "the saved plan has 4 changes, the current plan has 5"},
		{"fewer changes", func(p *plan.Plan) { p.Changes = p.Changes[:3] }, "the saved plan has 4 changes, the current plan has 3"},
		{"other role", func(p *plan.Plan) { p.Changes[2].After.Roles[0].ID = "a1000000-0000-4000-8000-000000000006" }, "change 3 (create trustee[Bluebird Outsourcing b000…].user[Bella Byrne b200…]) differs in its detail"},
		{"other action", func(p *plan.Plan) { p.Changes[1].Action = plan.Delete; p.Changes[1].After = nil }, "change 2 differs: the saved plan will update"},
		{"later expiry", func(p *plan.Plan) { t := p.Changes[1].After.Expires.AddDate(1, 0, 0); p.Changes[1].After.Expires = &t }, "change 2 (update"},
		{"warning", func(p *plan.Plan) { p.Warnings = nil }, "warnings or counts differ"},
		{"removals", func(p *plan.Plan) { p.Removals = 3 }, "counts differ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testPlan()
			tc.mod(p)
			same, err := f.SamePlan(p)
			if err != nil || same {
				t.Fatalf("SamePlan = %v, %v; want false", same, err)
			}
			d, err := f.Difference(p)
			if err != nil || !strings.Contains(d, tc.want) {
				t.Errorf("Difference = %q, %v; want %q", d, err, tc.want)
			}
		})
	}
	bad := testPlan()
	bad.Changes[0].Kind = "team"
	if _, err := f.SamePlan(bad); err == nil {
		t.Error("SamePlan accepted a plan it cannot render")
	}
}

// TestTamper changes every byte of a saved plan, one at a time, and expects
// each change to be refused.
func TestTamper(t *testing.T) {
	path, data := writeTest(t)
	caught := 0
	for i := range data {
		mod := bytes.Clone(data)
		mod[i] = flip(mod[i])
		_, err := parse(path, mod)
		if err == nil {
			line := bytes.Count(data[:i], []byte("\n")) + 1
			t.Fatalf("byte %d (line %d, %q → %q) changed without Read noticing", i, line, data[i], mod[i])
		}
		if strings.Contains(err.Error(), "was modified after it was written") {
			caught++
		}
	}
	// Most single-byte edits keep the JSON valid; the digest must be what
	// refuses them, not a parse error.
	if caught < len(data)/2 {
		t.Errorf("the digest caught only %d of %d edits", caught, len(data))
	}
	t.Logf("%d of %d single-byte edits caught by the digest, the rest by parsing", caught, len(data))
}

// flip returns a different byte of the same class, so that most changes
// keep the JSON valid and only the digest can catch them.
func flip(b byte) byte {
	switch {
	case b >= '0' && b <= '8', b >= 'a' && b <= 'y', b >= 'A' && b <= 'Y':
		return b + 1
	case b == '9':
		return '0'
	case b == 'z', b == 'Z':
		return b - 1
	}
	return b ^ 0x01
}

func TestModifiedMessage(t *testing.T) {
	path, data := writeTest(t)
	mod := bytes.Replace(data, []byte(`"action": "delete"`), []byte(`"action": "create"`), 1)
	if err := os.WriteFile(path, mod, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path)
	want := "plan file " + path + " was modified after it was written; run plan again"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}

	// Re-indenting keeps the content, and the digest.
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "\t"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err != nil {
		t.Errorf("re-indented file refused: %v", err)
	}
}

// rewrite builds a file from members and a correct digest.
func rewrite(t *testing.T, path string, members map[string]json.RawMessage) {
	t.Helper()
	body, err := json.Marshal(members)
	if err != nil {
		t.Fatal(err)
	}
	canon, err := canonical(body)
	if err != nil {
		t.Fatal(err)
	}
	members[digestMember] = json.RawMessage(`"` + digest(canon) + `"`)
	body, err = json.Marshal(members)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReadRefuses(t *testing.T) {
	_, data := writeTest(t)
	members := func() map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		setup func(path string)
		want  string
	}{
		{"missing", func(p string) { _ = os.Remove(p) }, "read plan file: open"},
		{"empty", func(p string) { write(t, p, "") }, "is empty"},
		{"truncated", func(p string) { write(t, p, string(data[:len(data)/2])) }, "unexpected end of input (the file is truncated or empty)"},
		{"truncated by one byte", func(p string) { write(t, p, string(data[:len(data)-2])) }, "truncated"},
		{"not JSON", func(p string) { write(t, p, "{\n  \"format_version\": 1 2\n}") }, "is not valid JSON: line 2, column"},
		{"array", func(p string) { write(t, p, "[1, 2]") }, "not a trustsync plan file: it holds a JSON array"},
		{"no version", func(p string) {
			m := members()
			delete(m, "format_version")
			rewrite(t, p, m)
		}, "has no format_version"},
		{"unknown version", func(p string) {
			m := members()
			m["format_version"] = json.RawMessage(`"3"`)
			rewrite(t, p, m)
		}, `has format version "3", which this trustsync does not read (it reads "2")`},
		{"version 1", func(p string) {
			m := members()
			m["format_version"] = json.RawMessage(`"1"`)
			rewrite(t, p, m)
		}, `was written by an older trustsync (saved-plan format "1", whose paths only work where plan ran); run plan --out again`},
		{"no files", func(p string) {
			m := members()
			m["files"] = json.RawMessage(`[]`)
			rewrite(t, p, m)
		}, "names no configuration files; run plan --out again"},
		{"unknown connection", func(p string) {
			m := members()
			m["connection"] = json.RawMessage(`{"kind": "carrier pigeon"}`)
			rewrite(t, p, m)
		}, `connection: unknown connection kind "carrier pigeon"`},
		{"credentials in the URL", func(p string) {
			m := members()
			m["connection"] = json.RawMessage(`{"kind": "api_url", "api_url": "https://id:secret@api.example"}`)
			rewrite(t, p, m)
		}, "without credentials"},
		{"numeric version", func(p string) { write(t, p, `{"format_version": 1}`) }, "format_version must be a string"},
		{"no digest", func(p string) {
			m := members()
			delete(m, digestMember)
			body, _ := json.Marshal(m)
			write(t, p, string(body))
		}, "has no plan_digest"},
		{"unknown plan version", func(p string) {
			m := members()
			m["plan"] = json.RawMessage(strings.Replace(string(m["plan"]), `"format_version": "2"`, `"format_version": "7"`, 1))
			rewrite(t, p, m)
		}, `format_version "7" is not supported`},
		{"plan version 1", func(p string) {
			m := members()
			m["plan"] = json.RawMessage(strings.Replace(string(m["plan"]), `"format_version": "2"`, `"format_version": "1"`, 1))
			rewrite(t, p, m)
		}, `format_version "1" was written by an older trustsync and lacks the order of changes; run plan again`},
		{"no plan", func(p string) {
			m := members()
			delete(m, "plan")
			rewrite(t, p, m)
		}, "has no plan"},
		{"no fingerprint", func(p string) {
			m := members()
			m["live_fingerprint"] = json.RawMessage(`""`)
			rewrite(t, p, m)
		}, "has no live_fingerprint"},
		{"wrong type", func(p string) {
			m := members()
			m["files"] = json.RawMessage(`"trusts.yaml"`)
			rewrite(t, p, m)
		}, "cannot unmarshal string"},
		{"unknown action", func(p string) {
			m := members()
			m["plan"] = json.RawMessage(strings.Replace(string(m["plan"]), `"action": "delete"`, `"action": "purge"`, 1))
			rewrite(t, p, m)
		}, `unknown action "purge"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "plan.json")
			write(t, p, string(data))
			tc.setup(p)
			_, err := Read(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(path, []byte("old content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, testPlan(), testMeta(dir)); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"plan.json"}) {
		t.Errorf("directory holds %v after writing, want only plan.json", names)
	}
	if _, err := Read(path); err != nil {
		t.Fatalf("overwritten file: %v", err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("overwritten file has mode %v, want 0600", fi.Mode().Perm())
	}

	// Failures leave nothing behind.
	target := filepath.Join(dir, "a-directory")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(target, testPlan(), testMeta(dir)); err == nil {
		t.Error("writing over a directory succeeded")
	}
	if err := Write(filepath.Join(dir, "missing", "plan.json"), testPlan(), testMeta(dir)); err == nil ||
		!strings.Contains(err.Error(), "write plan file") {
		t.Errorf("writing into a missing directory: %v", err)
	}
	bad := testPlan()
	bad.Changes[0].Effect = 9
	if err := Write(filepath.Join(dir, "bad.json"), bad, testMeta(dir)); err == nil {
		t.Error("wrote a plan that cannot be rendered")
	}
	if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"a-directory", "plan.json"}) {
		t.Errorf("failed writes left %v", names)
	}
}

func TestWriteNeedsMeta(t *testing.T) {
	dir := t.TempDir()
	full := testMeta(dir)
	for name, mod := range map[string]func(*Meta){
		"no configuration digest":   func(m *Meta) { m.ConfigDigest = "" },
		"no live state fingerprint": func(m *Meta) { m.LiveFingerprint = "" },
		"no configuration files":    func(m *Meta) { m.Files = nil },
		"unknown connection kind":   func(m *Meta) { m.Connection = Connection{} },
		"needs sandbox_state":       func(m *Meta) { m.Connection.SandboxState = "" },
		"needs region":              func(m *Meta) { m.Connection = Connection{Kind: ConnRegion} },
		"without credentials":       func(m *Meta) { m.Connection = Connection{Kind: ConnAPIURL, APIURL: "https://u:p@api.example"} },
	} {
		m := full
		mod(&m)
		err := Write(filepath.Join(dir, "plan.json"), testPlan(), m)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error = %v, want one saying %s", err, name)
		}
	}
}

// TestTravels moves a plan file together with its configuration and reads
// it from elsewhere: the paths it records are relative to the plan file.
func TestTravels(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	for _, f := range []string{"orgs/a/trusts.yaml", "orgs/a/more/trusts.yaml"} {
		p := filepath.Join(repo, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, p, "version: 1\n")
	}
	meta := testMeta(filepath.Join(repo, "orgs", "a"))
	if err := os.MkdirAll(filepath.Join(repo, "plans"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(repo, "plans", "a.plan"), testPlan(), meta); err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(root, "moved")
	if err := os.Rename(repo, moved); err != nil {
		t.Fatal(err)
	}
	f, err := Read(filepath.Join(moved, "plans", "a.plan"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"../orgs/a/trusts.yaml", "../orgs/a/more/trusts.yaml"}; !reflect.DeepEqual(f.Meta.Files, want) {
		t.Errorf("stored files %q, want %q", f.Meta.Files, want)
	}
	paths, err := f.ConfigPaths()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(moved, "orgs", "a", "trusts.yaml"), filepath.Join(moved, "orgs", "a", "more", "trusts.yaml")}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("ConfigPaths = %q, want %q", paths, want)
	}
	if got, want := f.SandboxStatePath(), filepath.Join(moved, "orgs", "a", ".trustsync", "sandbox.json"); got != want {
		t.Errorf("SandboxStatePath = %q, want %q", got, want)
	}

	// A file that is not where the plan says is named, with where it was
	// looked for.
	if err := os.Remove(want[1]); err != nil {
		t.Fatal(err)
	}
	_, err = f.ConfigPaths()
	if err == nil || !strings.Contains(err.Error(), "names the configuration file ../orgs/a/more/trusts.yaml, which is not there: looked for it at "+want[1]) {
		t.Errorf("error = %v", err)
	}
}

func TestConnectionKinds(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []Connection{
		{Kind: ConnRegion, Region: "eu-west-1"},
		{Kind: ConnAPIURL, APIURL: "http://127.0.0.1:9400"},
	} {
		m := testMeta(dir)
		m.Connection = c
		path := filepath.Join(dir, "plan.json")
		if err := Write(path, testPlan(), m); err != nil {
			t.Fatal(err)
		}
		f, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if f.Meta.Connection != c || f.SandboxStatePath() != "" {
			t.Errorf("connection %+v read back as %+v (sandbox state %q)", c, f.Meta.Connection, f.SandboxStatePath())
		}
	}
}
