// Package apply executes a [plan.Plan] against a live organization.
//
// # Order
//
// Apply executes exactly the graph the plan carries ([plan.Change.Key],
// DependsOn, Requires), without re-sorting or re-deriving it, and refuses a
// plan whose graph [plan.CheckGraph] rejects. Changes run in three stages
// ([plan.StageOf]): every narrowing change first, then the neutral ones,
// then every widening one, so that an apply stopped half way never leaves
// more access than either the old or the new state allows. If any narrowing
// change does not succeed, no widening change runs: they are reported as
// skipped. Within a stage a change starts as soon as the changes it depends
// on have finished; a change one of whose requirements did not succeed is
// skipped. Apply sets no limit of its own on how much runs at once: the API
// client admits at most its configured number of requests in flight.
//
// # Interrupts
//
// Closing [Options.Stop] starts no new change: a change whose write has
// no connection to the service yet (it may be waiting for the client to
// admit it) is not sent and ends skipped. Writes already on their way
// finish and are read back. A change whose outcome is still not known ends
// [StatusUnknown], never [StatusFailed]. Cancelling the context stops at
// once, abandoning the requests in flight (their changes end unknown).
//
// # Writes and read-backs
//
// Each change is one API write (creating a trust carries its users and
// groups, with their roles, in the single POST /trustees call: exactly the
// members the file names, since nothing else joins a new trust). When a write's outcome is
// ambiguous (a 5xx or a timeout after the client's own retries, which for a
// POST happen only when the request provably never arrived), the object is
// read back: if live state already shows the desired result the change
// succeeded; if the write evidently did not happen it is tried once more. A
// 404 on a delete and a 409 on an add or create, and the client's
// AlreadyGone and AlreadyPresent outcomes, count as done once a read-back
// shows the desired state. Setting a trustee user's roles is always read
// back, because the service may add roles rather than replace them; a
// mismatch is a failure naming both role sets. The same holds for trustee
// groups and their roles, and for this org's groups in a trustor's trust.
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
	"github.com/trustsync/trustsync/internal/permission"
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

	AddTrusteeGroup(ctx context.Context, trusteeOrgID string, body client.TrustMemberCreate) (*client.TrustGroup, client.Outcome, error)
	DeleteTrusteeGroup(ctx context.Context, trusteeOrgID, groupID string) (client.Outcome, error)
	GetTrusteeGroup(ctx context.Context, trusteeOrgID, groupID string) (*client.TrustGroup, error)

	SetTrusteeGroupRoles(ctx context.Context, trusteeOrgID, groupID string, roleIDs []string) (*client.UserAuthorization, error)
	DeleteTrusteeGroupRoles(ctx context.Context, trusteeOrgID, groupID string) (client.Outcome, error)
	GetTrusteeGroupRoles(ctx context.Context, trusteeOrgID, groupID string) (*client.UserAuthorization, error)

	DeleteTrustor(ctx context.Context, trustorOrgID string) (client.Outcome, error)
	GetTrustor(ctx context.Context, trustorOrgID string) (*client.Trustor, error)
	AddTrustorUser(ctx context.Context, trustorOrgID, userID string) (*client.TrustUser, client.Outcome, error)
	DeleteTrustorUser(ctx context.Context, trustorOrgID, userID string) (client.Outcome, error)
	GetTrustorUser(ctx context.Context, trustorOrgID, userID string) (*client.TrustUser, error)
	AddTrustorGroup(ctx context.Context, trustorOrgID, groupID string) (*client.TrustGroup, client.Outcome, error)
	DeleteTrustorGroup(ctx context.Context, trustorOrgID, groupID string) (client.Outcome, error)
	GetTrustorGroup(ctx context.Context, trustorOrgID, groupID string) (*client.TrustGroup, error)
}

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
	// Stop, when closed, stops the run gracefully: no change starts after
	// it, and a write already sent to the service finishes (bounded by the
	// client's deadline, --timeout) and is read back as usual; a change
	// whose outcome the read-back cannot establish ends [StatusUnknown].
	// Cancelling Run's context instead stops at once: requests in flight
	// are abandoned and their changes end unknown. nil never stops.
	Stop <-chan struct{}
	// Progress, when set, is called once per change as it ends (in any
	// status), never concurrently. It runs while the run holds its lock,
	// so it should be quick (writing a small file is fine).
	Progress func(ChangeResult)
}

