package run

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/planfile"
	"github.com/trustsync/trustsync/internal/version"
)

// ApplyOptions control [Planned.Apply].
type ApplyOptions struct {
	// AllowRemovals lifts the removal guard.
	AllowRemovals bool
	// Stop, when closed, stops the run gracefully (see
	// [apply.Options.Stop]); cancelling Apply's context stops it at once.
	// Verification does not run after either.
	Stop <-chan struct{}
	// Record, when set, is the path of the apply record. It is written
	// before the first write, rewritten (atomically, in the background) as
	// changes end, and written once more, complete, after verification.
	Record string
	// TrustsyncVersion, Build and GitCommit go into the record.
	TrustsyncVersion string
	Build            version.Info
	GitCommit        string
	// Saved is the saved plan being applied, if any, for the record.
	Saved     *planfile.File
	SavedPath string
}

// Applied is what [Planned.Apply] did.
type Applied struct {
	// Result is how each change ended; nil when the plan had no changes.
	Result       *apply.Result
	Verification apply.Verification
	// Remaining are the changes verification found still needed.
	Remaining []plan.Change
	// Record is the final apply record (also written to
	// ApplyOptions.Record when set).
	Record *apply.Record
	// Requests, Retries and RateLimited count the API traffic of the
	// changes (verification excluded).
	Requests, Retries, RateLimited int64
}

// Options returns the safety rails apply enforces for this target: the
// policy's removal limit and every protected org, the Customer Care orgs
// included unless the files list them.
func (p *Planned) Options(allowRemovals bool) apply.Options {
	opts := apply.Options{
		MaxRemovalPercent: p.Config.Policy.MaxRemovalPercent,
		AllowRemovals:     allowRemovals,
	}
	for _, r := range p.Config.Protect.Trustees {
		opts.ProtectedTrustees = append(opts.ProtectedTrustees, r.ID)
	}
	for _, r := range p.Config.Protect.Trustors {
		opts.ProtectedTrustors = append(opts.ProtectedTrustors, r.ID)
	}
	listedTrustees := map[string]bool{}
	for _, t := range p.Config.Trustees {
		listedTrustees[strings.ToLower(t.ID)] = true
	}
	listedTrustors := map[string]bool{}
	for _, t := range p.Config.Trustors {
		listedTrustors[strings.ToLower(t.ID)] = true
	}
	for _, id := range p.Live.CareOrgIDs {
		if !listedTrustees[strings.ToLower(id)] {
			opts.ProtectedTrustees = append(opts.ProtectedTrustees, id)
		}
		if !listedTrustors[strings.ToLower(id)] {
			opts.ProtectedTrustors = append(opts.ProtectedTrustors, id)
		}
	}
	return opts
}

// Check runs apply's safety rails ([apply.Check]) without writing, so a
// front end can refuse before asking for confirmation.
func (p *Planned) Check(allowRemovals bool) error {
	return apply.Check(p.Plan, p.Options(allowRemovals))
}

// Apply executes the plan, verifies the outcome by reading live state and
// planning again, and keeps the apply record. It returns an error, having
// written nothing, when the plan is refused or the record cannot be
// started; otherwise Applied says what happened (a record that could not
// be updated is reported in the error too, after the run).
func (p *Planned) Apply(ctx context.Context, opts ApplyOptions, rep Reporter) (*Applied, error) {
	rec, err := p.newRecorder(opts)
	if err != nil {
		return nil, err
	}
	out := &Applied{}
	if !p.Plan.HasChanges() {
		// Nothing to do: the plan just computed is the proof.
		out.Verification = apply.Verification{Ran: true, Clean: true}
		out.Record, err = rec.final(nil, out.Verification)
		return out, err
	}
	aopts := p.Options(opts.AllowRemovals)
	if err := apply.Check(p.Plan, aopts); err != nil {
		return nil, err
	}
	if err := rec.begin(); err != nil {
		return nil, err
	}
	aopts.Stop = opts.Stop
	aopts.Progress = func(r apply.ChangeResult) {
		// Calls are serialized by apply.
		rec.changeEnded(r)
		rep.ChangeEnded(r)
	}
	before := p.Client.Stats()
	res, err := apply.Run(ctx, p.Client, p.Plan, aopts)
	if err != nil {
		// Check passed above, so this is not expected; nothing was written.
		rec.stopWriter()
		return nil, err
	}
	after := p.Client.Stats()
	out.Result = res
	out.Requests = after.Requests - before.Requests
	out.Retries = after.Retries - before.Retries
	out.RateLimited = after.RateLimited - before.RateLimited

	out.Verification, out.Remaining = p.verify(ctx, opts.Stop, rep)
	out.Record, err = rec.final(res, out.Verification)
	return out, err
}

