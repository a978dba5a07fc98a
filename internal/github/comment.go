package github

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/trustsync/trustsync/internal/render"
)

// PlanMarker is the hidden first line of a Markdown plan; a comment that
// starts with it is the plan's.
const PlanMarker = render.MarkdownMarker

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$`)

// CheckKey reports whether key can name a comment or issue: letters,
// digits, '.', '_', '-' and '/', at most 100, starting with a letter or
// digit.
func CheckKey(key string) error {
	if !keyPattern.MatchString(key) {
		return fmt.Errorf("key %q must be 1 to 100 letters, digits, '.', '_', '-' or '/', starting with a letter or digit", key)
	}
	return nil
}

// commentMarker is the first line that identifies the plan comment for
// target ("" for a repository with one org).
func commentMarker(target string) string {
	if target == "" {
		return PlanMarker
	}
	return "<!-- trustsync-plan: " + target + " -->"
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimRight(line, "\r")
}

// withMarker returns body with marker as its first line, replacing a
// plan's own marker line when body starts with one.
func withMarker(marker, body string) string {
	if first := firstLine(body); first == PlanMarker || first == marker {
		_, rest, _ := strings.Cut(body, "\n")
		return marker + "\n" + rest
	}
	return marker + "\n" + body
}

// Outcome is what a call did.
type Outcome string

// Outcomes.
const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged" // the text was already the same
	Closed    Outcome = "closed"
	NoneOpen  Outcome = "none open" // nothing to close
)

// Result says what was done to which comment or issue.
type Result struct {
	Outcome Outcome
	// ID is the comment id, or the issue number.
	ID  int64
	URL string
}

type comment struct {
	ID      int64  `json:"id"`
	Body    string `json:"body"`
	User    user   `json:"user"`
	HTMLURL string `json:"html_url"`
}

// CommentRequest is a plan comment to create or update.
type CommentRequest struct {
	// PR is the pull request number.
	PR int
	// Target tells the plans of several orgs on one pull request apart;
	// "" when there is one.
	Target string
	// Body is the Markdown, normally a plan from 'trustsync plan --format
	// markdown'; its first line becomes the comment's marker.
	Body string
	// Author is the login whose comment may be updated ([DefaultAuthor]
	// when empty). Comments by anyone else are never touched, whatever
	// they contain.
	Author string
}

// UpsertComment keeps exactly one plan comment for req.Target on the pull
// request: it updates the first comment by req.Author whose first line is
// the marker, or creates one. It calls GET, then PATCH or POST on
// /repos/{owner}/{repo}/issues/{pr}/comments.
func (c *Client) UpsertComment(ctx context.Context, req CommentRequest) (Result, error) {
	if req.PR <= 0 {
		return Result{}, fmt.Errorf("pull request number must be positive, got %d", req.PR)
	}
	if req.Target != "" {
		if err := CheckKey(req.Target); err != nil {
			return Result{}, fmt.Errorf("target: %w", err)
		}
	}
	author := req.Author
	if author == "" {
		author = DefaultAuthor
	}
	marker := commentMarker(req.Target)
	body := withMarker(marker, req.Body)
	path := "/issues/" + strconv.Itoa(req.PR) + "/comments"

	var found *comment
	err := list(ctx, c, path, nil, func(cm comment) {
		if found == nil && cm.ID > 0 && cm.User.Login == author && firstLine(cm.Body) == marker {
			found = &cm
		}
	})
	if err != nil {
		return Result{}, fmt.Errorf("find the plan comment: %w", err)
	}
	if found != nil && found.Body == body {
		return Result{Outcome: Unchanged, ID: found.ID, URL: found.HTMLURL}, nil
	}
	var got comment
	outcome := Created
	if found != nil {
		outcome = Updated
		err = c.do(ctx, http.MethodPatch, "/issues/comments/"+strconv.FormatInt(found.ID, 10), nil, map[string]string{"body": body}, &got)
		if err == nil && got.ID != found.ID {
			err = fmt.Errorf("GitHub answered with comment %d, not %d", got.ID, found.ID)
		}
	} else {
		err = c.do(ctx, http.MethodPost, path, nil, map[string]string{"body": body}, &got)
		if err == nil && got.ID <= 0 {
			err = errNoID
		}
	}
	if err != nil {
		return Result{}, fmt.Errorf("write the plan comment: %w", err)
	}
	return Result{Outcome: outcome, ID: got.ID, URL: got.HTMLURL}, nil
}