// Status is how a change ended.
type Status int

const (
	// StatusSkipped means the change was not attempted: a prerequisite did
	// not succeed, a narrowing change failed (for widening changes), or the
	// run was interrupted before it started. It is the zero value.
	StatusSkipped Status = iota
	// StatusOK means live state now shows the change.
	StatusOK
	// StatusFailed means the change was attempted and live state shows it
	// did not take effect: the service refused it, or a read-back found
	// something other than the desired result.
	StatusFailed
	// StatusUnknown means a write was sent and what became of it could not
	// be established: its answer was lost (the run was stopped, or it
	// timed out) and no read-back could tell. Err says what the read-back
	// showed. The change may or may not be in effect; plan tells.
	StatusUnknown
)

// String returns "ok", "failed", "skipped" or "unknown".
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusFailed:
		return "failed"
	case StatusSkipped:
		return "skipped"
	case StatusUnknown:
		return "unknown"
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
	// *client.APIError for its status and correlation id); for a 403 it
	// also says which permission apply needs and what for
	// ([permission.Explain]).
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
	// Interrupted is set when the run was stopped ([Options.Stop] or its
	// context) before it had run every change it could.
	Interrupted bool
}

// Counts are how many changes ended in each status.
type Counts struct {
	OK, Failed, Skipped, Unknown int
}

// Counts counts the changes by status.
func (r *Result) Counts() Counts {
	var n Counts
	for _, c := range r.Changes {
		switch c.Status {
		case StatusOK:
			n.OK++
		case StatusFailed:
			n.Failed++
		case StatusUnknown:
			n.Unknown++
		default:
			n.Skipped++
		}
	}
	return n
}

// Succeeded reports whether every change succeeded.
func (r *Result) Succeeded() bool {
	return r.Counts().OK == len(r.Changes)
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
// plan's graph must pass [plan.CheckGraph], the removal guard, and the
// refusal to touch protected trusts or to execute a change apply does not
// support. Run calls it; callers may call it earlier
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
	if err := plan.CheckGraph(p.Changes); err != nil {
		return fmt.Errorf("refusing to apply: the plan's order and dependencies are not a valid graph (was it edited, or made by another version?):\n%w\nhint: run plan again", err)
	}
	return nil
}

func isTrusteeKind(k plan.Kind) bool {
	switch k {
	case plan.KindTrustee, plan.KindTrusteeUser, plan.KindTrusteeUserRoles, plan.KindTrusteeGroup, plan.KindTrusteeGroupRoles:
		return true
	}
	return false
}

func isTrustorKind(k plan.Kind) bool {
	return k == plan.KindTrustor || k == plan.KindTrustorUser || k == plan.KindTrustorGroup
}

// validateChange reports a change apply cannot execute: an unknown kind or
// action, a missing id, or a trust creation without what POST /trustees
// needs.
func validateChange(c plan.Change) error {
	rule, ok := executable[c.Kind]
	if !ok {
		return fmt.Errorf("unknown change kind %q", c.Kind)
	}
	for _, id := range rule.ids {
		if id.of(c) == "" {
			return fmt.Errorf("%s %s change has no %s", c.Kind, c.Action, id.name)
		}
	}
	need, ok := rule.actions[c.Action]
	if !ok {
		if c.Kind == plan.KindTrustor {
			return fmt.Errorf("apply cannot %s a trustor trust: it can only be left (deleted) from this side", c.Action)
		}
		return fmt.Errorf("apply cannot %s a %s", c.Action, c.Kind)
	}
	if need == nil {
		return nil
	}
	return need(c.After)
}

// changeID is one of the ids a change must carry.
type changeID struct {
	name string
	of   func(plan.Change) string
}

var (
	trusteeID = changeID{"trustee id", func(c plan.Change) string { return c.TrusteeID }}
	trustorID = changeID{"trustor id", func(c plan.Change) string { return c.TrustorID }}
	userID    = changeID{"user id", func(c plan.Change) string { return c.UserID }}
	groupID   = changeID{"group id", func(c plan.Change) string { return c.GroupID }}
)

// executableKind says what apply needs of a change of one kind: the ids it
// must carry, and the actions it can execute, each with the check of the
// after value it writes (nil when the action writes none).
type executableKind struct {
	ids     []changeID
	actions map[plan.Action]func(after *plan.Value) error
}

