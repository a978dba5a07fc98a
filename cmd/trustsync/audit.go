package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/audit"
	"github.com/trustsync/trustsync/internal/client"
)

// auditCmd shows recent changes to trusts from the audit log.
type auditCmd struct {
	Since    string   `default:"7d" placeholder:"WHEN" help:"Oldest change to show: a duration back from now (30m, 1h, 7d) or an RFC 3339 time."`
	Until    string   `placeholder:"WHEN" help:"Show changes before this time (same forms as --since). Default: now."`
	Trustees []string `name:"trustee" placeholder:"ORG_ID" help:"Only trusts this org grants to the trustee org ID (repeatable). It may be a trust that no longer exists."`
	Trustors []string `name:"trustor" placeholder:"ORG_ID" help:"Only trusts the trustor org ID grants this org (repeatable)."`
	Format   string   `enum:"text,json" default:"text" help:"Output format: text (a table) or json (docs/audit.md)."`

	connFlags `embed:""`
}

// Run reads the audit log and prints it, newest first.
func (c *auditCmd) Run(e *env) (err error) {
	now := e.clock()().UTC()
	since, err := audit.ParseWhen(c.Since, now)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("--since: %w", err)}
	}
	until := time.Time{}
	if c.Until != "" {
		if until, err = audit.ParseWhen(c.Until, now); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("--until: %w", err)}
		}
		if !since.Before(until) {
			return &exitError{code: 1, err: fmt.Errorf("--since (%s) must be before --until (%s)", since.Format(time.RFC3339), until.Format(time.RFC3339))}
		}
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

	me, err := api.GetOrganizationMe(e.ctx)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	names := audit.Names{strings.ToLower(me.ID): me.Name}
	q := audit.Query{Home: me.ID, TrusteeIDs: c.Trustees, TrustorIDs: c.Trustors, Since: since, Until: until}
	// The trusts that exist now, in both directions: all of them are read
	// when no trust is named, else they only name the ones that are (a
	// deleted trust's history is read by naming it, and a listing this
	// org may not read then costs only the names).
	all := len(c.Trustees)+len(c.Trustors) == 0
	trustees, err := api.ListTrustees(e.ctx)
	if err != nil && all {
		return &exitError{code: 1, err: err}
	}
	for _, t := range trustees {
		names[strings.ToLower(t.ID)] = auditOrgName(t.Organization)
		if all {
			q.TrusteeIDs = append(q.TrusteeIDs, t.ID)
		}
	}
	trustors, err := api.ListTrustors(e.ctx)
	if err != nil && all {
		return &exitError{code: 1, err: err}
	}
	for _, t := range trustors {
		names[strings.ToLower(t.ID)] = auditOrgName(t.Organization)
		if all {
			q.TrustorIDs = append(q.TrustorIDs, t.ID)
		}
	}
	// Role names make role changes readable; without the permission to
	// list roles, ids do.
	if roles, err := api.ListRoles(e.ctx); err == nil {
		for _, r := range roles {
			names[strings.ToLower(r.ID)] = r.Name
		}
	}

	res, err := audit.Fetch(e.ctx, api, q)
	if err != nil {
		var fe *audit.ForbiddenError
		if errors.As(err, &fe) {
			return &exitError{code: 1, err: fmt.Errorf("%w\nhint: grant the OAuth client a role with %s", err, audit.Permission)}
		}
		return &exitError{code: 1, err: err}
	}
	var out bytes.Buffer
	if c.Format == "json" {
		err = audit.WriteJSON(&out, res.Entries, names, res.Truncated)
	} else {
		err = audit.WriteText(&out, res.Entries, names, res.Truncated)
	}
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("render audit entries: %w", err)}
	}
	if _, err := e.stdout.Write(out.Bytes()); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("write audit entries: %w", err)}
	}
	period := "since " + since.Format(time.RFC3339)
	if !until.IsZero() {
		period += " until " + until.Format(time.RFC3339)
	}
	fmt.Fprintf(e.stderr, "trustsync: read the audit log of %d trustee and %d trustor trusts %s (%d requests)\n",
		len(q.TrusteeIDs), len(q.TrustorIDs), period, res.Queries)
	return nil
}

func auditOrgName(o *client.Organization) string {
	if o == nil {
		return ""
	}
	return o.Name
}
