package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/trustsync/trustsync/internal/github"
)

// githubCmd is what the workflows and the composite Action call to talk to
// GitHub. It is hidden from the usage: people run it through action.yml.
type githubCmd struct {
	Comment githubCommentCmd `cmd:"" help:"Create or update the pull request's plan comment (found by its hidden marker)."`
	Summary githubSummaryCmd `cmd:"" help:"Append Markdown to the job summary ($GITHUB_STEP_SUMMARY)."`
	Issue   githubIssueCmd   `cmd:"" help:"Keep one issue per key open with a body, or close it (--close)."`
}

// githubAPI is the connection every githubCmd talks to GitHub through.
type githubAPI struct {
	Author string `default:"github-actions[bot]" placeholder:"LOGIN" help:"Only comments and issues by this login are found and edited (default: the login of GITHUB_TOKEN)."`
}

func (g githubAPI) client(e *env) (*github.Client, error) {
	c, err := github.New(github.Config{
		APIURL:     e.getenv(github.EnvAPIURL),
		Token:      e.getenv(github.EnvToken),
		Repository: e.getenv(github.EnvRepository),
		UserAgent:  "trustsync/" + e.version,
	})
	if err != nil {
		return nil, &exitError{code: 1, err: err}
	}
	return c, nil
}

// readBody reads a --body-file ("-" for stdin).
func readBody(e *env, path string) (string, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(e.stdin, 1<<20))
	} else {
		data, err = os.ReadFile(resolvePath(e.workDir, path))
	}
	if err != nil {
		return "", &exitError{code: 1, err: fmt.Errorf("read the body: %w", err)}
	}
	return string(data), nil
}

func printResult(e *env, what string, r github.Result) error {
	line := fmt.Sprintf("trustsync: %s %s", what, r.Outcome)
	if r.ID > 0 {
		line += fmt.Sprintf(" (%d)", r.ID)
	}
	if r.URL != "" {
		line += " " + r.URL
	}
	_, err := fmt.Fprintln(e.stdout, line)
	return err
}

type githubCommentCmd struct {
	BodyFile string `name:"body-file" required:"" placeholder:"FILE" help:"Markdown of the comment, normally 'trustsync plan --format markdown' output; - for stdin."`
	Target   string `placeholder:"NAME" help:"Keep a separate comment for this target (org) when one pull request plans several."`
	PR       int    `name:"pr" placeholder:"N" help:"Pull request number (default: from $GITHUB_EVENT_PATH)."`
	githubAPI
}

func (c *githubCommentCmd) Run(e *env) error {
	body, err := readBody(e, c.BodyFile)
	if err != nil {
		return err
	}
	pr := c.PR
	if pr == 0 {
		if pr, err = github.PullRequestNumber(e.getenv(github.EnvEventPath)); err != nil {
			return &exitError{code: 1, err: err}
		}
	}
	gh, err := c.client(e)
	if err != nil {
		return err
	}
	res, err := gh.UpsertComment(e.ctx, github.CommentRequest{PR: pr, Target: c.Target, Body: body, Author: c.Author})
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	return printResult(e, fmt.Sprintf("plan comment on pull request #%d", pr), res)
}

type githubSummaryCmd struct {
	BodyFile string `name:"body-file" required:"" placeholder:"FILE" help:"Markdown to append; - for stdin."`
}

func (c *githubSummaryCmd) Run(e *env) error {
	body, err := readBody(e, c.BodyFile)
	if err != nil {
		return err
	}
	if err := github.AppendSummary(e.getenv(github.EnvStepSummary), body); err != nil {
		return &exitError{code: 1, err: err}
	}
	return nil
}

type githubIssueCmd struct {
	Key          string   `required:"" placeholder:"KEY" help:"Names the issue, e.g. drift/northwind: one open issue per key."`
	Title        string   `placeholder:"TITLE" help:"Title of the issue (required unless --close)."`
	BodyFile     string   `name:"body-file" placeholder:"FILE" help:"Markdown of the issue (required unless --close); - for stdin."`
	Label        []string `placeholder:"LABEL" help:"Label of a new issue; repeatable."`
	Close        bool     `help:"Close the key's open issue, if there is one, instead."`
	CloseComment string   `name:"close-comment" placeholder:"TEXT" default:"Resolved: trustsync found nothing to report any more." help:"Comment posted when closing."`
	githubAPI
}

func (c *githubIssueCmd) Validate() error {
	switch {
	case c.Close && (c.BodyFile != "" || c.Title != ""):
		return fmt.Errorf("--close takes no --title or --body-file")
	case !c.Close && (c.BodyFile == "" || strings.TrimSpace(c.Title) == ""):
		return fmt.Errorf("give --title and --body-file to open or update the issue, or --close")
	}
	return github.CheckKey(c.Key)
}

func (c *githubIssueCmd) Run(e *env) error {
	req := github.IssueRequest{Key: c.Key, Open: !c.Close, Title: c.Title, Labels: c.Label, CloseComment: c.CloseComment, Author: c.Author}
	if !c.Close {
		body, err := readBody(e, c.BodyFile)
		if err != nil {
			return err
		}
		req.Body = body
	}
	gh, err := c.client(e)
	if err != nil {
		return err
	}
	res, err := gh.SyncIssue(e.ctx, req)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	return printResult(e, "issue "+c.Key, res)
}
