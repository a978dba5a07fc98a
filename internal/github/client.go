// Package github is the part of trustsync that talks to GitHub for its
// workflows and composite Action: it keeps one pull-request comment per plan
// up to date (found again by a hidden marker line), keeps one issue per
// key open while something needs attention (drift, an access review) and
// closes it when nothing does, and appends to the job summary.
//
// It uses the REST API through net/http with the token the workflow gives
// it (GITHUB_TOKEN). The token is sent only to the configured API base URL
// and never appears in an error or on any output. Every answer is treated
// as untrusted: bodies are bounded, identifiers checked, and only comments
// and issues written by the expected author are ever edited.
package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/printable"
)

// Environment variables a workflow run provides.
const (
	EnvToken       = "GITHUB_TOKEN"
	EnvRepository  = "GITHUB_REPOSITORY"
	EnvAPIURL      = "GITHUB_API_URL"
	EnvStepSummary = "GITHUB_STEP_SUMMARY"
	EnvEventPath   = "GITHUB_EVENT_PATH"
)

// DefaultAPIURL is GitHub.com's REST API, used when GITHUB_API_URL is unset.
const DefaultAPIURL = "https://api.github.com"

// DefaultAuthor is the login GITHUB_TOKEN writes as. Only comments and
// issues by the configured author are found and edited.
const DefaultAuthor = "github-actions[bot]"

// Limits on what is read from the API.
const (
	maxBody  = 8 << 20 // bytes of one answer
	perPage  = 100
	maxPages = 50 // 5,000 comments or issues
)

// Config is how to reach the API.
type Config struct {
	// APIURL is the REST API base URL (GITHUB_API_URL); https, or http
	// for a loopback address. Empty means [DefaultAPIURL].
	APIURL string
	// Token authenticates every request (GITHUB_TOKEN). Required.
	Token string
	// Repository is "owner/name" (GITHUB_REPOSITORY). Required.
	Repository string
	// HTTPClient sends the requests; nil means one with a 30 s timeout.
	HTTPClient *http.Client
	// UserAgent is sent with every request; empty means "trustsync".
	UserAgent string
}

// Client talks to one repository's issues and comments.
type Client struct {
	base      *url.URL
	token     string
	owner     string
	name      string
	hc        *http.Client
	userAgent string
}

var repoPart = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, fmt.Errorf("no GitHub token: set %s (in a workflow: env: %s: ${{ github.token }})", EnvToken, EnvToken)
	}
	owner, name, ok := strings.Cut(cfg.Repository, "/")
	if !ok || !repoPart.MatchString(owner) || !repoPart.MatchString(name) || owner == "." || owner == ".." || name == "." || name == ".." {
		return nil, fmt.Errorf("%s must be owner/name, got %q", EnvRepository, printable.String(cfg.Repository))
	}
	raw := strings.TrimRight(strings.TrimSpace(cfg.APIURL), "/")
	if raw == "" {
		raw = DefaultAPIURL
	}
	base, err := url.Parse(raw)
	if err != nil || base.Host == "" || base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("%s must be an absolute URL without credentials, query or fragment, got %q", EnvAPIURL, printable.String(raw))
	}
	switch base.Scheme {
	case "https":
	case "http":
		if !isLoopback(base.Hostname()) {
			return nil, fmt.Errorf("%s: plain http is allowed only for a loopback address, got %q", EnvAPIURL, printable.String(raw))
		}
	default:
		return nil, fmt.Errorf("%s must use https, got %q", EnvAPIURL, printable.String(raw))
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	// Never follow a redirect: it could carry the token to another host.
	hcCopy := *hc
	hcCopy.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ua := cfg.UserAgent
	if ua == "" {
		ua = "trustsync"
	}
	return &Client{base: base, token: cfg.Token, owner: owner, name: name, hc: &hcCopy, userAgent: ua}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// APIError is a non-2xx answer.
type APIError struct {
	Method, Path string
	Status       int
	// Message is GitHub's "message", made printable and cut short.
	Message string
}

func (e *APIError) Error() string {
	msg := ""
	if e.Message != "" {
		msg = ": " + e.Message
	}
	hint := ""
	switch e.Status {
	case http.StatusUnauthorized:
		hint = "\nhint: the token was refused; check " + EnvToken
	case http.StatusForbidden, http.StatusNotFound:
		hint = "\nhint: give the workflow's token the permission it needs (pull-requests: write for comments, issues: write for issues)"
	}
	return fmt.Sprintf("GitHub %s %s: %d %s%s%s", e.Method, e.Path, e.Status, http.StatusText(e.Status), msg, hint)
}

// do sends one request to path (relative to the repository, e.g.
// "/issues/3/comments") with an optional JSON body and decodes a 2xx JSON
// answer into out (when non-nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + "/repos/" + url.PathEscape(c.owner) + "/" + url.PathEscape(c.name) + path
	u.RawQuery = query.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("GitHub %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", c.userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// url.Error names the URL, which holds no secret.
		return fmt.Errorf("GitHub %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("GitHub %s %s: read answer: %w", method, path, err)
	}
	if len(data) > maxBody {
		return fmt.Errorf("GitHub %s %s: answer larger than %d bytes", method, path, maxBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		msg := e.Message
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: printable.String(msg)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("GitHub %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// list calls each for every item of every page of a listing; past
// maxPages pages it fails rather than let the caller act on a partial view.
func list[T any](ctx context.Context, c *Client, path string, query url.Values, each func(T)) error {
	for page := 1; ; page++ {
		if page > maxPages {
			return fmt.Errorf("GitHub GET %s: more than %d pages; refusing to act on a partial listing", path, maxPages)
		}
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("per_page", strconv.Itoa(perPage))
		q.Set("page", strconv.Itoa(page))
		var items []T
		if err := c.do(ctx, http.MethodGet, path, q, nil, &items); err != nil {
			return err
		}
		for _, it := range items {
			each(it)
		}
		if len(items) < perPage {
			return nil
		}
	}
}

// user is the author of a comment or issue.
type user struct {
	Login string `json:"login"`
}

// errNoID is returned when an answer lacks the identifier it must have.
var errNoID = errors.New("answer has no id")
