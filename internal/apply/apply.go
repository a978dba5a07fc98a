// Package apply executes a [plan.Plan] against a live organization.
//
// # Order
//
// Changes run in three stages by effect: every narrowing change first, then
// the neutral ones, then every widening one, so that an apply stopped half
// way never leaves more access than either the old or the new state allows.
// If any narrowing change does not succeed, no widening change runs: they
// are reported as skipped. Within a stage, independent changes run
// concurrently (bounded by [Options.Concurrency]; the API client limits
// requests in flight too), while related changes keep their order: a trust
// is created before its users, a user's roles are changed after the user is
// added, a trust is deleted after the changes to its users. A change whose
// prerequisite did not succeed is skipped.
//
// # Writes and read-backs
//
// Each change is one API write (creating a trust carries its users and their
// roles in the single POST /trustees call). When a write's outcome is
// ambiguous (a 5xx or a timeout after the client's own retries, which for a
// POST happen only when the request provably never arrived), the object is
// read back: if live state already shows the desired result the change
// succeeded; if the write evidently did not happen it is tried once more. A
// 404 on a delete and a 409 on an add or create, and the client's
// AlreadyGone and AlreadyPresent outcomes, count as done once a read-back
// shows the desired state. Setting a trustee user's roles is always read
// back, because the service may add roles rather than replace them; a
// mismatch is a failure naming both role sets.
//
// Each change's requests (writes and read-backs) run with their own
// [client.CorrelationRecorder], so its result lists the correlation id of
// every API answer behind it, for the apply record and access reviews.
//
// # Safety rails
//
// [Check] runs before the first write (and [Run] calls it): the removal guard
// refuses a plan that removes more than the allowed share of the managed
// live objects unless removals are explicitly allowed, and a plan that would
// touch a protected or Genesys Customer Care trust, or holds a change apply
// cannot execute, is refused as a whole. A refused plan makes no write.
package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/plan"
)

// API is the part of the API client apply uses: the writes that execute
// changes and the reads that confirm them. *client.Client satisfies it; an
// implementation reports the correlation id of each answer to the
// recorders of the request's context ([client.WithCorrelationRecorder]) as
// *client.Client does, or the change results list none.
type API interface {
	CreateTrustee(ctx context.Context, body client.TrustCreate) (*client.Trustee, client.Outcome, error)
	UpdateTrustee(ctx context.Context, trusteeOrgID string, body client.TrustUpdate) (*client.Trustee, error)
	DeleteTrustee(ctx context.Context, trusteeOrgID string) (client.Outcome, error)
	GetTrustee(ctx context.Context, trusteeOrgID string) (*client.Trustee, error)

	AddTrusteeUser(ctx context.Context, trusteeOrgID string, body client.TrustMemberCreate) (*client.TrustUser, client.Outcome, error)
	DeleteTrusteeUser(ctx context.Context, trusteeOrgID, userID string) (client.Outcome, error)
	GetTrusteeUser(ctx context.Context, trusteeOrgID, userID string) (*client.TrustUser, error)

	SetTrusteeUserRoles(ctx context.Context, trusteeOrgID, userID string, roleIDs []string) (*client.UserAuthorization, error)
	DeleteTrusteeUserRoles(ctx context.Context, trusteeOrgID, userID string) (client.Outcome, error)
	GetTrusteeUserRoles(ctx context.Context, trusteeOrgID, userID string) (*client.UserAuthorization, error)

	DeleteTrustor(ctx context.Context, trustorOrgID string) (client.Outcome, error)
	GetTrustor(ctx context.Context, trustorOrgID string) (*client.Trustor, error)
	AddTrustorUser(ctx context.Context, trustorOrgID, userID string) (*client.TrustUser, client.Outcome, error)
	DeleteTrustorUser(ctx context.Context, trustorOrgID, userID string) (client.Outcome, error)
	GetTrustorUser(ctx context.Context, trustorOrgID, userID string) (*client.TrustUser, error)
}

// DefaultConcurrency is how many changes of one stage run at once when
// [Options.Concurrency] is zero.
const DefaultConcurrency = 8

// maxWrites bounds how often one change's write is issued: the first try
// plus one more when a read-back shows that an ambiguous write did not
// happen.
const maxWrites = 2

