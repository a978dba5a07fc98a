package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/expiry"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/planfile"
	"github.com/trustsync/trustsync/internal/render"
	"github.com/trustsync/trustsync/internal/run"
)

// applyCmd makes live state match the desired-state files (docs/apply.md).
type applyCmd struct {
	PlanFile      string   `arg:"" optional:"" name:"planfile" placeholder:"PLANFILE" help:"A plan saved with 'trustsync plan --out'; applied only if the configuration and live state are unchanged since."`
	Files         []string `short:"f" name:"file" sep:"none" placeholder:"PATH" help:"Desired-state file, or a directory whose *.yaml/*.yml files are merged. Repeatable. Default: trusts.yaml in the working directory. Not with PLANFILE, which names its files."`
	AutoApprove   bool     `name:"auto-approve" help:"Apply without asking; required when stdin is not a terminal (CI)."`
	AllowRemovals bool     `name:"allow-removals" help:"Apply even when the plan removes more than policy.maxRemovalPercent of the managed live objects."`
	NoAttribute   bool     `name:"no-attribute" help:"Do not read the audit log to name, on each change, who last changed its object and when."`
	Record        string   `name:"record" placeholder:"FILE" help:"Write a JSON apply record (time, version, git commit, digests, each change's status, verification) to FILE, before the first write and again as changes end. Checked before anything is read: it may not name an input file, and its directory must exist and be writable."`

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
	record := run.Output{Flag: "--record", Path: c.Record}
	var extra []string
	if c.PlanFile != "" {
		extra = []string{c.PlanFile}
	}
	files := c.Files
	if c.PlanFile == "" && len(files) == 0 {
		files = []string{"trusts.yaml"}
	}
	if err := run.CheckOutputs(target(e, files, &c.connFlags), extra, record); err != nil {
		return &exitError{code: 1, err: err}
	}
	var saved *planfile.File
	if c.PlanFile != "" {
		if saved, files, err = c.useSaved(e); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("%w\nnothing was changed", err)}
		}
	}
	t := target(e, files, &c.connFlags)
	if saved != nil {
		// The files the plan names are inputs too.
		if err := run.CheckOutputs(t, extra, record); err != nil {
			return &exitError{code: 1, err: err}
		}
		t = run.SavedTarget(t, saved)
	}

	rep := newReporter(e)
	planned, err := planTarget(e, t, run.PlanOptions{Attribute: !c.NoAttribute}, rep)
	if err != nil {
		if e.ctx.Err() != nil {
			return &exitError{code: 1, err: errors.New("cancelled; nothing was changed")}
		}
		return err
	}
	defer func() {
		if cerr := planned.Close(); cerr != nil && err == nil {
			err = &exitError{code: 1, err: cerr}
		}
	}()
	if saved != nil {
		if err := planned.CheckSaved(saved); err != nil {
			return &exitError{code: 1, err: err}
		}
	}
	p := planned.Plan

	color := e.isTerminal != nil && e.isTerminal(e.stdout) && e.getenv("NO_COLOR") == ""
	var out bytes.Buffer
	if err := render.Text(&out, planned.Shown(), render.TextOptions{Color: color}); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("render plan: %w", err)}
	}
	if _, err := e.stdout.Write(out.Bytes()); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("write plan: %w", err)}
	}

	opts := run.ApplyOptions{
		AllowRemovals:    c.AllowRemovals,
		Stop:             e.ctx.Done(),
		TrustsyncVersion: e.version,
		Build:            e.buildInfo(),
		Saved:            saved,
		SavedPath:        c.PlanFile,
	}
	if c.Record != "" {
		opts.Record = resolvePath(e.workDir, c.Record)
		opts.GitCommit = gitCommit(e.ctx, e.workDir)
	}
	if p.HasChanges() {
		if err := planned.Check(c.AllowRemovals); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("%w\nnothing was changed", err)}
		}
		if saved == nil {
			if err := c.confirm(e); err != nil {
				return err
			}
		} else if !c.AutoApprove {
			// Like terraform apply PLANFILE: the saved plan was reviewed,
			// and it is applied only if it is still exactly what applying
			// does now.
			fmt.Fprintf(e.stderr, "trustsync: applying the saved plan %s without asking: it was reviewed when it was saved\n", c.PlanFile)
		}
		fmt.Fprintln(e.stdout)
		rep.startApply(len(p.Changes))
	}

	// The first interrupt starts no new change and lets the writes in
	// flight finish; a second one (e.hard) stops at once.
	applyDone := make(chan struct{})
	var noticed sync.WaitGroup
	noticed.Go(func() {
		select {
		case <-e.ctx.Done():
			fmt.Fprintln(e.stderr, "trustsync: interrupted: starting no new change, finishing the writes in flight (interrupt again to stop at once)")
		case <-applyDone:
		}
	})
	applied, err := planned.Apply(e.hardContext(), opts, rep)
	rep.endRead() // verification's progress line, if one was drawn
	close(applyDone)
	noticed.Wait()
	if applied == nil {
		return &exitError{code: 1, err: fmt.Errorf("%w\nnothing was changed", err)}
	}
	recErr := err
	res := applied.Result
	var n apply.Counts
	if res != nil {
		n = res.Counts()
		unknown := ""
		if n.Unknown > 0 {
			unknown = fmt.Sprintf(", %d unknown", n.Unknown)
		}
		fmt.Fprintf(e.stdout, "\nApply: %d ok, %d failed, %d skipped%s in %s (%s, %d retried, %d rate-limited).\n",
			n.OK, n.Failed, n.Skipped, unknown, formatDuration(res.Duration),
			plural(int(applied.Requests), "request"), applied.Retries, applied.RateLimited)
		printVerification(e, applied)
	}
	if recErr != nil {
		return &exitError{code: 1, err: recErr}
	}
	if c.Record != "" {
		fmt.Fprintf(e.stderr, "trustsync: wrote the apply record to %s\n", c.Record)
	}
	if res == nil {
		return nil
	}
	ver := applied.Verification
	if n.OK == len(res.Changes) && ver.Clean {
		return nil
	}
	var why []string
	if n.Failed > 0 || n.Skipped > 0 || n.Unknown > 0 {
		w := fmt.Sprintf("%d failed, %d skipped", n.Failed, n.Skipped)
		if n.Unknown > 0 {
			w += fmt.Sprintf(", %d unknown", n.Unknown)
		}
		why = append(why, w)
	}
	switch {
	case res.Interrupted:
		why = append(why, "interrupted")
	case !ver.Ran:
		why = append(why, "live state could not be verified")
	case !ver.Clean:
		why = append(why, "live state still differs from the configuration")
	}
	var hint string
	switch {
	case res.Interrupted:
		hint = "run plan to see what remains, then apply again; applied changes need not be undone"
	case n.Unknown > 0 && n.Failed == 0:
		hint = "the outcome of some writes could not be confirmed; run plan to see what is in effect, then apply again"
	default:
		hint = "fix the cause (see the errors above), then run plan and apply again; applied changes need not be undone"
	}
	fmt.Fprintf(e.stderr, "trustsync: apply did not complete: %s\nhint: %s\n", strings.Join(why, "; "), hint)
	return &exitError{code: 1}
}

