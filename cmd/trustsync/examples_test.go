package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustsync/trustsync/internal/sandbox"
	"github.com/trustsync/trustsync/internal/targets"
)

// TestExampleOrgs plans every org directory of examples/orgs against the
// demo sandbox as that org, with the credentials the sandbox prints, the
// way the workflows of this repository do: Northwind's plan has the one
// change its file describes, Bluebird's none.
func TestExampleOrgs(t *testing.T) {
	root := filepath.Join("..", "..", "examples", "orgs")
	list, err := targets.Find(root)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		code int
		line string
	}{
		"bluebird":  {0, "No changes."},
		"northwind": {2, "Plan: 0 to add, 1 to change, 0 to remove."},
	}
	if len(list) != len(want) {
		t.Fatalf("targets %+v, want %d", list, len(want))
	}
	srv, err := sandbox.New(sandbox.DemoFixture(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	}()
	for _, tg := range list {
		t.Run(tg.Name, func(t *testing.T) {
			w, ok := want[tg.Name]
			if !ok {
				t.Fatalf("unexpected target %q", tg.Name)
			}
			vars := map[string]string{envAPIURL: ts.URL, "NO_COLOR": "1"}
			for _, o := range srv.Orgs() {
				if o.ID == tg.OrgID {
					vars[envClientID], vars[envClientSecret] = o.Clients[0].ID, o.Clients[0].Secret
				}
			}
			if vars[envClientID] == "" {
				t.Fatalf("org %s is not a demo org of the sandbox", tg.OrgID)
			}
			var stdout, stderr bytes.Buffer
			e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
				getenv: func(k string) string { return vars[k] }, version: "test", workDir: ".",
				isTerminal: func(any) bool { return false }}
			code := runCLI(context.Background(), []string{"plan", "--detailed-exitcode", "-f", tg.Dir}, e)
			if code != w.code || !strings.Contains(stdout.String(), w.line) {
				t.Errorf("exit %d, want %d, and a plan with %q:\n%s\n%s", code, w.code, w.line, stdout.String(), stderr.String())
			}
		})
	}
}