// Options control a run.
type Options struct {
	// MaxRemovalPercent is the share of managed live objects a plan may
	// remove without AllowRemovals: policy.maxRemovalPercent, taken as
	// given (loading a configuration fills in the default of 25). Zero, the
	// strictest value, refuses every removal.
	MaxRemovalPercent int
	// AllowRemovals lifts the removal guard.
	AllowRemovals bool
	// ProtectedTrustees and ProtectedTrustors are org ids whose trusts must
	// never be changed (the configuration's protect lists and the Genesys
	// Customer Care orgs). The plan already leaves them out and lists them
	// in Plan.Protected; a change that touches one anyway refuses the run.
	ProtectedTrustees []string
	ProtectedTrustors []string
	// Concurrency bounds how many changes of one stage run at once; zero
	// means DefaultConcurrency.
	Concurrency int
	// Progress, when set, is called once per change as it finishes
	// (succeeded, failed or skipped), never concurrently.
	Progress func(ChangeResult)
}

// Status is how a change ended.
type Status int

const (
	// StatusSkipped means the change was not attempted: a prerequisite did
	// not succeed, a narrowing change failed (for widening changes), or the
	// run was interrupted. It is the zero value.
	StatusSkipped Status = iota
	// StatusOK means live state now shows the change.
	StatusOK
	// StatusFailed means the change was attempted and did not take effect
	// (or could not be confirmed).
	StatusFailed
)

// String returns "ok", "failed" or "skipped".
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusFailed:
		return "failed"
	case StatusSkipped:
		return "skipped"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// ChangeResult is the outcome of one change.
type ChangeResult struct {
	// Index is the change's position in Plan.Changes.
	Index  int
	Change plan.Change
	Status Status
	// Err says why a change failed or was skipped; nil for ok. For a
	// failure it carries the API error (use [errors.As] with
	// *client.APIError for its status and correlation id).
	Err error
	// Duration is the wall time spent on the change, read-backs included.
	Duration time.Duration
	// Attempts counts the writes issued for the change (the client's own
	// retries of one write are not counted separately).
	Attempts int
	// CorrelationIDs are the correlation ids of every API answer behind
	// the change, in the order the answers arrived: each write attempt
	// (the client's retries included) and each read-back request, 2xx and
	// error answers alike. They let a reviewer find each request in the
	// organization's audit trail or with Genesys Cloud support. Empty for
	// a skipped change.
	CorrelationIDs []string
	// ErrorCorrelationIDs are the correlation ids of the API errors the
	// change's writes and read-backs ended in, oldest first, without
	// duplicates: the ids Err and Notes name. They are among
	// CorrelationIDs, which also hold the answers the client retried past
	// and the expected 404 of a read-back after a delete.
	ErrorCorrelationIDs []string
	// Notes describe how an ambiguous outcome was resolved, for example
	// "write answered 503; read-back shows the change took effect".
	Notes []string
}

// Result is the outcome of a run, one entry per plan change in plan order.
type Result struct {
	Changes  []ChangeResult
	Duration time.Duration
}

// Counts returns how many changes succeeded, failed and were skipped.
func (r *Result) Counts() (ok, failed, skipped int) {
	for _, c := range r.Changes {
		switch c.Status {
		case StatusOK:
			ok++
		case StatusFailed:
			failed++
		default:
			skipped++
		}
	}
	return ok, failed, skipped
}

// Succeeded reports whether every change succeeded.
func (r *Result) Succeeded() bool {
	ok, _, _ := r.Counts()
	return ok == len(r.Changes)
}

// RemovalGuardError is returned when a plan removes more managed objects
// than the policy allows and removals were not explicitly allowed.
type RemovalGuardError struct {
	Removals   int
	Managed    int
	MaxPercent int
}

func (e *RemovalGuardError) Error() string {
	return fmt.Sprintf("refusing to apply: the plan removes %d of %d managed live objects (%d%%), more than policy.maxRemovalPercent (%d%%)\n"+
		"hint: review the plan; if these removals are intended, run again with --allow-removals",
		e.Removals, e.Managed, percent(e.Removals, e.Managed), e.MaxPercent)
}

func percent(n, of int) int {
	if of == 0 {
		return 0
	}
	return n * 100 / of
}

