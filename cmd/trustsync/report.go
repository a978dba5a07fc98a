package main

import (
	"bytes"
	"fmt"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/export"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/report"
)

// reportCmd writes the access review of the home org.
type reportCmd struct {
	Format  string   `enum:"markdown,json,csv" default:"markdown" help:"Output format: markdown (for a GitHub issue), json (docs/report.md) or csv (for a spreadsheet)."`
	Out     string   `short:"o" name:"out" placeholder:"FILE" help:"Write to FILE instead of stdout; refused when FILE exists, unless --force."`
	Force   bool     `help:"Let -o replace an existing file."`
	Files   []string `short:"f" name:"file" sep:"none" placeholder:"PATH" help:"Desired-state files to compare with: flags users and trusts they do not list, and roles of policy.forbiddenRoles. Repeatable."`
	NoAudit bool     `name:"no-audit" help:"Do not read the audit log (no last changes)."`

	connFlags `embed:""`
}

// Run reads both directions of live state, the users' trust details and
// the audit log, and writes the review.
func (c *reportCmd) Run(e *env) (err error) {
	if c.Force && c.Out == "" {
		return &exitError{code: 1, err: fmt.Errorf("--force only applies with -o FILE")}
	}
	var cfg *config.Config
	region := ""
	if len(c.Files) > 0 {
		if cfg, _, err = loadConfig(e, c.Files); err != nil {
			return err
		}
		if cfg.Organization != nil {
			region = cfg.Organization.Region
		}
	}
	api, closeConn, err := c.connect(e, region)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	defer func() {
		if cerr := closeConn(); cerr != nil && err == nil {
			err = &exitError{code: 1, err: cerr}
		}
	}()
	sc := live.Scope{Trustees: true, TrusteeGroups: true, Trustors: true, TrustorGroups: true}
	if cfg != nil && cfg.Organization != nil {
		sc.PinOrgID = cfg.Organization.ID
	}
	st, err := live.Read(e.ctx, api, sc)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("read live state: %w", err)}
	}
	r, err := report.Build(e.ctx, api, st, report.Options{Now: e.clock()(), Config: cfg, NoAudit: c.NoAudit})
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	var out bytes.Buffer
	switch c.Format {
	case "json":
		err = report.WriteJSON(&out, r)
	case "csv":
		err = report.WriteCSV(&out, r)
	default:
		err = report.WriteMarkdown(&out, r)
	}
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("render the report: %w", err)}
	}
	if r.AuditNote != "" {
		fmt.Fprintf(e.stderr, "trustsync: warning: %s\n", r.AuditNote)
	}
	if c.Out == "" {
		if _, err := e.stdout.Write(out.Bytes()); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("write the report: %w", err)}
		}
		return nil
	}
	if err := export.WriteFile(resolvePath(e.workDir, c.Out), out.Bytes(), c.Force); err != nil {
		return &exitError{code: 1, err: err}
	}
	ft, fu, fg := r.Flagged()
	fmt.Fprintf(e.stderr, "trustsync: wrote the access review of %s to %s (%d trusts, %d users and %d groups to look at)\n", orgLabel(st.Org), c.Out, ft, fu, fg)
	return nil
}
