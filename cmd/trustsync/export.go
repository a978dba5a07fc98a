package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustsync/trustsync/internal/export"
	"github.com/trustsync/trustsync/internal/live"
)

// exportCmd writes live state as a desired-state file.
type exportCmd struct {
	Out      string   `short:"o" name:"out" placeholder:"FILE" help:"Write to FILE instead of stdout; refused when FILE exists, unless --force."`
	Force    bool     `help:"Let -o replace an existing file."`
	Sections []string `name:"section" enum:"trustees,trustors" placeholder:"SECTION" help:"Export only this section, trustees or trustors (repeatable). Default: both."`

	connFlags `embed:""`
}

// Run reads live state with the same strict reads as plan and writes the
// configuration that matches it.
func (c *exportCmd) Run(e *env) (err error) {
	if c.Force && c.Out == "" {
		return &exitError{code: 1, err: fmt.Errorf("--force only applies with -o FILE")}
	}
	sec := export.Sections{Trustees: true, Trustors: true}
	if len(c.Sections) > 0 {
		sec = export.Sections{Trustees: slices.Contains(c.Sections, "trustees"), Trustors: slices.Contains(c.Sections, "trustors")}
	}
	api, closeConn, err := c.connect(e, "")
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	defer func() {
		if cerr := closeConn(); cerr != nil && err == nil {
			err = &exitError{code: 1, err: cerr}
		}
	}()
	st, err := live.Read(e.ctx, api, live.Scope{
		Trustees: sec.Trustees, TrusteeGroups: sec.Trustees,
		Trustors: sec.Trustors, TrustorGroups: sec.Trustors,
	})
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("read live state: %w", err)}
	}
	ex := export.FromLive(st, c.knownRegion(e), sec)
	data, err := ex.Encode()
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	if c.Out == "" {
		if _, err := e.stdout.Write(data); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("write the export: %w", err)}
		}
		return nil
	}
	if err := export.WriteFile(resolvePath(e.workDir, c.Out), data, c.Force); err != nil {
		return &exitError{code: 1, err: err}
	}
	fmt.Fprintf(e.stderr, "trustsync: wrote %d trustees and %d trustors of %s to %s\nhint: review it, then 'trustsync plan -f %s' shows no changes\n",
		len(ex.Config.Trustees), len(ex.Config.Trustors), orgLabel(st.Org), c.Out, c.Out)
	return nil
}

// knownRegion is the region the connection was made to when a region (not
// a URL) chose it, for organization.region; "" otherwise.
func (c *exportCmd) knownRegion(e *env) string {
	if c.Sandbox || c.APIURL != "" {
		return ""
	}
	if r := strings.TrimSpace(c.Region); r != "" {
		return r
	}
	if e.getenv == nil || strings.TrimSpace(e.getenv(envAPIURL)) != "" {
		return ""
	}
	return strings.TrimSpace(e.getenv(envRegion))
}
