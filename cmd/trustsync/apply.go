package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/planfile"
	"github.com/trustsync/trustsync/internal/render"
)

// applyCmd makes live state match the desired-state files (docs/apply.md).
type applyCmd struct {
	PlanFile      string   `arg:"" optional:"" name:"planfile" placeholder:"PLANFILE" help:"A plan saved with 'trustsync plan --out'; applied only if the configuration and live state are unchanged since."`
	Files         []string `short:"f" name:"file" sep:"none" placeholder:"PATH" help:"Desired-state file, or a directory whose *.yaml/*.yml files are merged. Repeatable. Default: trusts.yaml in the working directory. Not with PLANFILE, which names its files."`
	AutoApprove   bool     `name:"auto-approve" help:"Apply without asking; required when stdin is not a terminal (CI)."`
	AllowRemovals bool     `name:"allow-removals" help:"Apply even when the plan removes more than policy.maxRemovalPercent of the managed live objects."`
	Record        string   `name:"record" placeholder:"FILE" help:"Write a JSON apply record (time, version, git commit, digests, each change's status, verification) to FILE."`

	connFlags `embed:""`
}

// Validate checks flag combinations before anything runs.
func (c *applyCmd) Validate() error {
	if c.PlanFile != "" && len(c.Files) > 0 {
		return errors.New("give either a PLANFILE or -f files, not both: a saved plan names the files it was computed from")
	}
	return nil
}

// Run plans (or loads a saved plan), shows the plan, checks the safety
// rails, asks for confirmation, applies, verifies and records.
func (c *applyCmd) Run(e *env) (err error) {
	start := time.Now()
	var saved *planfile.File
	files := c.Files
	if c.PlanFile != "" {
		saved, err = planfile.Read(resolvePath(e.workDir, c.PlanFile))
		if err != nil {
			return &exitError{code: 1, err: fmt.Errorf("%w\nnothing was changed", err)}
		}
		files = saved.Meta.Files
		if len(files) == 0 {
			return &exitError{code: 1, err: fmt.Errorf("plan file %s names no configuration files; run plan --out again", c.PlanFile)}
		}
	} else if len(files) == 0 {
		files = []string{"trusts.yaml"}
	}

	run, err := preparePlan(e, files, &c.connFlags)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := run.close(); cerr != nil && err == nil {
			err = &exitError{code: 1, err: cerr}
		}
	}()
	if saved != nil {
		if err := checkSaved(saved, run); err != nil {
			return &exitError{code: 1, err: err}
		}
	}
	p := run.plan

	color := e.isTerminal != nil && e.isTerminal(e.stdout) && e.getenv("NO_COLOR") == ""
	var out bytes.Buffer
	if err := render.Text(&out, p, render.TextOptions{Color: color}); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("render plan: %w", err)}
	}
	if _, err := e.stdout.Write(out.Bytes()); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("write plan: %w", err)}
	}

	rec := recorder{cmd: c, e: e, run: run, saved: saved, start: start}
	if !p.HasChanges() {
		// The renderer has said "No changes."; the plan is the proof.
		return rec.write(nil, apply.Verification{Ran: true, Clean: true})
	}

	opts := c.options(run)
	if err := apply.Check(p, opts); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("%w\nnothing was changed", err)}
	}
	if err := c.confirm(e); err != nil {
		return err
	}

	fmt.Fprintln(e.stdout)
	before := run.client.Stats()
	bar := newProgressBar(e, len(p.Changes))
	opts.Progress = func(r apply.ChangeResult) {
		bar.clear()
		fmt.Fprintln(e.stdout, resultLine(r))
		bar.done()
	}
	res, err := apply.Run(e.ctx, run.client, p, opts)
	bar.clear()
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("%w\nnothing was changed", err)}
	}
	ok, failed, skipped := res.Counts()
	after := run.client.Stats()
	fmt.Fprintf(e.stdout, "\nApply: %d ok, %d failed, %d skipped in %s (%s, %d retried, %d rate-limited).\n",
		ok, failed, skipped, formatDuration(res.Duration),
		plural(int(after.Requests-before.Requests), "request"), after.Retries-before.Retries, after.RateLimited-before.RateLimited)

	ver := c.verify(e, run)
	if err := rec.write(res, ver); err != nil {
		return err
	}
	if failed > 0 || skipped > 0 || !ver.Clean {
		var why []string
		if failed > 0 || skipped > 0 {
			why = append(why, fmt.Sprintf("%d failed, %d skipped", failed, skipped))
		}
		switch {
		case !ver.Ran:
			why = append(why, "live state could not be verified")
		case !ver.Clean:
			why = append(why, "live state still differs from the configuration")
		}
		fmt.Fprintf(e.stderr, "trustsync: apply did not complete: %s\nhint: fix the cause (see the errors above), then run plan and apply again; applied changes need not be undone\n", strings.Join(why, "; "))
		return &exitError{code: 1}
	}
	return nil
}

