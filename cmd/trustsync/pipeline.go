package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/plan"
)

// planRun is everything the shared "load, connect, read, diff" routine
// produced. plan and apply both start from one; call close when done.
type planRun struct {
	// files are the configuration paths as given on the command line.
	files []string
	cfg   *config.Config
	// diags are config.Load's diagnostics (warnings only: errors stop
	// preparePlan); they have already been printed to stderr.
	diags  config.Diagnostics
	client *client.Client
	live   *live.State
	plan   *plan.Plan
	// configDigest and fingerprint identify the inputs of the plan, for
	// saved plan files.
	configDigest string
	fingerprint  string
	// readTime is how long reading live state took.
	readTime time.Duration

	closeConn func() error
}

// close releases the connection (and stops an in-process sandbox,
// flushing its state). It is safe to call more than once.
func (r *planRun) close() error {
	if r == nil || r.closeConn == nil {
		return nil
	}
	f := r.closeConn
	r.closeConn = nil
	if err := f(); err != nil {
		return fmt.Errorf("close connection: %w", err)
	}
	return nil
}

// scope returns what live state the configuration needs read.
func scope(cfg *config.Config) live.Scope {
	s := live.Scope{Trustees: cfg.ManageTrustees, Trustors: cfg.ManageTrustors}
	if cfg.Organization != nil {
		s.PinOrgID = cfg.Organization.ID
	}
	return s
}

// preparePlan is the routine plan and apply share: load and check the
// configuration (diagnostics to stderr; errors end it with exit code 1),
// connect, read live state (checking the organization pin right after
// organizations/me, before anything else is read) and compute the plan.
// On success the caller owns the returned run and must close it; on error
// the connection is already closed and the problem already reported, so
// the returned error carries only an exit code.
func preparePlan(e *env, files []string, conn *connFlags) (*planRun, error) {
	cfg, diags, err := loadConfig(e, files)
	if err != nil {
		return nil, err
	}
	region := ""
	if cfg.Organization != nil {
		region = cfg.Organization.Region
	}
	c, closeConn, err := conn.connect(e, region)
	if err != nil {
		return nil, err
	}
	run := &planRun{
		files:        files,
		cfg:          cfg,
		diags:        diags,
		client:       c,
		configDigest: cfg.Digest(),
		closeConn:    closeConn,
	}
	start := time.Now()
	st, p, err := readAndCompute(e, c, cfg)
	run.readTime = time.Since(start)
	if err != nil {
		if cerr := run.close(); cerr != nil {
			fmt.Fprintf(e.stderr, "trustsync: %v\n", cerr)
		}
		return nil, err
	}
	run.live, run.plan, run.fingerprint = st, p, st.Fingerprint()
	stats := c.Stats()
	fmt.Fprintf(e.stderr, "trustsync: read live state of %s in %s (%d requests, %d retries)\n",
		orgLabel(st.Org), run.readTime.Round(time.Millisecond), stats.Requests, stats.Retries)
	return run, nil
}

// loadConfig loads the desired-state files (relative paths resolved
// against the working directory) and prints the diagnostics to stderr.
// Errors end with exit code 1, already reported.
func loadConfig(e *env, files []string) (*config.Config, config.Diagnostics, error) {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = resolvePath(e.workDir, f)
	}
	cfg, diags := config.Load(e.ctx, paths, time.Now())
	if err := diags.WriteText(e.stderr); err != nil {
		return nil, nil, fmt.Errorf("write diagnostics: %w", err)
	}
	if diags.HasErrors() || cfg == nil {
		nerr, _ := diags.Count()
		fmt.Fprintf(e.stderr, "trustsync: the configuration has %s; nothing was read or changed\n", plural(nerr, "error"))
		return nil, nil, &exitError{code: 1}
	}
	return cfg, diags, nil
}

// readAndCompute reads the live state cfg manages through api and computes
// the plan. Problems (a pin mismatch, unknown roles, ...) are printed to
// stderr in the diagnostics' format and end with exit code 1. On a
// terminal, a read that takes more than a second shows progress on stderr.
// Apply calls it again after its changes to verify them.
func readAndCompute(e *env, api live.API, cfg *config.Config) (*live.State, *plan.Plan, error) {
	sc := scope(cfg)
	var prog *progressLine
	if e.isTerminal != nil && e.isTerminal(e.stderr) {
		prog = &progressLine{w: e.stderr, start: time.Now(), after: time.Second}
		sc.Progress = prog.update
	}
	st, err := live.Read(e.ctx, api, sc)
	prog.clear()
	if err != nil {
		var pe *live.PinError
		if errors.As(err, &pe) && cfg.Organization != nil {
			return nil, nil, reportProblems(e.stderr, plan.PinMismatch(cfg.Organization, pe.Got))
		}
		return nil, nil, &exitError{code: 1, err: fmt.Errorf("read live state: %w", err)}
	}
	p, err := plan.Compute(cfg, st)
	if err != nil {
		return nil, nil, reportProblems(e.stderr, err)
	}
	return st, p, nil
}

// reportProblems prints plan problems like configuration diagnostics and
// returns the exit error that ends the command.
func reportProblems(w io.Writer, err error) error {
	probs := plan.Problems(err)
	diags := make(config.Diagnostics, 0, len(probs))
	for _, p := range probs {
		diags = append(diags, config.Diagnostic{Pos: p.Pos, Severity: config.Error, Message: p.Message, Hint: p.Hint})
	}
	if werr := diags.WriteText(w); werr != nil {
		return &exitError{code: 1, err: fmt.Errorf("write diagnostics: %w", werr)}
	}
	fmt.Fprintf(w, "trustsync: cannot plan: %s against live state; nothing was changed\n", plural(len(probs), "problem"))
	return &exitError{code: 1}
}

func orgLabel(o live.Org) string {
	if o.Name == "" {
		return o.ID
	}
	return fmt.Sprintf("%s (%s)", o.Name, o.ID)
}

// progressLine shows "reading live state: N/M requests" on one terminal
// line once reading has taken longer than after, and clears it at the end.
type progressLine struct {
	w     io.Writer
	start time.Time
	after time.Duration
	last  time.Time
	shown bool
}

// update is a live.Scope.Progress callback; calls are serialized.
func (p *progressLine) update(pr live.Progress) {
	now := time.Now()
	if now.Sub(p.start) < p.after || now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.shown = now, true
	fmt.Fprintf(p.w, "\rreading live state: %d/%d requests\x1b[K", pr.Done, pr.Total)
}

// clear erases the progress line if one was shown.
func (p *progressLine) clear() {
	if p == nil || !p.shown {
		return
	}
	fmt.Fprint(p.w, "\r\x1b[K")
	p.shown = false
}