// useSaved reads the saved plan and returns it with its configuration
// files (relative to the working directory where they can be), and makes
// its connection the one to use unless a flag names another, saying which
// on stderr.
func (c *applyCmd) useSaved(e *env) (*planfile.File, []string, error) {
	saved, err := planfile.Read(resolvePath(e.workDir, c.PlanFile))
	if err != nil {
		return nil, nil, err
	}
	paths, err := saved.ConfigPaths()
	if err != nil {
		return nil, nil, err
	}
	files := make([]string, len(paths))
	for i, p := range paths {
		files[i] = relativeToWorkDir(e.workDir, p)
	}
	conn := saved.Meta.Connection
	state := saved.SandboxStatePath()
	if state != "" {
		state = relativeToWorkDir(e.workDir, state)
	}
	desc := describeConnection(conn, state)
	if flag := c.connectionFlag(); flag != "" {
		fmt.Fprintf(e.stderr, "trustsync: %s overrides the connection saved in %s (%s)\n", flag, c.PlanFile, desc)
		return saved, files, nil
	}
	if conn.Kind == planfile.ConnSandbox {
		if _, err := os.Stat(resolvePath(e.workDir, state)); err != nil {
			return nil, nil, fmt.Errorf("plan file %s was made against the in-process sandbox with state %s, which cannot be read: %w\n"+
				"hint: give --sandbox to use this directory's sandbox instead, or run plan --out again", c.PlanFile, state, err)
		}
		c.Sandbox = true
	}
	c.conn.saved = &savedConn{planFile: c.PlanFile, conn: conn, statePath: state}
	fmt.Fprintf(e.stderr, "trustsync: using the connection saved in %s: %s (give --sandbox, --region or --api-url for another)\n", c.PlanFile, desc)
	return saved, files, nil
}

