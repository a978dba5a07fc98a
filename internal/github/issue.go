package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// issueMarker is the first line that identifies the issue for key.
func issueMarker(key string) string { return "<!-- trustsync-issue: " + key + " -->" }

type issue struct {
	Number      int64  `json:"number"`
	Title       string `json:"title"`
	Body        string `json:"body"`
	State       string `json:"state"`
	User        user   `json:"user"`
	HTMLURL     string `json:"html_url"`
	PullRequest *struct {
		URL string `json:"url"`
	} `json:"pull_request"`
}

// IssueRequest is an issue to keep open (Open) or to close.
type IssueRequest struct {
	// Key names the issue (see [CheckKey]), e.g. "drift/northwind".
	Key string
	// Open keeps the issue open with Title, Body and Labels; false closes
	// it with CloseComment, if it is open.
	Open   bool
	Title  string
	Body   string
	Labels []string
	// CloseComment is posted on the issue before it is closed.
	CloseComment string
	// Author is the login whose issue may be edited ([DefaultAuthor] when
	// empty).
	Author string
}

// SyncIssue keeps one open issue per key: with req.Open it updates the
// open issue by req.Author whose body starts with the key's marker, or
// opens one; otherwise it comments on that issue and closes it. It calls
// GET /repos/{owner}/{repo}/issues, then POST or PATCH on the issue (and
// POST on its comments when closing).
func (c *Client) SyncIssue(ctx context.Context, req IssueRequest) (Result, error) {
	if err := CheckKey(req.Key); err != nil {
		return Result{}, err
	}
	if req.Open && req.Title == "" {
		return Result{}, fmt.Errorf("issue %s: a title is required", req.Key)
	}
	author := req.Author
	if author == "" {
		author = DefaultAuthor
	}
	marker := issueMarker(req.Key)
	var found *issue
	err := list(ctx, c, "/issues", url.Values{"state": {"open"}}, func(is issue) {
		// The issues listing includes pull requests; they are never ours.
		if found == nil && is.Number > 0 && is.PullRequest == nil && is.State == "open" &&
			is.User.Login == author && firstLine(is.Body) == marker {
			found = &is
		}
	})
	if err != nil {
		return Result{}, fmt.Errorf("find the %s issue: %w", req.Key, err)
	}

	if !req.Open {
		if found == nil {
			return Result{Outcome: NoneOpen}, nil
		}
		num := strconv.FormatInt(found.Number, 10)
		if req.CloseComment != "" {
			var cm comment
			if err := c.do(ctx, http.MethodPost, "/issues/"+num+"/comments", nil, map[string]string{"body": req.CloseComment}, &cm); err != nil {
				return Result{}, fmt.Errorf("comment on issue #%s: %w", num, err)
			}
		}
		var got issue
		if err := c.do(ctx, http.MethodPatch, "/issues/"+num, nil, map[string]string{"state": "closed", "state_reason": "completed"}, &got); err != nil {
			return Result{}, fmt.Errorf("close issue #%s: %w", num, err)
		}
		if got.Number != found.Number || got.State != "closed" {
			return Result{}, fmt.Errorf("close issue #%s: GitHub did not confirm it is closed (state %q)", num, got.State)
		}
		return Result{Outcome: Closed, ID: got.Number, URL: got.HTMLURL}, nil
	}

	body := withMarker(marker, req.Body)
	if found != nil && found.Body == body && found.Title == req.Title {
		return Result{Outcome: Unchanged, ID: found.Number, URL: found.HTMLURL}, nil
	}
	var got issue
	if found != nil {
		num := strconv.FormatInt(found.Number, 10)
		if err := c.do(ctx, http.MethodPatch, "/issues/"+num, nil, map[string]string{"title": req.Title, "body": body}, &got); err != nil {
			return Result{}, fmt.Errorf("update issue #%s: %w", num, err)
		}
		if got.Number != found.Number {
			return Result{}, fmt.Errorf("update issue #%s: GitHub answered with issue #%d", num, got.Number)
		}
		return Result{Outcome: Updated, ID: got.Number, URL: got.HTMLURL}, nil
	}
	in := map[string]any{"title": req.Title, "body": body}
	if len(req.Labels) > 0 {
		in["labels"] = req.Labels
	}
	if err := c.do(ctx, http.MethodPost, "/issues", nil, in, &got); err != nil {
		return Result{}, fmt.Errorf("open the %s issue: %w", req.Key, err)
	}
	if got.Number <= 0 {
		return Result{}, fmt.Errorf("open the %s issue: %w", req.Key, errNoID)
	}
	return Result{Outcome: Created, ID: got.Number, URL: got.HTMLURL}, nil
}
