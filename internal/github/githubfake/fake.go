// Package githubfake is a stateful stand-in for the parts of the GitHub
// REST API trustsync's workflows use: the comments of issues and pull
// requests, and the issues of one repository. Tests serve it with
// net/http/httptest and point GITHUB_API_URL at it. It has its own wire
// types, never the client's, so a test cannot pass by sharing a mistake.
package githubfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Comment is a comment on an issue or pull request.
type Comment struct {
	ID    int64
	Login string
	Body  string
}

// Issue is an issue, or a pull request (PullRequest) as the issues
// listing shows it.
type Issue struct {
	Number      int64
	Login       string
	Title       string
	Body        string
	State       string // "open" or "closed"
	Labels      []string
	PullRequest bool
}

// Server is the fake API of one repository. Its zero value is not usable;
// call [New].
type Server struct {
	repo, token string
	// Login is who the token writes as (default "github-actions[bot]").
	Login string

	mu       sync.Mutex
	next     int64
	comments map[int64][]*Comment
	issues   []*Issue
	writes   []string
	problems []string
}

// New returns the fake API of repo ("owner/name") that accepts token.
func New(repo, token string) *Server {
	return &Server{repo: repo, token: token, Login: "github-actions[bot]", next: 100, comments: map[int64][]*Comment{}}
}

var (
	reComments = regexp.MustCompile(`^/issues/(\d+)/comments$`)
	reComment  = regexp.MustCompile(`^/issues/comments/(\d+)$`)
	reIssue    = regexp.MustCompile(`^/issues/(\d+)$`)
)

// wire types, as GitHub writes them.
type wireUser struct {
	Login string `json:"login"`
}

type wireComment struct {
	ID      int64    `json:"id"`
	Body    string   `json:"body"`
	User    wireUser `json:"user"`
	HTMLURL string   `json:"html_url"`
}

type wireIssue struct {
	Number      int64             `json:"number"`
	Title       string            `json:"title"`
	Body        string            `json:"body"`
	State       string            `json:"state"`
	User        wireUser          `json:"user"`
	HTMLURL     string            `json:"html_url"`
	Labels      []map[string]any  `json:"labels"`
	PullRequest map[string]string `json:"pull_request,omitempty"`
}

func (s *Server) url(kind string, n int64) string {
	return "https://github.test/" + s.repo + "/" + kind + "/" + strconv.FormatInt(n, 10)
}

func (s *Server) wireComment(c *Comment) wireComment {
	return wireComment{ID: c.ID, Body: c.Body, User: wireUser{c.Login}, HTMLURL: s.url("comments", c.ID)}
}

func (s *Server) wireIssue(is *Issue) wireIssue {
	w := wireIssue{Number: is.Number, Title: is.Title, Body: is.Body, State: is.State, User: wireUser{is.Login}, HTMLURL: s.url("issues", is.Number), Labels: []map[string]any{}}
	for _, l := range is.Labels {
		w.Labels = append(w.Labels, map[string]any{"name": l})
	}
	if is.PullRequest {
		w.PullRequest = map[string]string{"url": s.url("pulls", is.Number)}
	}
	return w
}

