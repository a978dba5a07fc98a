package main

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/trustsync/trustsync/internal/render"
	"github.com/trustsync/trustsync/internal/run"
)

// planCmd reads live state and shows the changes apply would make.
type planCmd struct {
	Files            []string `short:"f" name:"file" sep:"none" default:"trusts.yaml" placeholder:"PATH" help:"Desired-state file, or a directory whose *.yaml/*.yml files are merged. Repeatable. Default: trusts.yaml in the working directory."`
	Format           string   `enum:"text,markdown,json" default:"text" help:"Output format: text, markdown (for a pull request comment) or json (docs/plan-format.md)."`
	Out              string   `placeholder:"PLANFILE" help:"Also save the plan, with the configuration digest, the live state fingerprint, the files (relative to PLANFILE) and the connection (never credentials), for 'trustsync apply PLANFILE' from any directory. Checked before anything is read: it may not name an input file, and its directory must exist and be writable."`
	DetailedExitcode bool     `name:"detailed-exitcode" help:"Exit 0 when there are no changes, 2 when there are, 1 on error."`
	NoAttribute      bool     `name:"no-attribute" help:"Do not read the audit log to name, on each change, who last changed its object and when."`

	connFlags `embed:""`
}

// Run computes the plan and renders it to stdout. Everything else
// (timings, progress, and diagnostics when the plan fails) goes to stderr,
// so stdout is identical across runs against unchanged live state. When
// the plan fails, the Markdown and JSON formats still write a document
// saying why, so that a pull-request check shows it.
func (c *planCmd) Run(e *env) (err error) {
	t := target(e, c.Files, &c.connFlags)
	if err := run.CheckOutputs(t, nil, run.Output{Flag: "--out", Path: c.Out}); err != nil {
		return &exitError{code: 1, err: err}
	}
	planned, err := planTarget(e, t, run.PlanOptions{Attribute: !c.NoAttribute}, newReporter(e))
	if err != nil {
		return c.writeFailure(e, err)
	}
	defer func() {
		if cerr := planned.Close(); cerr != nil && err == nil {
			err = &exitError{code: 1, err: cerr}
		}
	}()
	p := planned.Shown() // with the attribution warnings; Save writes the plan alone

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
	if _, err := e.stdout.Write(out.Bytes()); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("write plan: %w", err)}
	}

	if c.Out != "" {
		if err := planned.Save(resolvePath(e.workDir, c.Out), e.buildInfo(), c.conn.used); err != nil {
			return &exitError{code: 1, err: err}
		}
		fmt.Fprintf(e.stderr, "trustsync: saved the plan to %s; apply it with 'trustsync apply %s'\n", c.Out, c.Out)
	}

	if c.DetailedExitcode && p.HasChanges() {
		return &exitError{code: 2}
	}
	return nil
}

// writeFailure writes the Markdown or JSON document of a failed plan to
// stdout (the text format writes nothing: the diagnostics are on stderr)
// and returns err, the error that ends the command.
func (c *planCmd) writeFailure(e *env, err error) error {
	var f *planFailure
	if !errors.As(err, &f) || c.Format == "text" {
		return err
	}
	var out bytes.Buffer
	var rerr error
	switch c.Format {
	case "json":
		rerr = render.JSONFailure(&out, f.org, f.diags)
	case "markdown":
		rerr = render.MarkdownFailure(&out, f.org, f.diags)
	}
	if rerr == nil {
		_, rerr = e.stdout.Write(out.Bytes())
	}
	if rerr != nil {
		fmt.Fprintf(e.stderr, "trustsync: write the failed plan's document: %v\n", rerr)
	}
	return err
}
