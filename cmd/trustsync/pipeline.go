package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/run"
)

// target builds the run target of a command: its files (as given, relative
// to the working directory) and a connection from the flags.
func target(e *env, files []string, conn *connFlags) run.Target {
	return run.Target{
		Files: files,
		Dir:   e.workDir,
		Now:   e.clock(),
		Connect: func(_ context.Context, region string) (*run.Conn, error) {
			c, closeConn, err := conn.connect(e, region)
			if err != nil {
				return nil, err
			}
			return &run.Conn{Client: c, Close: closeConn}, nil
		},
	}
}

// planTarget is the routine plan and apply share: run.Plan with the
// terminal's reporter. The files' warnings are part of the plan, so on
// success they are not printed to stderr. Every problem has been reported
// when it returns an error, a *planFailure carrying the exit code, the
// organization when known and every diagnostic (plan writes them as a
// document); on success the caller must close the result.
func planTarget(e *env, t run.Target, opts run.PlanOptions, rep *reporter) (*run.Planned, error) {
	rep.warningsInPlan = true
	p, err := run.Plan(e.ctx, t, opts, rep)
	if err == nil {
		if a := p.Attribution; a.Ran {
			fmt.Fprintf(e.stderr, "trustsync: attributed %d of %s from the audit log\n", a.Attributed, plural(len(p.Plan.Changes), "change"))
		}
		return p, nil
	}
	rep.endRead()
	var ce *run.ConfigError
	if errors.As(err, &ce) {
		exit, _ := configExit(e, err).(*exitError)
		return nil, &planFailure{diags: slices.Clone(ce.Diags), exit: exit}
	}
	warnings := rep.loaded.Warnings()
	if werr := warnings.WriteText(e.stderr); werr != nil {
		return nil, &exitError{code: 1, err: fmt.Errorf("write diagnostics: %w", werr)}
	}
	var pe *run.PlanError
	if errors.As(err, &pe) {
		probs := plan.Problems(pe.Err)
		exit, _ := reportProblems(e.stderr, pe.Err).(*exitError)
		return nil, &planFailure{org: pe.Org, diags: append(warnings, probs...), exit: exit}
	}
	err = withPermissionHint(e.command, err)
	exit := &exitError{code: 1, err: err}
	return nil, &planFailure{diags: append(warnings, errorDiagnostic(err)), exit: exit}
}

// planFailure is why a plan could not be computed: the organization when
// it was learnt (zero otherwise) and every diagnostic, the problems and the
// files' warnings. It has already been printed to stderr; plan also writes
// it as a Markdown or JSON document. It unwraps to the exit error that ends
// the command.
type planFailure struct {
	org   plan.Org
	diags diag.List
	exit  *exitError
}

func (f *planFailure) Error() string { return f.exit.Error() }
func (f *planFailure) Unwrap() error { return f.exit }

// errorDiagnostic turns an error's text into a diagnostic: its "hint: "
// lines become hints, the other lines the message.
func errorDiagnostic(err error) diag.Diagnostic {
	d := diag.Diagnostic{Severity: diag.Error}
	var msg []string
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if h, ok := strings.CutPrefix(line, "hint: "); ok {
			d.Hints = append(d.Hints, h)
			continue
		}
		msg = append(msg, line)
	}
	d.Message = strings.Join(msg, "\n")
	return d
}

// configExit reports a *run.ConfigError (its diagnostics are already
// printed) and turns any error into the exit error that ends the command.
func configExit(e *env, err error) error {
	var ce *run.ConfigError
	if errors.As(err, &ce) {
		nerr, _ := ce.Diags.Count()
		fmt.Fprintf(e.stderr, "trustsync: the configuration has %s; nothing was read or changed\n", plural(nerr, "error"))
		return &exitError{code: 1}
	}
	return &exitError{code: 1, err: err}
}

// loadConfig loads the desired-state files (relative paths resolved
// against the working directory) for commands that do not plan, printing
// the diagnostics to stderr. Errors end with exit code 1, already
// reported.
func loadConfig(e *env, files []string) (*config.Config, config.Diagnostics, error) {
	cfg, diags, err := run.Load(e.ctx, run.Target{Files: files, Dir: e.workDir}, e.clock()(), newReporter(e))
	if err != nil {
		return nil, nil, configExit(e, err)
	}
	return cfg, diags, nil
}

// reporter shows run's progress on the terminal: diagnostics and the read
// summary on stderr, a progress line while reading, one line per change on
// stdout with a progress bar on stderr.
type reporter struct {
	e        *env
	terminal bool // stderr is a terminal
	// warningsInPlan is set when the files' warnings go into a plan: then
	// Loaded prints diagnostics only when there are errors.
	warningsInPlan bool
	loaded         config.Diagnostics

	mu   sync.Mutex
	line *progressLine
	bar  *progressBar
}

func newReporter(e *env) *reporter {
	return &reporter{e: e, terminal: e.isTerminal != nil && e.isTerminal(e.stderr)}
}

var _ run.Reporter = (*reporter)(nil)

// Loaded prints the configuration's diagnostics.
func (r *reporter) Loaded(diags config.Diagnostics) {
	r.loaded = diags
	if r.warningsInPlan && !diags.HasErrors() {
		return
	}
	if err := diags.WriteText(r.e.stderr); err != nil {
		fmt.Fprintf(r.e.stderr, "trustsync: write diagnostics: %v\n", err)
	}
}

// Reading shows "reading live state: N/M requests" once a read has taken
// more than a second.
func (r *reporter) Reading(p live.Progress) {
	if !r.terminal {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.line == nil {
		r.line = &progressLine{w: r.e.stderr, start: time.Now(), after: time.Second}
	}
	r.line.update(p)
}

// Read prints how long reading live state took.
func (r *reporter) Read(s run.ReadStats) {
	r.endRead()
	fmt.Fprintf(r.e.stderr, "trustsync: read live state of %s in %s (%d requests, %d retries%s)\n",
		orgLabel(s.Org), s.Duration.Round(time.Millisecond), s.Requests, s.Retries, perToken(s.Tokens))
}

// perToken describes the traffic of each token of a pool of more than
// one ("; tokens: 1: 120 requests (2 rate-limited), 2: 118 requests"), or
// nothing for a single token.
func perToken(tokens []client.TokenStats) string {
	if len(tokens) < 2 {
		return ""
	}
	var b strings.Builder
	b.WriteString("; tokens:")
	for i, t := range tokens {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %d: %d requests", i+1, t.Requests)
		if t.RateLimited > 0 {
			fmt.Fprintf(&b, " (%d rate-limited)", t.RateLimited)
		}
	}
	return b.String()
}

// endRead clears the progress line of a read.
func (r *reporter) endRead() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.line.clear()
	r.line = nil
}

// startApply prepares the progress bar of total changes.
func (r *reporter) startApply(total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bar = &progressBar{w: r.e.stderr, total: total, start: time.Now(), enabled: r.terminal}
}

// ChangeEnded prints the change's line.
func (r *reporter) ChangeEnded(res apply.ChangeResult) {
	r.mu.Lock()
	bar := r.bar
	r.mu.Unlock()
	bar.clear()
	fmt.Fprintln(r.e.stdout, resultLine(res))
	bar.done()
}

// reportProblems prints plan problems like configuration diagnostics and
// returns the exit error that ends the command.
func reportProblems(w io.Writer, err error) error {
	probs := plan.Problems(err)
	if werr := probs.WriteText(w); werr != nil {
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