// ServeHTTP answers the API under any base path: /…/repos/{owner}/{name}/….
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	if r.Header.Get("Accept") != "application/vnd.github+json" || r.Header.Get("X-GitHub-Api-Version") == "" {
		s.problems = append(s.problems, fmt.Sprintf("%s %s: no Accept or X-GitHub-Api-Version header", r.Method, r.URL.Path))
	}
	_, path, ok := strings.Cut(r.URL.Path, "/repos/"+s.repo)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	var in map[string]any
	if r.Method != http.MethodGet {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
			return
		}
		s.writes = append(s.writes, r.Method+" "+path)
	}
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	per, _ := strconv.Atoi(q.Get("per_page"))
	str := func(k string) (string, bool) { v, ok := in[k].(string); return v, ok }

	if m := reComments.FindStringSubmatch(path); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		switch r.Method {
		case http.MethodGet:
			var out []wireComment
			for _, c := range paged(s.comments[n], page, per) {
				out = append(out, s.wireComment(c))
			}
			writeJSON(w, http.StatusOK, nonNil(out))
		case http.MethodPost:
			body, ok := str("body")
			if !ok {
				writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "body is required"})
				return
			}
			s.next++
			c := &Comment{ID: s.next, Login: s.Login, Body: body}
			s.comments[n] = append(s.comments[n], c)
			writeJSON(w, http.StatusCreated, s.wireComment(c))
		}
		return
	}
	if m := reComment.FindStringSubmatch(path); m != nil && r.Method == http.MethodPatch {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		for _, cs := range s.comments {
			for _, c := range cs {
				if c.ID == id {
					if body, ok := str("body"); ok {
						c.Body = body
					}
					writeJSON(w, http.StatusOK, s.wireComment(c))
					return
				}
			}
		}
	}
	if path == "/issues" {
		switch r.Method {
		case http.MethodGet:
			var sel []*Issue
			for _, is := range s.issues {
				if st := q.Get("state"); st == "" || st == "all" || st == is.State {
					sel = append(sel, is)
				}
			}
			var out []wireIssue
			for _, is := range paged(sel, page, per) {
				out = append(out, s.wireIssue(is))
			}
			writeJSON(w, http.StatusOK, nonNil(out))
			return
		case http.MethodPost:
			title, _ := str("title")
			body, _ := str("body")
			s.next++
			is := &Issue{Number: s.next, Login: s.Login, Title: title, Body: body, State: "open"}
			if ls, ok := in["labels"].([]any); ok {
				for _, l := range ls {
					if l, ok := l.(string); ok {
						is.Labels = append(is.Labels, l)
					}
				}
			}
			s.issues = append(s.issues, is)
			writeJSON(w, http.StatusCreated, s.wireIssue(is))
			return
		}
	}
	if m := reIssue.FindStringSubmatch(path); m != nil && r.Method == http.MethodPatch {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		for _, is := range s.issues {
			if is.Number == n {
				if v, ok := str("title"); ok {
					is.Title = v
				}
				if v, ok := str("body"); ok {
					is.Body = v
				}
				if v, ok := str("state"); ok {
					is.State = v
				}
				writeJSON(w, http.StatusOK, s.wireIssue(is))
				return
			}
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

func paged[T any](items []T, page, per int) []T {
	if per <= 0 {
		per = 30
	}
	if page <= 0 {
		page = 1
	}
	lo := min((page-1)*per, len(items))
	return items[lo:min(lo+per, len(items))]
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// AddComment adds a comment by login to issue or pull request n and
// returns its id.
func (s *Server) AddComment(n int64, login, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	s.comments[n] = append(s.comments[n], &Comment{ID: s.next, Login: login, Body: body})
	return s.next
}

// AddIssue adds is (its Number is assigned when 0) and returns its number.
func (s *Server) AddIssue(is Issue) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is.Number == 0 {
		s.next++
		is.Number = s.next
	}
	if is.State == "" {
		is.State = "open"
	}
	s.issues = append(s.issues, &is)
	return is.Number
}

// Comments returns the comments of issue or pull request n, oldest first.
func (s *Server) Comments(n int64) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Comment, 0, len(s.comments[n]))
	for _, c := range s.comments[n] {
		out = append(out, *c)
	}
	return out
}

// Issues returns every issue, in creation order.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, 0, len(s.issues))
	for _, is := range s.issues {
		c := *is
		c.Labels = slices.Clone(is.Labels)
		out = append(out, c)
	}
	return out
}

// Writes returns "METHOD PATH" (PATH below the repository) of every
// request that wrote, in order.
func (s *Server) Writes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.writes)
}

// Problems returns what requests did wrong (missing headers), for tests
// to assert is empty.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.problems)
}
