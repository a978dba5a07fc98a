package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/trustsync/trustsync/internal/permission"
	"github.com/trustsync/trustsync/internal/sandbox"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"trustsync": func() { os.Exit(mainWithClock(testClock())) },
	})
}

// testClockVar pins the clock of the trustsync a story runs, so that a
// story about expiry windows or days left reads the same every day:
// `env TRUSTSYNC_TEST_NOW=2026-12-01T00:00:00Z`. The variable exists only in
// this test binary; the real one always uses the system clock.
const testClockVar = "TRUSTSYNC_TEST_NOW"

// testClock returns the clock a story asked for, or time.Now.
func testClock() func() time.Time {
	v := os.Getenv(testClockVar)
	if v == "" {
		return time.Now
	}
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q: %v\n", testClockVar, v, err)
		os.Exit(2)
	}
	start := time.Now()
	return func() time.Time { return at.Add(time.Since(start)) }
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