// verify reads live state again and plans again.
// The changes still needed come with it.
func (p *Planned) verify(ctx context.Context, stop <-chan struct{}, rep Reporter) (apply.Verification, []plan.Change) {
	select {
	case <-stop:
		return apply.Verification{Error: "interrupted"}, nil
	default:
	}
	if err := ctx.Err(); err != nil {
		return apply.Verification{Error: "interrupted"}, nil
	}
	_, again, err := readAndCompute(ctx, p.Client, p.Config, p.Target.clock(), rep)
	if err != nil {
		return apply.Verification{Error: err.Error()}, nil
	}
	v := apply.Verification{Ran: true, Clean: !again.HasChanges()}
	for _, ch := range again.Changes {
		v.Remaining = append(v.Remaining, ch.Address)
	}
	return v, again.Changes
}

// recorder keeps the apply record file up to date: written once before the
// first write, then rewritten in the background whenever changes have
// ended since the last write, and completed by final. Writes are atomic, so
// the file is always a valid record; rewriting the whole record for every
// change of a large plan would cost time quadratic in its size, so changes
// that end while a write is under way go into the next one.
type recorder struct {
	p    *Planned
	path string
	meta apply.RecordMeta

	mu    sync.Mutex
	ended []apply.ChangeResult
	err   error // the first failed background write

	kick    chan struct{} // holds a token when a newer state awaits writing
	quit    chan struct{}
	writer  sync.WaitGroup
	started bool
}

func (p *Planned) newRecorder(opts ApplyOptions) (*recorder, error) {
	r := &recorder{p: p, path: opts.Record, kick: make(chan struct{}, 1), quit: make(chan struct{})}
	if r.path == "" {
		return r, nil
	}
	digest, err := planfile.DigestPlan(p.Plan)
	if err != nil {
		return nil, fmt.Errorf("apply record: %w", err)
	}
	r.meta = apply.RecordMeta{
		Start:            p.Start,
		TrustsyncVersion: opts.TrustsyncVersion,
		Build:            opts.Build,
		GitCommit:        opts.GitCommit,
		ConfigFiles:      p.Target.Files,
		ConfigDigest:     p.ConfigDigest,
		PlanDigest:       digest,
		LiveFingerprint:  p.Fingerprint,
	}
	if opts.Saved != nil {
		r.meta.PlanFile = opts.SavedPath
		r.meta.PlanFileDigest = opts.Saved.PlanDigest
	}
	return r, nil
}

// begin writes the record with every change pending, before the first
// write, and starts the background writer.
func (r *recorder) begin() error {
	if r.path == "" {
		return nil
	}
	if err := apply.NewRecord(r.p.Plan, nil, r.meta).WriteFile(r.path); err != nil {
		return err
	}
	r.started = true
	r.writer.Go(func() {
		for {
			select {
			case <-r.kick:
				r.flush()
			case <-r.quit:
				return
			}
		}
	})
	return nil
}

// changeEnded notes an ended change and asks the writer for a new record.
func (r *recorder) changeEnded(res apply.ChangeResult) {
	r.mu.Lock()
	r.ended = append(r.ended, res)
	r.mu.Unlock()
	if r.started {
		select {
		case r.kick <- struct{}{}:
		default: // a write is already due; it will include this change
		}
	}
}

// flush writes the record as it stands.
func (r *recorder) flush() {
	r.mu.Lock()
	ended := slices.Clone(r.ended)
	r.mu.Unlock()
	if err := apply.NewRecord(r.p.Plan, ended, r.meta).WriteFile(r.path); err != nil {
		r.mu.Lock()
		if r.err == nil {
			r.err = fmt.Errorf("the apply record could not be kept up to date during the run: %w", err)
		}
		r.mu.Unlock()
	}
}

// stopWriter stops the background writer, if it runs.
func (r *recorder) stopWriter() {
	if r.started {
		close(r.quit)
		r.writer.Wait()
		r.started = false
	}
}

// final stops the background writer and writes the complete record.
func (r *recorder) final(res *apply.Result, v apply.Verification) (*apply.Record, error) {
	r.stopWriter()
	meta := r.meta
	if meta.Start.IsZero() {
		meta.Start = r.p.Start
	}
	meta.Complete = true
	meta.Verification = v
	var results []apply.ChangeResult
	if res != nil {
		results = res.Changes
		meta.Interrupted = res.Interrupted
	}
	rec := apply.NewRecord(r.p.Plan, results, meta)
	if r.path == "" {
		return rec, nil
	}
	r.mu.Lock()
	bgErr := r.err
	r.mu.Unlock()
	return rec, errors.Join(bgErr, rec.WriteFile(r.path))
}
