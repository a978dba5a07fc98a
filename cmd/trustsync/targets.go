package main

import (
	"encoding/json"
	"fmt"

	"github.com/trustsync/trustsync/internal/targets"
)

// targetsCmd lists the org directories of a repository of many orgs as one
// line of JSON, for a CI job matrix.
type targetsCmd struct {
	Dir          string `arg:"" optional:"" default:"." placeholder:"DIR" help:"Directory to search (default: the working directory)."`
	ChangedSince string `name:"changed-since" placeholder:"REF" help:"Only the org directories with a file changed since the merge base of REF and HEAD (git diff --name-only REF...)."`
}

func (c *targetsCmd) Run(e *env) error {
	root := resolvePath(e.workDir, c.Dir)
	list, err := targets.Find(root)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	if c.ChangedSince != "" {
		if list, err = targets.Changed(e.ctx, root, c.ChangedSince, list); err != nil {
			return &exitError{code: 1, err: err}
		}
	}
	data, err := json.Marshal(list)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("encode the targets: %w", err)}
	}
	if _, err := fmt.Fprintf(e.stdout, "%s\n", data); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("write the targets: %w", err)}
	}
	return nil
}
