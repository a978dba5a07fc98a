package github

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const testToken = "ghs_test-token-value"

// fakeGitHub is a stateful stand-in for the parts of the GitHub REST API
// this package uses: issue (and pull request) comments and issues of one
// repository. It checks the token on every request and records each
// mutation.
type fakeGitHub struct {
	t    *testing.T
	mu   sync.Mutex
	repo string
	next int64
	// comments by issue number, in creation order.
	comments map[int64][]*comment
	issues   []*issue
	// writes are "METHOD PATH" of every mutation.
	writes []string
	// login is who the token writes as.
	login string
}

func newFake(t *testing.T) (*fakeGitHub, *Client) {
	t.Helper()
	f := &fakeGitHub{t: t, repo: "acme/trusts", next: 100, comments: map[int64][]*comment{}, login: DefaultAuthor}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(Config{APIURL: srv.URL + "/api/v3", Token: testToken, Repository: f.repo})
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

var (
	reComments     = regexp.MustCompile(`^/issues/(\d+)/comments$`)
	reComment      = regexp.MustCompile(`^/issues/comments/(\d+)$`)
	reIssue        = regexp.MustCompile(`^/issues/(\d+)$`)
	fakeRepoPrefix = "/api/v3/repos/acme/trusts"
)

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	if r.Header.Get("X-GitHub-Api-Version") == "" || r.Header.Get("Accept") != "application/vnd.github+json" {
		f.t.Errorf("%s %s: missing API version or Accept header", r.Method, r.URL)
	}
	path, ok := strings.CutPrefix(r.URL.Path, fakeRepoPrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	var in map[string]any
	if r.Body != nil && r.Method != http.MethodGet {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, `{"message":"Problems parsing JSON"}`, http.StatusBadRequest)
			return
		}
		f.writes = append(f.writes, r.Method+" "+path)
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	switch m := reComments.FindStringSubmatch(path); {
	case m != nil && r.Method == http.MethodGet:
		n, _ := strconv.ParseInt(m[1], 10, 64)
		writeJSON(w, paged(f.comments[n], page, per))
		return
	case m != nil && r.Method == http.MethodPost:
		n, _ := strconv.ParseInt(m[1], 10, 64)
		f.next++
		cm := &comment{ID: f.next, Body: in["body"].(string), User: user{Login: f.login}, HTMLURL: "https://github.test/c/" + strconv.FormatInt(f.next, 10)}
		f.comments[n] = append(f.comments[n], cm)
		w.WriteHeader(http.StatusCreated)
		writeJSON(w, cm)
		return
	}
	if m := reComment.FindStringSubmatch(path); m != nil && r.Method == http.MethodPatch {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		for _, cs := range f.comments {
			for _, cm := range cs {
				if cm.ID == id {
					cm.Body = in["body"].(string)
					writeJSON(w, cm)
					return
				}
			}
		}
		http.NotFound(w, r)
		return
	}
	if path == "/issues" {
		switch r.Method {
		case http.MethodGet:
			var open []*issue
			for _, is := range f.issues {
				if is.State == r.URL.Query().Get("state") {
					open = append(open, is)
				}
			}
			writeJSON(w, paged(open, page, per))
		case http.MethodPost:
			f.next++
			is := &issue{Number: f.next, Title: in["title"].(string), Body: in["body"].(string), State: "open", User: user{Login: f.login}}
			f.issues = append(f.issues, is)
			w.WriteHeader(http.StatusCreated)
			writeJSON(w, is)
		}
		return
	}
	if m := reIssue.FindStringSubmatch(path); m != nil && r.Method == http.MethodPatch {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		for _, is := range f.issues {
			if is.Number == n {
				if v, ok := in["title"].(string); ok {
					is.Title = v
				}
				if v, ok := in["body"].(string); ok {
					is.Body = v
				}
				if v, ok := in["state"].(string); ok {
					is.State = v
				}
				writeJSON(w, is)
				return
			}
		}
	}
	http.NotFound(w, r)
}

func paged[T any](items []T, page, per int) []T {
	if per <= 0 {
		per = 30
	}
	if page <= 0 {
		page = 1
	}
	lo := min((page-1)*per, len(items))
	hi := min(lo+per, len(items))
	return append([]T{}, items[lo:hi]...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// addComment puts a comment by login on issue n directly.
func (f *fakeGitHub) addComment(n int64, login, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.comments[n] = append(f.comments[n], &comment{ID: f.next, Body: body, User: user{Login: login}})
}

func (f *fakeGitHub) bodies(n int64) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.comments[n] {
		out = append(out, c.Body)
	}
	return out
}

func (f *fakeGitHub) writeLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.writes)
}
