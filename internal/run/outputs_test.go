package run_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustsync/trustsync/internal/run"
)

func TestCheckOutputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("version: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("trusts.yaml")
	write("conf/a.yaml")
	write("conf/b.yml")
	write("plan.json")
	if err := os.Symlink("trusts.yaml", filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	tg := run.Target{Files: []string{"trusts.yaml", "conf"}, Dir: dir}

	for _, tc := range []struct {
		name  string
		extra []string
		outs  []run.Output
		want  string // "" for no error
	}{
		{"new file", nil, []run.Output{{"--out", "new.json"}}, ""},
		{"no output", nil, []run.Output{{"--out", ""}}, ""},
		{"existing non-input", nil, []run.Output{{"--out", "plan.json"}}, ""},
		{"the configuration", nil, []run.Output{{"--out", "trusts.yaml"}}, "--out trusts.yaml is the input trusts.yaml"},
		{"another spelling", nil, []run.Output{{"--out", "conf/../trusts.yaml"}}, "is the input trusts.yaml"},
		{"absolute", nil, []run.Output{{"--record", filepath.Join(dir, "trusts.yaml")}}, "is the input trusts.yaml"},
		{"a link to it", nil, []run.Output{{"--out", "link.json"}}, "--out link.json is the input trusts.yaml"},
		{"a file of an input directory", nil, []run.Output{{"--record", "conf/b.yml"}}, "is the input conf/b.yml"},
		{"new yaml in an input directory", nil, []run.Output{{"--out", "conf/new.yaml"}}, "read as configuration"},
		{"new json in an input directory", nil, []run.Output{{"--out", "conf/new.json"}}, ""},
		{"the saved plan", []string{"plan.json"}, []run.Output{{"--record", "plan.json"}}, "--record plan.json is the input plan.json"},
		{"missing directory", nil, []run.Output{{"--record", "no/such/dir/r.json"}}, "--record no/such/dir/r.json cannot be written: directory"},
		{"a directory", nil, []run.Output{{"--out", "conf"}}, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run.CheckOutputs(tg, tc.extra, tc.outs...)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("CheckOutputs: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("CheckOutputs passed; want an error containing %q", tc.want)
			case tc.want != "" && (!strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was read or changed")):
				t.Fatalf("CheckOutputs = %v; want it to contain %q and say nothing was read or changed", err, tc.want)
			}
		})
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 4 {
		t.Errorf("the checks left files behind: %v", ents)
	}
}
