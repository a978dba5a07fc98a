package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/planfile"
	"github.com/trustsync/trustsync/internal/render"
)

// showCmd renders a saved plan, offline: no credentials, no connection.
type showCmd struct {
	PlanFile string `arg:"" name:"planfile" placeholder:"PLANFILE" help:"A plan saved with 'trustsync plan --out'."`
	Format   string `enum:"text,markdown,json" default:"text" help:"Output format: text, markdown (for a pull request comment) or json (docs/plan-format.md)."`
}

// Run reads and checks the plan file (a hand-edited one is refused, as
// apply refuses it), writes the plan to stdout exactly as plan would have
// in that format, and says on stderr what the file records about where
// and how it was made.
func (c *showCmd) Run(e *env) error {
	f, err := planfile.Read(resolvePath(e.workDir, c.PlanFile))
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	p, err := f.Document.Plan()
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("plan file %s: %w", c.PlanFile, err)}
	}
	var out bytes.Buffer
	switch c.Format {
	case "json":
		err = render.JSON(&out, p)
	case "markdown":
		err = render.Markdown(&out, p)
	default:
		color := e.isTerminal != nil && e.isTerminal(e.stdout) && e.getenv("NO_COLOR") == ""
		err = render.Text(&out, p, render.TextOptions{Color: color})
	}
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("render plan: %w", err)}
	}
	m := f.Meta
	b := m.Build
	made := "trustsync " + b.Version
	if b.Commit != "" {
		made += " (commit " + b.Commit + ")"
	}
	if b.GoVersion != "" {
		made += " built with " + b.GoVersion
	}
	state := f.SandboxStatePath()
	if state != "" {
		state = relativeToWorkDir(e.workDir, state)
	}
	org := live.Org{ID: f.Document.Organization.ID, Name: f.Document.Organization.Name}
	fmt.Fprintf(e.stderr, "trustsync: %s is a plan for %s, made against %s by %s from %s (relative to the plan file)\n",
		c.PlanFile, orgLabel(org), describeConnection(m.Connection, state), made, strings.Join(m.Files, ", "))
	if _, err := e.stdout.Write(out.Bytes()); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("write plan: %w", err)}
	}
	return nil
}