// checkSaved refuses a saved plan that is not what applying now would do:
// the configuration or live state changed, or the plan computed now is not
// the saved one.
func checkSaved(saved *planfile.File, run *planRun) error {
	const rerun = "; run plan again\nnothing was changed"
	if saved.Meta.ConfigDigest != run.configDigest {
		return errors.New("plan is stale: the configuration changed since it was made" + rerun)
	}
	if saved.Meta.LiveFingerprint != run.fingerprint {
		return errors.New("plan is stale: live state changed since it was made" + rerun)
	}
	diff, err := saved.Difference(run.plan)
	if err != nil {
		return fmt.Errorf("compare with the saved plan: %w", err)
	}
	if diff != "" {
		return fmt.Errorf("plan is stale: the plan computed now is not the saved one (%s)%s", diff, rerun)
	}
	return nil
}

// options builds apply's options from the flags, the configuration and
// live state.
func (c *applyCmd) options(run *planRun) apply.Options {
	opts := apply.Options{
		MaxRemovalPercent: run.cfg.Policy.MaxRemovalPercent,
		AllowRemovals:     c.AllowRemovals,
		Concurrency:       c.Concurrency,
	}
	for _, r := range run.cfg.Protect.Trustees {
		opts.ProtectedTrustees = append(opts.ProtectedTrustees, r.ID)
	}
	for _, r := range run.cfg.Protect.Trustors {
		opts.ProtectedTrustors = append(opts.ProtectedTrustors, r.ID)
	}
	// Customer Care trusts are protected unless the file lists them.
	listedTrustees := map[string]bool{}
	for _, t := range run.cfg.Trustees {
		listedTrustees[strings.ToLower(t.ID)] = true
	}
	listedTrustors := map[string]bool{}
	for _, t := range run.cfg.Trustors {
		listedTrustors[strings.ToLower(t.ID)] = true
	}
	for _, id := range run.live.CareOrgIDs {
		if !listedTrustees[strings.ToLower(id)] {
			opts.ProtectedTrustees = append(opts.ProtectedTrustees, id)
		}
		if !listedTrustors[strings.ToLower(id)] {
			opts.ProtectedTrustors = append(opts.ProtectedTrustors, id)
		}
	}
	return opts
}

// confirm asks on a terminal and refuses without one, unless
// --auto-approve was given.
func (c *applyCmd) confirm(e *env) error {
	if c.AutoApprove {
		return nil
	}
	if e.isTerminal == nil || !e.isTerminal(e.stdin) {
		return &exitError{code: 1, err: errors.New("refusing to apply without confirmation: stdin is not a terminal; nothing was changed\n" +
			"hint: review the plan above and run again with --auto-approve (in CI, apply a reviewed plan file: trustsync apply PLANFILE --auto-approve)")}
	}
	fmt.Fprint(e.stderr, "\nApply these changes? Only 'yes' is accepted: ")
	answer, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return &exitError{code: 1, err: fmt.Errorf("read confirmation: %w; nothing was changed", err)}
	}
	if strings.TrimSpace(answer) != "yes" {
		return &exitError{code: 1, err: errors.New("apply cancelled; nothing was changed")}
	}
	return nil
}

