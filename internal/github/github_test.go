package github

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trustsync/trustsync/internal/github/githubfake"
)

const testToken = "ghs_test-token-value"

// newFake serves a fake GitHub API of acme/trusts under /api/v3, as
// GitHub Enterprise Server does, and returns a client of it.
func newFake(t *testing.T) (*githubfake.Server, *Client) {
	t.Helper()
	f := githubfake.New("acme/trusts", testToken)
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		srv.Close()
		if p := f.Problems(); len(p) > 0 {
			t.Errorf("requests: %q", p)
		}
	})
	c, err := New(Config{APIURL: srv.URL + "/api/v3", Token: testToken, Repository: "acme/trusts"})
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func bodies(cs []githubfake.Comment) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Body)
	}
	return out
}

const (
	planWithChanges = PlanMarker + "\n## trustsync plan for Northwind Insurance\n\n**Plan: 1 to add, 0 to change, 0 to remove.**\n"
	planMoreChanges = PlanMarker + "\n## trustsync plan for Northwind Insurance\n\n**Plan: 2 to add, 0 to change, 1 to remove.**\n"
	planNoChanges   = PlanMarker + "\n## trustsync plan for Northwind Insurance\n\n**No changes.** Live state matches the configuration.\n"
)

func TestUpsertCommentKeepsOneCommentUpToDate(t *testing.T) {
	f, c := newFake(t)
	ctx := context.Background()
	// Enough earlier conversation that the plan comment is on page 2, and
	// a comment by a person that quotes the marker: never ours to edit.
	for range 120 {
		f.AddComment(7, "octocat", "looks good")
	}
	f.AddComment(7, "mallory", planWithChanges)

	steps := []struct {
		body    string
		outcome Outcome
	}{
		{planWithChanges, Created},
		{planMoreChanges, Updated}, // a second run updates the same comment
		{planNoChanges, Updated},   // a run without changes says so in it
		{planNoChanges, Unchanged}, // nothing to write
	}
	var id int64
	for i, s := range steps {
		res, err := c.UpsertComment(ctx, CommentRequest{PR: 7, Body: s.body})
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if res.Outcome != s.outcome {
			t.Errorf("run %d: outcome %q, want %q", i+1, res.Outcome, s.outcome)
		}
		if i == 0 {
			id = res.ID
		} else if res.ID != id {
			t.Errorf("run %d: comment %d, want the same comment %d", i+1, res.ID, id)
		}
	}
	bodies := bodies(f.Comments(7))
	if len(bodies) != 122 {
		t.Fatalf("%d comments on the pull request, want 122 (one plan comment added)", len(bodies))
	}
	if diff := cmp.Diff(planWithChanges, bodies[120]); diff != "" {
		t.Errorf("someone else's comment was edited (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(planNoChanges, bodies[121]); diff != "" {
		t.Errorf("plan comment (-want +got):\n%s", diff)
	}
	want := []string{"POST /issues/7/comments", "PATCH /issues/comments/" + itoa(id), "PATCH /issues/comments/" + itoa(id)}
	if diff := cmp.Diff(want, f.Writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

func TestUpsertCommentOnePerTarget(t *testing.T) {
	f, c := newFake(t)
	ctx := context.Background()
	for _, target := range []string{"northwind", "bluebird", "northwind"} {
		if _, err := c.UpsertComment(ctx, CommentRequest{PR: 3, Target: target, Body: planWithChanges}); err != nil {
			t.Fatal(err)
		}
	}
	got := bodies(f.Comments(3))
	want := []string{
		"<!-- trustsync-plan: northwind -->\n## trustsync plan for Northwind Insurance\n\n**Plan: 1 to add, 0 to change, 0 to remove.**\n",
		"<!-- trustsync-plan: bluebird -->\n## trustsync plan for Northwind Insurance\n\n**Plan: 1 to add, 0 to change, 0 to remove.**\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	// A body without the marker gets it.
	if _, err := c.UpsertComment(ctx, CommentRequest{PR: 4, Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	if got := bodies(f.Comments(4)); len(got) != 1 || got[0] != PlanMarker+"\nhello" {
		t.Errorf("comment without marker: %q", got)
	}
}

func TestSyncIssueLifecycle(t *testing.T) {
	f, c := newFake(t)
	ctx := context.Background()
	// Look-alikes that must be ignored: someone's issue quoting the
	// marker, and a pull request.
	f.AddIssue(githubfake.Issue{Number: 1, Title: "copy", Body: issueMarker("drift/northwind") + "\n", Login: "mallory"})
	f.AddIssue(githubfake.Issue{Number: 2, Title: "pr", Body: issueMarker("drift/northwind") + "\n", Login: DefaultAuthor, PullRequest: true})
	drift := func(body string) IssueRequest {
		return IssueRequest{Key: "drift/northwind", Open: true, Title: "Drift in northwind", Body: body, Labels: []string{"trustsync-drift"}}
	}
	gone := IssueRequest{Key: "drift/northwind", CloseComment: "No drift any more."}
	steps := []struct {
		req     IssueRequest
		outcome Outcome
		sameAs  int // index of the step whose issue this one must act on, -1 for none
	}{
		{gone, NoneOpen, -1},
		{drift(planWithChanges), Created, -1},
		{drift(planWithChanges), Unchanged, 1}, // opened once
		{drift(planMoreChanges), Updated, 1},   // then updated
		{gone, Closed, 1},                      // closed when drift is gone
		{gone, NoneOpen, -1},
		{drift(planWithChanges), Created, -1}, // new drift, new issue
	}
	ids := make([]int64, len(steps))
	for i, s := range steps {
		res, err := c.SyncIssue(ctx, s.req)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		ids[i] = res.ID
		if res.Outcome != s.outcome {
			t.Errorf("step %d: outcome %q, want %q", i, res.Outcome, s.outcome)
		}
		if s.sameAs >= 0 && res.ID != ids[s.sameAs] {
			t.Errorf("step %d: issue #%d, want #%d", i, res.ID, ids[s.sameAs])
		}
	}
	if ids[6] == ids[1] {
		t.Errorf("new drift got the closed issue #%d again", ids[1])
	}
	first := ids[1]
	var states []string
	issues := f.Issues()
	for _, is := range issues {
		states = append(states, itoa(is.Number)+" "+is.State)
	}
	want := []string{"1 open", "2 open", itoa(first) + " closed", itoa(ids[6]) + " open"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("issues (-want +got):\n%s", diff)
	}
	if got := f.Comments(first); len(got) != 1 || got[0].Body != "No drift any more." {
		t.Errorf("closing comment: %+v", got)
	}
	if !slices.Equal(issues[2].Labels, []string{"trustsync-drift"}) {
		t.Errorf("labels %q", issues[2].Labels)
	}
	if issues[2].Body != issueMarker("drift/northwind")+"\n## trustsync plan for Northwind Insurance\n\n**Plan: 2 to add, 0 to change, 1 to remove.**\n" {
		t.Errorf("issue body: %q", issues[2].Body)
	}
}

func TestErrorsNeverShowTheToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"Resource not accessible by integration"}`, http.StatusForbidden)
	}))
	defer srv.Close()
	c, err := New(Config{APIURL: srv.URL, Token: testToken, Repository: "acme/trusts"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpsertComment(context.Background(), CommentRequest{PR: 1, Body: "x"})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusForbidden {
		t.Fatalf("error %v, want a 403 APIError", err)
	}
	msg := err.Error()
	for _, want := range []string{"Resource not accessible by integration", "pull-requests: write"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, testToken) {
		t.Errorf("error shows the token: %q", msg)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed, with Authorization %q", r.Header.Get("Authorization"))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer srv.Close()
	c, err := New(Config{APIURL: srv.URL, Token: testToken, Repository: "acme/trusts"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SyncIssue(context.Background(), IssueRequest{Key: "drift/x"}); err == nil {
		t.Fatal("a redirect was taken for an answer")
	}
}

func TestNewChecksConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for success
	}{
		{"default URL", Config{Token: "t", Repository: "a/b"}, ""},
		{"loopback http", Config{APIURL: "http://127.0.0.1:9/api", Token: "t", Repository: "a/b"}, ""},
		{"no token", Config{Repository: "a/b"}, "GITHUB_TOKEN"},
		{"bad repository", Config{Token: "t", Repository: "a"}, "owner/name"},
		{"traversal", Config{Token: "t", Repository: "../b"}, "owner/name"},
		{"remote http", Config{APIURL: "http://github.example", Token: "t", Repository: "a/b"}, "loopback"},
		{"credentials in URL", Config{APIURL: "https://u:p@github.example", Token: "t", Repository: "a/b"}, "without credentials"},
		{"ftp", Config{APIURL: "ftp://github.example", Token: "t", Repository: "a/b"}, "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckKey(t *testing.T) {
	for key, ok := range map[string]bool{
		"northwind": true, "drift/north-wind_1.x": true, "": false, "-x": false,
		"a b": false, "x-->": false, strings.Repeat("a", 101): false,
	} {
		if err := CheckKey(key); (err == nil) != ok {
			t.Errorf("CheckKey(%q) = %v, want ok=%v", key, err, ok)
		}
	}
}

func TestPullRequestNumber(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, event string
		want        int
		err         string
	}{
		{"pull_request", `{"pull_request":{"number":42}}`, 42, ""},
		{"comment on a pull request", `{"issue":{"number":9,"pull_request":{"url":"x"}}}`, 9, ""},
		{"comment on an issue", `{"issue":{"number":9}}`, 0, "not about a pull request"},
		{"null pull_request", `{"issue":{"number":9,"pull_request":null}}`, 0, "not about a pull request"},
		{"push", `{"ref":"refs/heads/main"}`, 0, "not about a pull request"},
		{"not JSON", `{`, 0, "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tt.event), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := PullRequestNumber(path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
	if _, err := PullRequestNumber(""); err == nil || !strings.Contains(err.Error(), EnvEventPath) {
		t.Errorf("no event path: %v", err)
	}
}

func TestAppendSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	for _, s := range []string{"# one", "two"} {
		if err := AppendSummary(path, s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "# one\ntwo\n" {
		t.Errorf("summary %q", got)
	}
	if err := AppendSummary("", "x"); err == nil || !strings.Contains(err.Error(), EnvStepSummary) {
		t.Errorf("no summary path: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
