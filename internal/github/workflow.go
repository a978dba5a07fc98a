package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// AppendSummary appends markdown and a newline to the job summary file
// (GITHUB_STEP_SUMMARY's value).
func AppendSummary(path, markdown string) error {
	if path == "" {
		return fmt.Errorf("no job summary file: %s is not set (it is, inside a GitHub Actions job)", EnvStepSummary)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open the job summary: %w", err)
	}
	_, werr := f.WriteString(markdown + "\n")
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("write the job summary: %w", err)
	}
	return nil
}

// PullRequestNumber reads the pull request number from the event file a
// workflow run provides (GITHUB_EVENT_PATH): pull_request.number, or
// issue.number for a comment on a pull request.
func PullRequestNumber(eventPath string) (int, error) {
	if eventPath == "" {
		return 0, fmt.Errorf("no event file: %s is not set; pass --pr", EnvEventPath)
	}
	data, err := os.ReadFile(eventPath)
	if err != nil {
		return 0, fmt.Errorf("read the event file: %w", err)
	}
	n, err := pullRequestNumber(data)
	if err != nil {
		return 0, fmt.Errorf("the event in %s: %w", eventPath, err)
	}
	return n, nil
}

// pullRequestNumber decodes an event payload.
func pullRequestNumber(data []byte) (int, error) {
	var ev struct {
		PullRequest *struct {
			Number int `json:"number"`
		} `json:"pull_request"`
		Issue *struct {
			Number      int       `json:"number"`
			PullRequest *struct{} `json:"pull_request"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return 0, fmt.Errorf("decode: %w", err)
	}
	switch {
	case ev.PullRequest != nil && ev.PullRequest.Number > 0:
		return ev.PullRequest.Number, nil
	case ev.Issue != nil && ev.Issue.PullRequest != nil && ev.Issue.Number > 0:
		return ev.Issue.Number, nil
	}
	return 0, errors.New("it is not about a pull request; pass --pr")
}
