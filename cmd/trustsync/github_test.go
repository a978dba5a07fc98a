package main

import (
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/trustsync/trustsync/internal/github/githubfake"
)

// fakeGitHubToken is the token testscript stories hand trustsync; it must
// never appear in any output.
const fakeGitHubToken = "ghs_FAKE-token-never-printed"

// fakeGitHub is the testscript command `fakegithub`:
//
//	fakegithub start OWNER/NAME   serve a fake GitHub API and point GITHUB_* at it
//	fakegithub comments N         print the comments of pull request N
//	fakegithub issues             print every issue
//
// Printed bodies have their newlines as \n, one item a line. Each script
// has its own server; scripts run in parallel.
func fakeGitHub() func(ts *testscript.TestScript, neg bool, args []string) {
	var mu sync.Mutex
	servers := map[*testscript.TestScript]*githubfake.Server{}
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) == 0 {
			ts.Fatalf("usage: fakegithub start OWNER/NAME | comments N | issues")
		}
		mu.Lock()
		srv := servers[ts]
		mu.Unlock()
		if args[0] != "start" && srv == nil {
			ts.Fatalf("fakegithub start first")
		}
		esc := func(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }
		switch args[0] {
		case "start":
			if len(args) != 2 {
				ts.Fatalf("usage: fakegithub start OWNER/NAME")
			}
			srv = githubfake.New(args[1], fakeGitHubToken)
			hs := httptest.NewServer(srv)
			mu.Lock()
			servers[ts] = srv
			mu.Unlock()
			ts.Defer(func() {
				hs.Close()
				mu.Lock()
				delete(servers, ts)
				mu.Unlock()
			})
			ts.Setenv("GITHUB_API_URL", hs.URL)
			ts.Setenv("GITHUB_REPOSITORY", args[1])
			ts.Setenv("GITHUB_TOKEN", fakeGitHubToken)
		case "comments":
			n, err := strconv.ParseInt(args[1], 10, 64)
			ts.Check(err)
			for _, c := range srv.Comments(n) {
				fmt.Fprintf(ts.Stdout(), "comment %d by %s: %s\n", c.ID, c.Login, esc(c.Body))
			}
		case "issues":
			for _, is := range srv.Issues() {
				fmt.Fprintf(ts.Stdout(), "issue %d %s by %s %q %v: %s\n", is.Number, is.State, is.Login, is.Title, is.Labels, esc(is.Body))
				for _, c := range srv.Comments(is.Number) {
					fmt.Fprintf(ts.Stdout(), "  comment by %s: %s\n", c.Login, esc(c.Body))
				}
			}
		default:
			ts.Fatalf("fakegithub: unknown subcommand %q", args[0])
		}
		if p := srv.Problems(); len(p) > 0 {
			ts.Fatalf("requests: %q", p)
		}
	}
}
