package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/trustsync/trustsync/internal/permission"
	"github.com/trustsync/trustsync/internal/sandbox"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"trustsync": main,
	})
}

// TestScripts runs the CLI scripts in testdata/script. Each script is a small
// story told through the real binary; see testscript's documentation.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: false,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"fakegithub":   fakeGitHub(),
			"actionstep":   actionStep,
			"sandboxstate": sandboxState,
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}

// sandboxState writes a sandbox state file from the demo fixture in which
// the home org's OAuth client holds every permission trustsync uses except
// the ones named:
//
//	sandboxstate STATE-FILE PERMISSION...
//
// A later --sandbox run in the directory that holds .trustsync/ loads it.
func sandboxState(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: sandboxstate STATE-FILE PERMISSION...")
	}
	path := ts.MkAbs(args[0])
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		ts.Fatalf("%v", err)
	}
	fx := sandbox.DemoFixture()
	perms := []string{}
	for _, r := range permission.Rules() {
		for _, p := range r.Permissions {
			if !slices.Contains(perms, p) && !slices.Contains(args[1:], p) {
				perms = append(perms, p)
			}
		}
	}
	fx.Orgs[0].Clients[0].Permissions = perms
	srv, err := sandbox.New(fx, sandbox.Options{StatePath: path})
	if err != nil {
		ts.Fatalf("sandbox: %v", err)
	}
	if err := srv.Close(); err != nil {
		ts.Fatalf("write sandbox state: %v", err)
	}
}