// Check runs the safety rails that must pass before the first write: the
// removal guard and the refusal to touch protected trusts or to execute a
// change apply does not support. Run calls it; callers may call it earlier
// (before asking for confirmation).
func Check(p *plan.Plan, opts Options) error {
	if p == nil {
		return errors.New("refusing to apply: no plan")
	}
	maxPct := opts.MaxRemovalPercent
	if !opts.AllowRemovals && plan.RemovalGuardTrips(p.Managed, p.Removals, maxPct) {
		return &RemovalGuardError{Removals: p.Removals, Managed: p.Managed, MaxPercent: maxPct}
	}

	protTrustees := map[string]string{}
	protTrustors := map[string]string{}
	for _, id := range opts.ProtectedTrustees {
		protTrustees[strings.ToLower(id)] = "protected: listed under protect, or a Customer Care org"
	}
	for _, id := range opts.ProtectedTrustors {
		protTrustors[strings.ToLower(id)] = "protected: listed under protect, or a Customer Care org"
	}
	for _, pr := range p.Protected {
		why := pr.Reason
		if why == "" {
			why = "protected: listed under protect, or a Customer Care org"
		}
		switch pr.Kind {
		case plan.KindTrustee:
			protTrustees[strings.ToLower(pr.TrusteeID)] = why
		case plan.KindTrustor:
			protTrustors[strings.ToLower(pr.TrustorID)] = why
		}
	}
	var errs []error
	for _, c := range p.Changes {
		if isTrusteeKind(c.Kind) {
			if why, ok := protTrustees[strings.ToLower(c.TrusteeID)]; ok {
				errs = append(errs, fmt.Errorf("%s: apply never changes this trust (%s)", c.Address, why))
				continue
			}
		}
		if isTrustorKind(c.Kind) {
			if why, ok := protTrustors[strings.ToLower(c.TrustorID)]; ok {
				errs = append(errs, fmt.Errorf("%s: apply never changes this trust (%s)", c.Address, why))
				continue
			}
		}
		if err := validateChange(c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Address, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("refusing to apply: the plan holds changes apply must not make:\n%w", errors.Join(errs...))
	}
	return nil
}

func isTrusteeKind(k plan.Kind) bool {
	return k == plan.KindTrustee || k == plan.KindTrusteeUser || k == plan.KindTrusteeUserRoles
}

func isTrustorKind(k plan.Kind) bool {
	return k == plan.KindTrustor || k == plan.KindTrustorUser
}

// validateChange reports a change apply cannot execute: an unknown kind or
// action, a missing id, or a trust creation without what POST /trustees
// needs.
func validateChange(c plan.Change) error {
	need := func(what, v string) error {
		if v == "" {
			return fmt.Errorf("%s %s change has no %s", c.Kind, c.Action, what)
		}
		return nil
	}
	switch c.Kind {
	case plan.KindTrustee:
		if err := need("trustee id", c.TrusteeID); err != nil {
			return err
		}
		switch c.Action {
		case plan.Create:
			if c.After == nil || c.After.PairingID == "" {
				return errors.New("creating a trust needs the pairingId the trustee org gave you")
			}
			for _, u := range c.After.Users {
				if u.ID == "" {
					return errors.New("a user of the new trust has no id")
				}
			}
			return nil
		case plan.Update:
			if c.After == nil || c.After.Enabled == nil {
				return errors.New("trust update has no complete after value (enabled)")
			}
			return nil
		case plan.Delete:
			return nil
		}
	case plan.KindTrusteeUser:
		if err := need("trustee id", c.TrusteeID); err != nil {
			return err
		}
		if err := need("user id", c.UserID); err != nil {
			return err
		}
		switch c.Action {
		case plan.Create:
			if c.After == nil {
				return errors.New("adding a trustee user needs its after value")
			}
			return nil
		case plan.Delete:
			return nil
		}
	case plan.KindTrusteeUserRoles:
		if err := need("trustee id", c.TrusteeID); err != nil {
			return err
		}
		if err := need("user id", c.UserID); err != nil {
			return err
		}
		switch c.Action {
		case plan.Create, plan.Update:
			if c.After == nil {
				return errors.New("a role change needs the complete role set after it")
			}
			return nil
		case plan.Delete:
			return nil
		}
	case plan.KindTrustor:
		if err := need("trustor id", c.TrustorID); err != nil {
			return err
		}
		if c.Action == plan.Delete {
			return nil
		}
		return fmt.Errorf("apply cannot %s a trustor trust: it can only be left (deleted) from this side", c.Action)
	case plan.KindTrustorUser:
		if err := need("trustor id", c.TrustorID); err != nil {
			return err
		}
		if err := need("user id", c.UserID); err != nil {
			return err
		}
		switch c.Action {
		case plan.Create, plan.Delete:
			return nil
		}
	default:
		return fmt.Errorf("unknown change kind %q", c.Kind)
	}
	return fmt.Errorf("apply cannot %s a %s", c.Action, c.Kind)
}

// Run executes p against api after [Check] passes. It returns an error, and
// makes no write, only when the plan is refused; otherwise the Result says
// how each change ended (see [Result.Succeeded]).
func Run(ctx context.Context, api API, p *plan.Plan, opts Options) (*Result, error) {
	if err := Check(p, opts); err != nil {
		return nil, err
	}
	start := time.Now()
	r := &runner{
		api:     api,
		opts:    opts,
		changes: p.Changes,
		results: make([]ChangeResult, len(p.Changes)),
		done:    make([]chan struct{}, len(p.Changes)),
	}
	for i, c := range p.Changes {
		r.results[i] = ChangeResult{Index: i, Change: c, Status: StatusSkipped}
		r.done[i] = make(chan struct{})
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	r.sem = make(chan struct{}, conc)

	narrowOK := true
	var finished []int
	for _, eff := range []plan.Effect{plan.Narrow, plan.Neutral, plan.Widen} {
		stage := r.stage(eff)
		prev := finished
		finished = append(slices.Clone(finished), stage...)
		if ctx.Err() != nil {
			for _, i := range stage {
				r.finish(i, StatusSkipped, fmt.Errorf("interrupted: %w", context.Cause(ctx)))
			}
			continue
		}
		if eff == plan.Widen && !narrowOK {
			for _, i := range stage {
				r.finish(i, StatusSkipped, errors.New("a narrowing change did not succeed, so no widening change runs"))
			}
			continue
		}
		r.runStage(ctx, stage, prev)
		if eff == plan.Narrow {
			for _, i := range stage {
				if r.results[i].Status != StatusOK {
					narrowOK = false
				}
			}
		}
	}
	return &Result{Changes: r.results, Duration: time.Since(start)}, nil
}

// runner holds one run's shared state.
type runner struct {
	api     API
	opts    Options
	changes []plan.Change
	sem     chan struct{}

	mu      sync.Mutex // guards results and serializes Progress
	results []ChangeResult
	done    []chan struct{} // closed when a change has finished
}

// stage returns the indices of the changes with effect eff, in execution
// order: plan order, stably sorted so that within the stage a trust comes
// before its users, users before their roles, and a trust's deletion after
// every change to its users.
func (r *runner) stage(eff plan.Effect) []int {
	var idx []int
	for i, c := range r.changes {
		if effectOf(c) == eff {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return rank(r.changes[a]) - rank(r.changes[b]) })
	return idx
}

// effectOf maps a change to its stage; an unknown effect is treated as
// widening, the most cautious stage.
func effectOf(c plan.Change) plan.Effect {
	switch c.Effect {
	case plan.Narrow, plan.Neutral, plan.Widen:
		return c.Effect
	}
	return plan.Widen
}

// rank orders related changes within a stage: trusts (created or
// updated) first, then their users, then users' roles, and deleted trusts
// last.
func rank(c plan.Change) int {
	switch c.Kind {
	case plan.KindTrustee, plan.KindTrustor:
		if c.Action == plan.Delete {
			return 3
		}
		return 0
	case plan.KindTrusteeUser, plan.KindTrustorUser:
		return 1
	case plan.KindTrusteeUserRoles:
		return 2
	}
	return 0
}

// parentKey names the trust a change belongs to.
func parentKey(c plan.Change) string {
	if isTrustorKind(c.Kind) {
		return "trustor/" + c.TrustorID
	}
	return "trustee/" + c.TrusteeID
}

// objectKey names the object a change is about.
func objectKey(c plan.Change) string {
	switch c.Kind {
	case plan.KindTrustee, plan.KindTrustor:
		return parentKey(c)
	case plan.KindTrusteeUserRoles:
		return parentKey(c) + "/user/" + c.UserID + "/roles"
	}
	return parentKey(c) + "/user/" + c.UserID
}

// relation says whether change b must wait for change a, which runs before
// it, and whether b needs a to have succeeded.
func relation(a, b plan.Change) (wait, requires bool) {
	if parentKey(a) != parentKey(b) {
		return false, false
	}
	switch {
	case objectKey(a) == objectKey(b):
		// Two steps on one object (a role removal, then an addition).
		return true, true
	case a.Action == plan.Create && (a.Kind == plan.KindTrustee || a.Kind == plan.KindTrustor):
		// Users of a trust that is being created need the trust.
		return true, true
	case a.Kind == plan.KindTrusteeUser && a.Action == plan.Create &&
		b.Kind == plan.KindTrusteeUserRoles && a.UserID == b.UserID:
		return true, true
	case b.Action == plan.Delete && (b.Kind == plan.KindTrustee || b.Kind == plan.KindTrustor):
		// A trust is deleted after the changes to its users, whatever
		// became of them: deleting it narrows access regardless.
		return true, false
	}
	return false, false
}

// prerequisites returns, for change i at position pos of stage, the
// changes it waits for and those it requires to have succeeded: related
// changes earlier in the stage, and related changes of earlier stages
// (finished already, so only their outcome matters). finished holds the
// indices of the changes of earlier stages.
func (r *runner) prerequisites(stage []int, pos int, finished []int) (wait, requires []int) {
	i := stage[pos]
	for _, earlier := range [][]int{finished, stage[:pos]} {
		for _, j := range earlier {
			w, req := relation(r.changes[j], r.changes[i])
			if w {
				wait = append(wait, j)
			}
			if req {
				requires = append(requires, j)
			}
		}
	}
	return wait, requires
}

// runStage runs the changes of one stage and returns when all have
// finished; finished are the changes of the stages before.
func (r *runner) runStage(ctx context.Context, stage, finished []int) {
	var wg sync.WaitGroup
	for pos, i := range stage {
		wait, requires := r.prerequisites(stage, pos, finished)
		wg.Go(func() {
			for _, j := range wait {
				<-r.done[j]
			}
			for _, j := range requires {
				r.mu.Lock()
				st := r.results[j].Status
				r.mu.Unlock()
				if st != StatusOK {
					r.finish(i, StatusSkipped, fmt.Errorf("prerequisite %s %s", r.changes[j].Address, st))
					return
				}
			}
			select {
			case r.sem <- struct{}{}:
			case <-ctx.Done():
				r.finish(i, StatusSkipped, fmt.Errorf("interrupted: %w", context.Cause(ctx)))
				return
			}
			defer func() { <-r.sem }()
			if err := ctx.Err(); err != nil {
				r.finish(i, StatusSkipped, fmt.Errorf("interrupted: %w", context.Cause(ctx)))
				return
			}
			r.execute(ctx, i)
		})
	}
	wg.Wait()
}

// finish records a change's end, reports it and releases its dependents.
func (r *runner) finish(i int, st Status, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := &r.results[i]
	res.Status = st
	res.Err = err
	if r.opts.Progress != nil {
		r.opts.Progress(*res)
	}
	close(r.done[i])
}

// execute runs change i and records its result.
func (r *runner) execute(ctx context.Context, i int) {
	c := r.changes[i]
	start := time.Now()
	ex := &execution{api: r.api, change: c}
	var answers client.CorrelationRecorder
	err := ex.run(client.WithCorrelationRecorder(ctx, &answers))
	r.mu.Lock()
	res := &r.results[i]
	res.Duration = time.Since(start)
	res.Attempts = ex.attempts
	res.CorrelationIDs = answers.IDs()
	res.ErrorCorrelationIDs = ex.errorIDs
	res.Notes = ex.notes
	r.mu.Unlock()
	if err != nil {
		r.finish(i, StatusFailed, err)
		return
	}
	r.finish(i, StatusOK, nil)
}

// roleIDs returns the sorted ids of roles, as the plan spells them.
func roleIDs(roles []plan.Role) []string {
	ids := make([]string, 0, len(roles))
	for _, r := range roles {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// sameIDs reports whether two id sets are equal, ignoring case (ids are
// UUIDs) and order.
func sameIDs(a, b []string) bool {
	norm := func(ids []string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = strings.ToLower(id)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}

// formatIDs renders a role id set for messages.
func formatIDs(ids []string) string {
	if len(ids) == 0 {
		return "[]"
	}
	return "[" + strings.Join(ids, ", ") + "]"
}
