// Package run is trustsync's orchestration. For one [Target] (an
// organization: its desired-state files, its endpoint and credentials) it
// loads and checks the configuration, reads live state, plans (naming on
// each change, when asked, the latest audit entry about its object), and,
// when asked, applies, verifies and records. It returns data (the plan, each
// change's result, the verification, the record) and reports progress
// through a [Reporter]; it prints nothing and never asks anything, so a
// terminal front end (cmd/trustsync) and unattended ones use it alike.
// Nothing in it is global: running several targets in one invocation is
// calling [Plan] once per target.
//
// Data flows one way: config → plan (with live state read through the
// client) → apply → run → cmd.
package run

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/plan"
)

// Target is one organization to plan or apply.
type Target struct {
	// Files are the desired-state files or directories as the user gave
	// them (recorded so in saved plans and apply records); relative ones
	// are resolved against Dir.
	Files []string
	Dir   string
	// Connect opens the API connection once the configuration is loaded;
	// region is its organization.region ("" when none), for the endpoint
	// when nothing else names one. The client it returns bounds the
	// requests in flight for reads, writes and read-backs alike.
	Connect func(ctx context.Context, region string) (*Conn, error)
	// Now is the clock the configuration is checked and live state read
	// by (expiry windows, pairing lifetimes); nil means time.Now.
	Now func() time.Time
}

// clock returns the target's clock.
func (t Target) clock() func() time.Time {
	if t.Now == nil {
		return time.Now
	}
	return t.Now
}

// Conn is an open API connection.
type Conn struct {
	Client *client.Client
	// Close releases the connection (an in-process sandbox saves its
	// state); nil when there is nothing to release.
	Close func() error
}

// Paths returns the target's files resolved against Dir.
func (t Target) Paths() []string {
	out := make([]string, len(t.Files))
	for i, f := range t.Files {
		out[i] = t.path(f)
	}
	return out
}

func (t Target) path(f string) string {
	if filepath.IsAbs(f) || t.Dir == "" {
		return f
	}
	return filepath.Join(t.Dir, f)
}

// Reporter receives progress; [Plan] and [Planned.Apply] need one (it may
// ignore everything). Calls of one method are never concurrent, and each
// should return quickly: ChangeEnded runs while apply holds its lock.
type Reporter interface {
	// Loaded is called once the configuration is loaded, with all its
	// diagnostics (before [Plan] returns a [*ConfigError] for errors).
	Loaded(diags config.Diagnostics)
	// Reading is called after every request of a read of live state (the
	// plan's, and verification's).
	Reading(p live.Progress)
	// Read is called when the plan's read of live state is done.
	Read(s ReadStats)
	// ChangeEnded is called as each change of an apply ends.
	ChangeEnded(r apply.ChangeResult)
}

// ReadStats describe a read of live state.
type ReadStats struct {
	Org      live.Org
	Duration time.Duration
	Requests int64
	Retries  int64
	// Tokens counts the traffic of each token of the client's pool.
	Tokens []client.TokenStats
}

// ConfigError is returned when the configuration has errors: nothing was
// read or changed. The diagnostics were passed to [Reporter.Loaded].
type ConfigError struct {
	Diags config.Diagnostics
}

func (e *ConfigError) Error() string {
	n, _ := e.Diags.Count()
	return fmt.Sprintf("the configuration has %d error(s); nothing was read or changed", n)
}

// PlanError is returned when the configuration cannot be planned against
// live state (the organization pin does not match, a role is unknown, ...).
// Err holds the located problems ([plan.Problems] lists them).
type PlanError struct {
	Err error
	// Org is the organization the credentials belong to.
	Org plan.Org
}

func (e *PlanError) Error() string { return "cannot plan: " + e.Err.Error() }
func (e *PlanError) Unwrap() error { return e.Err }

// Planned is a target whose plan has been computed. It holds the open
// connection: call Close when done.
type Planned struct {
	Target Target
	// Start is when planning began; apply records count from it.
	Start  time.Time
	Config *config.Config
	// Diags are the configuration's diagnostics (warnings only).
	Diags  config.Diagnostics
	Client *client.Client
	Live   *live.State
	Plan   *plan.Plan
	// ConfigDigest and Fingerprint identify the plan's inputs, for saved
	// plans and records.
	ConfigDigest string
	Fingerprint  string
	ReadTime     time.Duration
	// Attribution says what attributing the plan's changes did; zero when
	// PlanOptions.Attribute was off or the plan has no changes.
	Attribution Attribution

	close func() error
}