// executable lists every change apply can execute.
var executable = map[plan.Kind]executableKind{
	plan.KindTrustee: {ids: []changeID{trusteeID}, actions: map[plan.Action]func(*plan.Value) error{
		plan.Create: checkNewTrust,
		plan.Update: func(after *plan.Value) error {
			if after == nil || after.Enabled == nil {
				return errors.New("trust update has no complete after value (enabled)")
			}
			return nil
		},
		plan.Delete: nil,
	}},
	plan.KindTrusteeUser: {ids: []changeID{trusteeID, userID}, actions: map[plan.Action]func(*plan.Value) error{
		plan.Create: needAfter("adding a trustee user needs its after value"),
		plan.Delete: nil,
	}},
	plan.KindTrusteeUserRoles: {ids: []changeID{trusteeID, userID}, actions: roleSetActions},
	plan.KindTrusteeGroup: {ids: []changeID{trusteeID, groupID}, actions: map[plan.Action]func(*plan.Value) error{
		plan.Create: needAfter("adding a trustee group needs its after value"),
		plan.Delete: nil,
	}},
	plan.KindTrusteeGroupRoles: {ids: []changeID{trusteeID, groupID}, actions: roleSetActions},
	plan.KindTrustor:           {ids: []changeID{trustorID}, actions: map[plan.Action]func(*plan.Value) error{plan.Delete: nil}},
	plan.KindTrustorUser:       {ids: []changeID{trustorID, userID}, actions: map[plan.Action]func(*plan.Value) error{plan.Create: nil, plan.Delete: nil}},
	plan.KindTrustorGroup:      {ids: []changeID{trustorID, groupID}, actions: map[plan.Action]func(*plan.Value) error{plan.Create: nil, plan.Delete: nil}},
}

// roleSetActions are those of a member's role set: set (to the complete
// set after the change) or clear.
var roleSetActions = map[plan.Action]func(*plan.Value) error{
	plan.Create: needAfter("a role change needs the complete role set after it"),
	plan.Update: needAfter("a role change needs the complete role set after it"),
	plan.Delete: nil,
}

func needAfter(msg string) func(*plan.Value) error {
	return func(after *plan.Value) error {
		if after == nil {
			return errors.New(msg)
		}
		return nil
	}
}

// checkNewTrust checks what POST /trustees needs: the pairing id and at
// least one member, each with an id.
func checkNewTrust(after *plan.Value) error {
	if after == nil || after.PairingID == "" {
		return errors.New("creating a trust needs the pairingId the trustee org gave you")
	}
	for _, u := range after.Users {
		if u.ID == "" {
			return errors.New("a user of the new trust has no id")
		}
	}
	for _, g := range after.Groups {
		if g.ID == "" {
			return errors.New("a group of the new trust has no id")
		}
	}
	if len(after.Users) == 0 && len(after.Groups) == 0 {
		return errors.New("a new trust needs at least one user or group: POST /trustees creates a trust with exactly the members it names, and the service refuses one with none")
	}
	return nil
}

// Run executes p against api after [Check] passes. It returns an error, and
// makes no write, only when the plan is refused; otherwise the Result says
// how each change ended (see [Result.Succeeded]).
//
// Run executes exactly the plan's graph: the stages in order (narrow,
// neutral, widen; see [plan.StageOf]) and, within a stage, every change as
// soon as the changes it depends on have finished, all of them concurrently
// (the client bounds the requests in flight). Closing opts.Stop stops the
// run gracefully; cancelling ctx stops it at once (see [Options.Stop]).
func Run(ctx context.Context, api API, p *plan.Plan, opts Options) (*Result, error) {
	if err := Check(p, opts); err != nil {
		return nil, err
	}
	start := time.Now()
	r := newRunner(api, p.Changes, opts)
	narrowOK := true
	for _, st := range []plan.Stage{plan.StageNarrow, plan.StageNeutral, plan.StageWiden} {
		var stage []int
		for i, c := range p.Changes {
			if plan.StageOf(c.Effect) == st {
				stage = append(stage, i)
			}
		}
		if r.stopped(ctx) {
			for _, i := range stage {
				r.finish(i, StatusSkipped, interrupted(ctx))
			}
			continue
		}
		if st == plan.StageWiden && !narrowOK {
			for _, i := range stage {
				r.finish(i, StatusSkipped, errors.New("a narrowing change did not succeed, so no widening change runs"))
			}
			continue
		}
		r.runStage(ctx, stage)
		if st == plan.StageNarrow {
			for _, i := range stage {
				if r.results[i].Status != StatusOK {
					narrowOK = false
				}
			}
		}
	}
	return &Result{Changes: r.results, Duration: time.Since(start), Interrupted: r.stopped(ctx)}, nil
}