// relativeToWorkDir returns path relative to workDir when it is below
// or beside it, else path unchanged.
func relativeToWorkDir(workDir, path string) string {
	base, err := filepath.Abs(workDir)
	if err != nil {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(base, abs); err == nil {
		return rel
	}
	return abs
}

// printVerification prints verification's outcome.
func printVerification(e *env, a *run.Applied) {
	v := a.Verification
	switch {
	case !v.Ran:
		fmt.Fprintf(e.stdout, "Not verified: %s.\n", v.Error)
	case v.Clean:
		fmt.Fprintln(e.stdout, "Verified: live state matches the configuration.")
	default:
		fmt.Fprintln(e.stdout, "Verification failed: live state still differs from the configuration:")
		for _, ch := range a.Remaining {
			fmt.Fprintf(e.stdout, "  %s %s: %s\n", render.Symbol(ch.Action), ch.Address, ch.Reason)
		}
	}
}

// confirm asks on a terminal and refuses without one, unless
// --auto-approve was given. An interrupt (Ctrl-C, SIGTERM) at the prompt
// cancels at once: the answer is read in the background, so the prompt
// never waits for Enter.
func (c *applyCmd) confirm(e *env) error {
	if c.AutoApprove {
		return nil
	}
	if e.isTerminal == nil || !e.isTerminal(e.stdin) {
		return &exitError{code: 1, err: errors.New("refusing to apply without confirmation: stdin is not a terminal; nothing was changed\n" +
			"hint: review the plan above and run again with --auto-approve (in CI, apply a reviewed plan file: trustsync apply PLANFILE --auto-approve)")}
	}
	cancelled := &exitError{code: 1, err: errors.New("cancelled; nothing was changed")}
	if e.ctx.Err() != nil {
		return cancelled
	}
	fmt.Fprint(e.stderr, "\nApply these changes? Only 'yes' is accepted: ")
	type answer struct {
		line string
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		answers <- answer{line, err}
	}()
	select {
	case <-e.ctx.Done():
		fmt.Fprintln(e.stderr)
		return cancelled
	case a := <-answers:
		if a.err != nil && !errors.Is(a.err, io.EOF) {
			return &exitError{code: 1, err: fmt.Errorf("read confirmation: %w; nothing was changed", a.err)}
		}
		if strings.TrimSpace(a.line) != "yes" {
			return &exitError{code: 1, err: errors.New("apply cancelled; nothing was changed")}
		}
		return nil
	}
}

// resultLine is the line printed when a change finishes: its status,
// its address, what was done when it succeeded, how long it took, and the
// error of one that did not.
func resultLine(r apply.ChangeResult) string {
	addr := r.Change.Address
	if r.Status == apply.StatusOK {
		addr += ": " + done(r.Change)
	}
	line := fmt.Sprintf("%-7s %s (%s)", r.Status, addr, formatDuration(r.Duration))
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

// done says in a few words what a change that succeeded did: "added",
// "removed", "roles -Reporting Viewer +Claims Viewer", "expiry →
// 2027-03-31", "disabled".
func done(c plan.Change) string {
	switch c.Action {
	case plan.Create:
		return "added"
	case plan.Delete:
		return "removed"
	}
	before, after := c.Before, c.After
	if before == nil || after == nil {
		return "updated"
	}
	var parts []string
	switch c.Kind {
	case plan.KindTrusteeUserRoles, plan.KindTrusteeGroupRoles, plan.KindTrusteeUser, plan.KindTrusteeGroup:
		if r := roleChanges(before.Roles, after.Roles); r != "" {
			parts = append(parts, "roles "+r)
		}
	}
	if after.Enabled != nil && (before.Enabled == nil || *before.Enabled != *after.Enabled) {
		if *after.Enabled {
			parts = append(parts, "enabled")
		} else {
			parts = append(parts, "disabled")
		}
	}
	if c.Kind == plan.KindTrustee && !sameTime(before.Expires, after.Expires) {
		parts = append(parts, "expiry → "+expiry.FormatPtr(after.Expires))
	}
	if after.PairingID != before.PairingID && after.PairingID != "" {
		parts = append(parts, "pairing "+after.PairingID)
	}
	if len(parts) == 0 {
		return "updated"
	}
	return strings.Join(parts, ", ")
}

// roleChanges lists the roles removed ("-Name") and then those added
// ("+Name"), each in name order, or "" when the sets are equal.
func roleChanges(before, after []plan.Role) string {
	has := func(rs []plan.Role, id string) bool {
		return slices.ContainsFunc(rs, func(r plan.Role) bool { return strings.EqualFold(r.ID, id) })
	}
	var out []string
	for _, set := range []struct {
		from, other []plan.Role
		sign        string
	}{{before, after, "-"}, {after, before, "+"}} {
		var names []string
		for _, r := range set.from {
			if !has(set.other, r.ID) {
				names = append(names, set.sign+cmp.Or(r.Name, r.ID))
			}
		}
		slices.Sort(names)
		out = append(out, names...)
	}
	return strings.Join(out, " ")
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// formatDuration rounds for people: milliseconds under a second, tenths of
// a second above.
func formatDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
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
// by apply's Progress callback; a nil bar draws nothing.
type progressBar struct {
	w       io.Writer
	total   int
	n       int
	start   time.Time
	shown   bool
	enabled bool
	mu      sync.Mutex
}

// done counts a finished change and redraws the bar.
func (b *progressBar) done() {
	if b == nil {
		return
	}
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
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shown {
		fmt.Fprint(b.w, "\r\x1b[K")
		b.shown = false
	}
}
