package targets

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	northwind = "version: 1\norganization:\n  id: a0000000-0000-4000-8000-000000000001\n  region: eu-west-1\ntrustees: []\n"
	bluebird  = "version: 1\norganization:\n  id: b0000000-0000-4000-8000-000000000002\n  region: us-east-1\ntrustors: []\n"
)

// writeTree writes files (slash paths relative to dir) into dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"orgs/northwind/trusts.yaml":      northwind,
		"orgs/northwind/more.yml":         "version: 1\ntrustors: []\n",
		"orgs/bluebird/trusts.yaml":       bluebird,
		"orgs/README.md":                  "not yaml",
		"orgs/notes/other.yaml":           "just: a map\n",
		"orgs/empty/empty.yaml":           "",
		".github/workflows/ci.yml":        "version: 1\norganization: {}\n",
		"orgs/northwind/.hidden.yaml":     "version: 1\norganization: {id: x, region: y}\n",
		"orgs/bluebird/testdata/bad.yaml": "version: 1\norganization: {}\n",
	})
	got, err := Find(filepath.Join(dir, "orgs"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.ToSlash(filepath.Join(dir, "orgs"))
	want := []Target{
		{Name: "bluebird", Dir: root + "/bluebird", OrgID: "b0000000-0000-4000-8000-000000000002", Region: "us-east-1",
			Secrets: Secrets{ClientID: "TRUSTSYNC_BLUEBIRD_CLIENT_ID", ClientSecret: "TRUSTSYNC_BLUEBIRD_CLIENT_SECRET"}},
		{Name: "northwind", Dir: root + "/northwind", OrgID: "a0000000-0000-4000-8000-000000000001", Region: "eu-west-1",
			Secrets: Secrets{ClientID: "TRUSTSYNC_NORTHWIND_CLIENT_ID", ClientSecret: "TRUSTSYNC_NORTHWIND_CLIENT_SECRET"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFindRelativeRoot(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"trusts.yaml": northwind})
	t.Chdir(dir)
	got, err := Find(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Dir != "." || got[0].Name != filepath.Base(dir) {
		t.Errorf("got %+v", got)
	}
}

func TestFindErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"no region", map[string]string{"a/t.yaml": "version: 1\norganization:\n  id: x\ntrustees: []\n"},
			[]string{"a: organization.region not set"}},
		{"no pin", map[string]string{"a/t.yaml": "version: 1\ntrustees: []\n"},
			[]string{"organization.id and organization.region not set"}},
		{"two ids", map[string]string{"a/t.yaml": northwind, "a/u.yaml": "version: 1\norganization:\n  id: other\n"},
			[]string{"u.yaml:3:7: organization.id \"other\" differs from \"a0000000-0000-4000-8000-000000000001\" set at"}},
		{"empty id", map[string]string{"a/t.yaml": "version: 1\norganization:\n  id: \"\"\n  region: eu-west-1\n"},
			[]string{"t.yaml:3:7: organization.id must be a non-empty string"}},
		{"same name", map[string]string{"x/prod/t.yaml": northwind, "y/prod/t.yaml": bluebird},
			[]string{`have the same name "prod"`}},
		{"same secrets", map[string]string{"north-wind/t.yaml": northwind, "north_wind/t.yaml": bluebird},
			[]string{"would both use the secrets TRUSTSYNC_NORTH_WIND_CLIENT_ID"}},
		{"bad YAML", map[string]string{"a/t.yaml": "version: [1\n"},
			[]string{"t.yaml: not valid YAML", "hint: run 'trustsync validate"}},
		{"all at once", map[string]string{"a/t.yaml": "version: 1\ntrustees: []\n", "b/t.yaml": "version: 1\ntrustors: []\n"},
			[]string{"a: organization.id", "b: organization.id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			_, err := Find(dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestSecretNames(t *testing.T) {
	for name, want := range map[string]string{"northwind": "TRUSTSYNC_NORTHWIND_CLIENT_ID", "north-wind.eu": "TRUSTSYNC_NORTH_WIND_EU_CLIENT_ID", "Acme2": "TRUSTSYNC_ACME2_CLIENT_ID"} {
		if got := SecretNames(name).ClientID; got != want {
			t.Errorf("SecretNames(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestChanged(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	writeTree(t, dir, map[string]string{"orgs/northwind/trusts.yaml": northwind, "orgs/bluebird/trusts.yaml": bluebird, "README.md": "x"})
	run("init", "-q", "-b", "main")
	run("add", ".")
	run("commit", "-q", "-m", "two orgs")
	run("checkout", "-q", "-b", "change")
	writeTree(t, dir, map[string]string{"orgs/bluebird/trusts.yaml": bluebird + "# a change\n", "README.md": "y"})
	run("commit", "-q", "-am", "change bluebird")

	root := filepath.Join(dir, "orgs")
	all, err := Find(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Changed(context.Background(), root, "main", all)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "bluebird" {
		t.Errorf("changed %+v, want bluebird only", got)
	}
	if got, err := Changed(context.Background(), root, "HEAD", all); err != nil || len(got) != 0 {
		t.Errorf("nothing changed since HEAD: %+v, %v", got, err)
	}
	if _, err := Changed(context.Background(), root, "no-such-ref", all); err == nil || !strings.Contains(err.Error(), "fetch-depth: 0") {
		t.Errorf("unknown ref: %v", err)
	}
	if _, err := Changed(context.Background(), root, "--output=/tmp/x", all); err == nil || !strings.Contains(err.Error(), "not a git revision") {
		t.Errorf("option as ref: %v", err)
	}
}