// ErrInterrupted is the reason of a change that did not start because the
// run was stopped ([Options.Stop] or a cancelled context).
var ErrInterrupted = errors.New("not started: the run was interrupted")

// runner holds one run's shared state.
type runner struct {
	api     API
	opts    Options
	changes []plan.Change
	// deps and reqs are, for each change, the indices of the changes it
	// depends on and of those it requires, from the plan's keys.
	deps, reqs [][]int

	mu      sync.Mutex // guards results and serializes Progress
	results []ChangeResult
	done    []chan struct{} // closed when a change has finished
}

// newRunner indexes the plan's graph, which [Check] has validated with
// [plan.CheckGraph]: every key is unique, every dependency is in the plan
// before its dependent and in the same or an earlier stage.
func newRunner(api API, cs []plan.Change, opts Options) *runner {
	r := &runner{
		api:     api,
		opts:    opts,
		changes: cs,
		deps:    make([][]int, len(cs)),
		reqs:    make([][]int, len(cs)),
		results: make([]ChangeResult, len(cs)),
		done:    make([]chan struct{}, len(cs)),
	}
	pos := make(map[string]int, len(cs))
	for i, c := range cs {
		pos[c.Key] = i
		r.results[i] = ChangeResult{Index: i, Change: c, Status: StatusSkipped}
		r.done[i] = make(chan struct{})
	}
	for i, c := range cs {
		for _, k := range c.DependsOn {
			r.deps[i] = append(r.deps[i], pos[k])
		}
		for _, k := range c.Requires {
			r.reqs[i] = append(r.reqs[i], pos[k])
		}
	}
	return r
}

// stopped reports whether the run was asked to stop.
func (r *runner) stopped(ctx context.Context) bool {
	select {
	case <-r.opts.Stop:
		return true
	default:
	}
	return ctx.Err() != nil
}

// runStage runs the changes of one stage and returns when all have
// finished. A change starts once the changes it depends on have finished
// (those of earlier stages already have), unless one it requires did not
// succeed or the run was stopped.
func (r *runner) runStage(ctx context.Context, stage []int) {
	var wg sync.WaitGroup
	for _, i := range stage {
		wg.Go(func() {
			for _, j := range r.deps[i] {
				<-r.done[j]
			}
			for _, j := range r.reqs[i] {
				r.mu.Lock()
				st := r.results[j].Status
				r.mu.Unlock()
				if st != StatusOK {
					r.finish(i, StatusSkipped, fmt.Errorf("prerequisite %s %s", r.changes[j].Address, st))
					return
				}
			}
			if r.stopped(ctx) {
				r.finish(i, StatusSkipped, interrupted(ctx))
				return
			}
			r.execute(ctx, i)
		})
	}
	wg.Wait()
}

// interrupted is the reason a change did not start.
func interrupted(ctx context.Context) error {
	if cause := context.Cause(ctx); cause != nil {
		return fmt.Errorf("%w (%w)", ErrInterrupted, cause)
	}
	return ErrInterrupted
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
	ex := &execution{api: r.api, change: c, stop: r.opts.Stop}
	var answers client.CorrelationRecorder
	st, err := ex.run(client.WithCorrelationRecorder(ctx, &answers))
	if e := permission.Explain("apply", err); e != "" {
		// A 403 says what to grant, wherever the error is shown.
		err = fmt.Errorf("%w; %s", err, e)
	}
	r.mu.Lock()
	res := &r.results[i]
	res.Duration = time.Since(start)
	res.Attempts = ex.attempts
	res.CorrelationIDs = answers.IDs()
	res.ErrorCorrelationIDs = ex.errorIDs
	res.Notes = ex.notes
	r.mu.Unlock()
	r.finish(i, st, err)
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