// Close releases the connection. It is safe to call more than once.
func (p *Planned) Close() error {
	if p == nil || p.close == nil {
		return nil
	}
	f := p.close
	p.close = nil
	if err := f(); err != nil {
		return fmt.Errorf("close connection: %w", err)
	}
	return nil
}

// Plan loads the target's configuration, connects, reads live state
// (checking the organization pin right after organizations/me, before
// anything else is read) and computes the plan, attributing its changes
// when opts ask (see [PlanOptions]). On error nothing is left open.
func Plan(ctx context.Context, t Target, opts PlanOptions, rep Reporter) (*Planned, error) {
	start := t.clock()()
	cfg, diags, err := Load(ctx, t, start, rep)
	if err != nil {
		return nil, err
	}
	// The configuration's diagnostics are made: only the positions the
	// plan cites are kept while live state is read.
	plan.TrimPositions(cfg)
	region := ""
	if cfg.Organization != nil {
		region = cfg.Organization.Region
	}
	if t.Connect == nil {
		return nil, errors.New("target has no connection")
	}
	conn, err := t.Connect(ctx, region)
	if err != nil {
		return nil, err
	}
	p := &Planned{
		Target:       t,
		Start:        start,
		Config:       cfg,
		Diags:        diags,
		Client:       conn.Client,
		ConfigDigest: cfg.Digest(),
		close:        conn.Close,
	}
	readStart := time.Now()
	st, pl, err := readAndCompute(ctx, conn.Client, cfg, t.clock(), rep)
	p.ReadTime = time.Since(readStart)
	if err != nil {
		return nil, errors.Join(err, p.Close())
	}
	// The files' warnings are part of the plan a reviewer reads.
	pl.AddFileWarnings(diags)
	p.Live, p.Plan, p.Fingerprint = st, pl, st.Fingerprint()
	stats := conn.Client.Stats()
	rep.Read(ReadStats{Org: st.Org, Duration: p.ReadTime, Requests: stats.Requests, Retries: stats.Retries, Tokens: stats.Tokens})
	if opts.Attribute {
		p.attribute(ctx)
	}
	return p, nil
}

// Load loads and checks the target's configuration as of now, passes every
// diagnostic to rep.Loaded, and returns a [*ConfigError] when there are
// errors. [Plan] starts with it; commands that read live state without
// planning use it alone.
func Load(ctx context.Context, t Target, now time.Time, rep Reporter) (*config.Config, config.Diagnostics, error) {
	cfg, diags := config.Load(ctx, t.Paths(), now)
	rep.Loaded(diags)
	if diags.HasErrors() || cfg == nil {
		return nil, diags, &ConfigError{Diags: diags}
	}
	return cfg, diags, nil
}

// scope returns what live state the configuration needs read: what it
// manages and, once the live trusts are known, what plan's checks need
// (the pairings of the trusts to create, never of those that exist, and
// our users that trustors entries would add).
func scope(cfg *config.Config) live.Scope {
	s := live.Scope{Trustees: cfg.ManageTrustees, Trustors: cfg.ManageTrustors,
		TrusteeGroups: plan.ManagesTrusteeGroups(cfg), TrustorGroups: plan.ManagesTrustorGroups(cfg),
		Then: func(st *live.State) live.Checks { return plan.ChecksToRead(cfg, st) }}
	if cfg.Organization != nil {
		s.PinOrgID = cfg.Organization.ID
	}
	return s
}

// readAndCompute reads the live state cfg manages and computes the plan.
func readAndCompute(ctx context.Context, api live.API, cfg *config.Config, now func() time.Time, rep Reporter) (*live.State, *plan.Plan, error) {
	sc := scope(cfg)
	sc.Now = now
	sc.Progress = rep.Reading
	st, err := live.Read(ctx, api, sc)
	if err != nil {
		var pe *live.PinError
		if errors.As(err, &pe) && cfg.Organization != nil {
			return nil, nil, &PlanError{Err: plan.PinMismatch(cfg.Organization, pe.Got), Org: plan.Org{ID: pe.Got.ID, Name: pe.Got.Name}}
		}
		return nil, nil, fmt.Errorf("read live state: %w", err)
	}
	p, err := plan.Compute(cfg, st)
	if err != nil {
		return nil, nil, &PlanError{Err: err, Org: plan.Org{ID: st.Org.ID, Name: st.Org.Name}}
	}
	return st, p, nil
}