// verify reads live state again and plans again; it prints the outcome.
func (c *applyCmd) verify(e *env, run *planRun) apply.Verification {
	if err := e.ctx.Err(); err != nil {
		fmt.Fprintln(e.stdout, "Not verified: interrupted.")
		return apply.Verification{Error: "interrupted: " + err.Error()}
	}
	_, p, err := readAndCompute(e, run.client, run.cfg)
	if err != nil {
		msg := "live state could not be read again"
		var ee *exitError
		if errors.As(err, &ee) && ee.err != nil {
			msg = ee.err.Error()
		}
		fmt.Fprintf(e.stdout, "Not verified: %s.\n", msg)
		return apply.Verification{Error: msg}
	}
	v := apply.Verification{Ran: true, Clean: !p.HasChanges()}
	if v.Clean {
		fmt.Fprintln(e.stdout, "Verified: live state matches the configuration.")
		return v
	}
	fmt.Fprintln(e.stdout, "Verification failed: live state still differs from the configuration:")
	for _, ch := range p.Changes {
		v.Remaining = append(v.Remaining, ch.Address)
		fmt.Fprintf(e.stdout, "  %s %s: %s\n", render.Symbol(ch.Action), ch.Address, ch.Reason)
	}
	return v
}

// resultLine is the line printed when a change finishes.
func resultLine(r apply.ChangeResult) string {
	line := fmt.Sprintf("%-7s %s (%s)", r.Status, r.Change.Address, formatDuration(r.Duration))
	if r.Err == nil {
		return line
	}
	msg := r.Err.Error()
	var missing []string
	for _, id := range r.ErrorCorrelationIDs {
		if !strings.Contains(msg, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		msg += " [correlation id " + strings.Join(missing, ", ") + "]"
	}
	return line + ": " + strings.ReplaceAll(msg, "\n", " ")
}

// formatDuration rounds for people: milliseconds under a second, tenths of
// a second above.
func formatDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// recorder writes the --record file.
type recorder struct {
	cmd   *applyCmd
	e     *env
	run   *planRun
	saved *planfile.File
	start time.Time
}

// write writes the record when --record was given.
func (r recorder) write(res *apply.Result, ver apply.Verification) error {
	if r.cmd.Record == "" {
		return nil
	}
	digest, err := planfile.DigestPlan(r.run.plan)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("apply record: %w", err)}
	}
	meta := apply.RecordMeta{
		Start:            r.start,
		TrustsyncVersion: r.e.version,
		GitCommit:        gitCommit(r.e.ctx, r.e.workDir),
		ConfigFiles:      r.run.files,
		ConfigDigest:     r.run.configDigest,
		PlanDigest:       digest,
		LiveFingerprint:  r.run.fingerprint,
		Verification:     ver,
	}
	if r.saved != nil {
		meta.PlanFile = r.cmd.PlanFile
		meta.PlanFileDigest = r.saved.PlanDigest
	}
	if err := apply.NewRecord(r.run.plan, res, meta).WriteFile(resolvePath(r.e.workDir, r.cmd.Record)); err != nil {
		return &exitError{code: 1, err: err}
	}
	fmt.Fprintf(r.e.stderr, "trustsync: wrote the apply record to %s\n", r.cmd.Record)
	return nil
}

// gitCommit returns the commit checked out in dir, or "" when dir is not in
// a git repository or git is not available.
func gitCommit(ctx context.Context, dir string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "HEAD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// progressBar draws "[=====     ] 12/40 changes" on stderr when it is a
// terminal and the run has taken more than a second. Calls are serialized
// by apply's Progress callback.
type progressBar struct {
	w       io.Writer
	total   int
	n       int
	start   time.Time
	shown   bool
	enabled bool
	mu      sync.Mutex
}

func newProgressBar(e *env, total int) *progressBar {
	return &progressBar{
		w:       e.stderr,
		total:   total,
		start:   time.Now(),
		enabled: e.isTerminal != nil && e.isTerminal(e.stderr),
	}
}

// done counts a finished change and redraws the bar.
func (b *progressBar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	if !b.enabled || b.n >= b.total || time.Since(b.start) < time.Second {
		return
	}
	const width = 30
	filled := width * b.n / b.total
	fmt.Fprintf(b.w, "\r[%s%s] %d/%d changes\x1b[K", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), b.n, b.total)
	b.shown = true
}

// clear erases the bar so that a result line can be printed.
func (b *progressBar) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shown {
		fmt.Fprint(b.w, "\r\x1b[K")
		b.shown = false
	}
}
