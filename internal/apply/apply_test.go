package apply_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// The org under management is Northwind. Live (testdata/fixture.yaml):
// trustee Bluebird (enabled, expires 2027-06-30; Bo [Claims Supervisor,
// Reporting Viewer], Bella [Claims Agent], Ben [Quality Evaluator]), the
// Customer Care trust, trustor Copperfield (Nadia, Oscar) and trustor
// Bluebird (Priya).

// everyKind changes every kind of object: the Bluebird trust's expiry is
// brought forward, Bo's roles are both reduced and extended, Bella loses
// her only role, Ben is removed, Bianca is added; a trust to Copperfield is
// created with a user; Oscar leaves the Copperfield trustor, Priya joins
// it; the Bluebird trustor is left.
const everyKind = `version: 1
organization: {id: a0000000-0000-4000-8000-000000000001}
trustees:
  - id: b0000000-0000-4000-8000-000000000002
    expires: 2027-03-31
    users:
      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Supervisor, Quality Evaluator]}
      - {id: b2000000-0000-4000-8000-000000000002, roles: []}
      - {id: b2000000-0000-4000-8000-000000000004, roles: [Claims Agent]}
  - id: c0000000-0000-4000-8000-000000000003
    pairingId: %s
    expires: 2027-01-31
    users:
      - {id: c2000000-0000-4000-8000-000000000001, roles: [Reporting Viewer, Claims Agent]}
trustors:
  - id: c0000000-0000-4000-8000-000000000003
    users:
      - {id: a2000000-0000-4000-8000-000000000001}
      - {id: a2000000-0000-4000-8000-000000000003}
`

// followUp is applied after everyKind: the Bluebird trust is disabled and
// no longer expires (a narrowing and a widening update), Bella gets a role
// back, and the Copperfield trust is deleted.
const followUp = `version: 1
organization: {id: a0000000-0000-4000-8000-000000000001}
trustees:
  - id: b0000000-0000-4000-8000-000000000002
    enabled: false
    users:
      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Supervisor, Quality Evaluator]}
      - {id: b2000000-0000-4000-8000-000000000002, roles: [Claims Agent]}
      - {id: b2000000-0000-4000-8000-000000000004, roles: [Claims Agent]}
trustors:
  - id: c0000000-0000-4000-8000-000000000003
    users:
      - {id: a2000000-0000-4000-8000-000000000001}
      - {id: a2000000-0000-4000-8000-000000000003}
`

// kinds lists the (kind, action, effect) combinations in p.
func kinds(p *plan.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		k := fmt.Sprintf("%s %s %s", c.Kind, c.Action, c.Effect)
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func TestApplyEveryKindThenPlanIsEmpty(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	before := h.bystanders()
	cfg := h.load(fmt.Sprintf(everyKind, h.pairing(copperfield, coraCopper)))
	p := h.plan(h.home, cfg)

	seen := kinds(p)
	for _, want := range []string{
		"trustee create widen", "trustee update narrow",
		"trustee_user create widen", "trustee_user delete narrow",
		"trustee_user_roles update narrow", "trustee_user_roles update widen",
		"trustor delete narrow", "trustor_user create widen", "trustor_user delete narrow",
	} {
		if !slices.Contains(seen, want) {
			t.Fatalf("the test plan has no %q change; it has %v", want, seen)
		}
	}

	auditStart := len(h.srv.AuditLog())
	var (
		mu       sync.Mutex
		progress []int
	)
	res, err := apply.Run(context.Background(), h.home, p, apply.Options{
		AllowRemovals: true,
		Progress: func(r apply.ChangeResult) {
			mu.Lock()
			defer mu.Unlock()
			progress = append(progress, r.Index)
		},
	})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	requireOK(t, res)
	if n := res.Counts(); n != (apply.Counts{OK: len(p.Changes)}) || !res.Succeeded() {
		t.Errorf("Counts() = %+v; want %d ok", n, len(p.Changes))
	}
	slices.Sort(progress)
	if want := len(p.Changes); len(progress) != want || slices.Compact(progress) == nil || len(slices.Compact(progress)) != want {
		t.Errorf("progress reported %v, want each of %d changes once", progress, want)
	}
	for i, c := range res.Changes {
		if c.Index != i || c.Change.Address != p.Changes[i].Address {
			t.Errorf("result %d is for change %d (%s), want plan order", i, c.Index, c.Change.Address)
		}
		if c.Attempts != 1 {
			t.Errorf("%s: %d attempts without faults, want 1", c.Change.Address, c.Attempts)
		}
	}

	entries := h.auditSince(auditStart)
	requireNarrowBeforeWiden(t, entries)
	requireWithinPlan(t, p, entries)
	if again := h.plan(h.home, cfg); again.HasChanges() {
		t.Fatalf("after apply the plan still has changes:\n%s", addresses(again))
	}

	// The follow-up covers the remaining kinds: disable, expiry removed,
	// role set from empty, trust deleted.
	cfg2 := h.load(followUp)
	p2 := h.plan(h.home, cfg2)
	seen = kinds(p2)
	for _, want := range []string{"trustee update narrow", "trustee update widen", "trustee delete narrow", "trustee_user_roles update widen"} {
		if !slices.Contains(seen, want) {
			t.Fatalf("the follow-up plan has no %q change; it has %v", want, seen)
		}
	}
	auditStart = len(h.srv.AuditLog())
	// Disabling a trust takes access away, so the removal guard counts it:
	// the follow-up needs AllowRemovals.
	res, err = apply.Run(context.Background(), h.home, p2, apply.Options{MaxRemovalPercent: cfg2.Policy.MaxRemovalPercent, AllowRemovals: true})
	if err != nil {
		t.Fatalf("apply follow-up: %v", err)
	}
	requireOK(t, res)
	entries = h.auditSince(auditStart)
	requireNarrowBeforeWiden(t, entries)
	requireWithinPlan(t, p2, entries)
	if again := h.plan(h.home, cfg2); again.HasChanges() {
		t.Fatalf("after the follow-up apply the plan still has changes:\n%s", addresses(again))
	}
	h.requireUntouched(before)
}

// TestRemovalGuard: removing everything (10 managed live objects) is
// refused with zero writes unless removals are allowed.
func TestRemovalGuard(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	cfg := h.load("version: 1\ntrustees: []\ntrustors: []\n")
	p := h.plan(h.home, cfg)
	if p.Managed < 8 || p.Removals != p.Managed {
		t.Fatalf("plan manages %d and removes %d objects; the test needs at least 8, all removed", p.Managed, p.Removals)
	}
	h.srv.ResetStats()
	res, err := apply.Run(context.Background(), h.home, p, apply.Options{MaxRemovalPercent: cfg.Policy.MaxRemovalPercent})
	var ge *apply.RemovalGuardError
	if !errors.As(err, &ge) || res != nil {
		t.Fatalf("Run = %v, %v; want a *RemovalGuardError and no result", res, err)
	}
	if ge.Removals != p.Removals || ge.Managed != p.Managed || ge.MaxPercent != 25 {
		t.Errorf("guard error %+v, want %d of %d at 25%%", ge, p.Removals, p.Managed)
	}
	for _, want := range []string{"refusing to apply", "--allow-removals", fmt.Sprintf("removes %d of %d", p.Removals, p.Managed)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if w := h.srv.Stats().Writes; w != 0 {
		t.Fatalf("the refused apply made %d writes", w)
	}
	// A higher policy limit lets the same plan through the guard's check;
	// 0 refuses any removal.
	if err := apply.Check(p, apply.Options{MaxRemovalPercent: 100}); err != nil {
		t.Errorf("Check with maxRemovalPercent 100: %v", err)
	}
	one := *p
	one.Removals = 1
	if err := apply.Check(&one, apply.Options{MaxRemovalPercent: 0}); !errors.As(err, &ge) {
		t.Errorf("Check of one removal with maxRemovalPercent 0 = %v, want a *RemovalGuardError", err)
	}

	before := h.bystanders()
	res, err = apply.Run(context.Background(), h.home, p, apply.Options{AllowRemovals: true})
	if err != nil {
		t.Fatalf("apply with removals allowed: %v", err)
	}
	requireOK(t, res)
	if again := h.plan(h.home, cfg); again.HasChanges() {
		t.Fatalf("plan after apply:\n%s", addresses(again))
	}
	h.requireUntouched(before)
}

// TestRefusesProtectedAndUnsupportedChanges: a plan that touches a
// protected trust, or holds a change apply cannot make, is refused as a
// whole before any write.
func TestRefusesProtectedAndUnsupportedChanges(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	cfg := h.load(fmt.Sprintf(everyKind, h.pairing(copperfield, coraCopper)))
	base := h.plan(h.home, cfg)
	if len(base.Protected) == 0 {
		t.Fatal("the plan lists no protected trust; the Customer Care trust should be")
	}

	enabled := false
	cases := map[string]struct {
		change plan.Change
		opts   apply.Options
		want   string
	}{
		"customer care trust": {
			change: plan.Change{Action: plan.Delete, Kind: plan.KindTrustee, Address: "trustee[Genesys Customer Care]", TrusteeID: care, TrustorID: northwind, Effect: plan.Narrow},
			want:   "apply never changes this trust (Genesys Customer Care trust)",
		},
		"group of the customer care trust": {
			change: plan.Change{Action: plan.Create, Kind: plan.KindTrusteeGroup, Address: "trustee[Genesys Customer Care].group[x]", TrusteeID: care, TrustorID: northwind, GroupID: "g", After: &plan.Value{}, Effect: plan.Widen},
			want:   "apply never changes this trust (Genesys Customer Care trust)",
		},
		"group of a protected trustor": {
			change: plan.Change{Action: plan.Delete, Kind: plan.KindTrustorGroup, Address: "trustor[Copperfield].group[x]", TrusteeID: northwind, TrustorID: copperfield, GroupID: "g", Effect: plan.Narrow},
			opts:   apply.Options{ProtectedTrustors: []string{copperfield}},
			want:   "apply never changes this trust (protected: listed under protect, or a Customer Care org)",
		},
		"protected by options": {
			change: plan.Change{Action: plan.Delete, Kind: plan.KindTrustorUser, Address: "trustor[Copperfield].user[Nadia]", TrusteeID: northwind, TrustorID: copperfield, UserID: nadiaNorth, Effect: plan.Narrow},
			opts:   apply.Options{ProtectedTrustors: []string{copperfield}},
			want:   "apply never changes this trust (protected: listed under protect, or a Customer Care org)",
		},
		"trustor update": {
			change: plan.Change{Action: plan.Update, Kind: plan.KindTrustor, Address: "trustor[Copperfield]", TrusteeID: northwind, TrustorID: copperfield, After: &plan.Value{Enabled: &enabled}, Effect: plan.Narrow},
			want:   "can only be left",
		},
		"trustee create without pairing": {
			change: plan.Change{Action: plan.Create, Kind: plan.KindTrustee, Address: "trustee[X]", TrusteeID: copperfield, TrustorID: northwind, After: &plan.Value{}, Effect: plan.Widen},
			want:   "pairingId",
		},
		"missing user id": {
			change: plan.Change{Action: plan.Delete, Kind: plan.KindTrusteeUser, Address: "trustee[Bluebird].user[?]", TrusteeID: bluebird, TrustorID: northwind, Effect: plan.Narrow},
			want:   "has no user id",
		},
		"unknown kind": {
			change: plan.Change{Action: plan.Delete, Kind: "trustee_widget", Address: "trustee[Bluebird].widget[x]", TrusteeID: bluebird, Effect: plan.Narrow},
			want:   `unknown change kind "trustee_widget"`,
		},
		"trustee create without members": {
			change: plan.Change{Action: plan.Create, Kind: plan.KindTrustee, Address: "trustee[X]", TrusteeID: copperfield, TrustorID: northwind, After: &plan.Value{PairingID: "p"}, Effect: plan.Widen},
			want:   "at least one user or group",
		},
		"missing group id": {
			change: plan.Change{Action: plan.Update, Kind: plan.KindTrusteeGroupRoles, Address: "trustee[Bluebird].group[?].roles", TrusteeID: bluebird, TrustorID: northwind, After: &plan.Value{}, Effect: plan.Widen},
			want:   "has no group id",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := *base
			p.Changes = append(slices.Clone(base.Changes), tc.change)
			tc.opts.AllowRemovals = true
			h.srv.ResetStats()
			res, err := apply.Run(context.Background(), h.home, &p, tc.opts)
			if err == nil || res != nil {
				t.Fatalf("Run = %v, %v; want a refusal", res, err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.change.Address) {
				t.Errorf("error %q does not name %q and %q", err, tc.change.Address, tc.want)
			}
			if w := h.srv.Stats().Writes; w != 0 {
				t.Fatalf("the refused apply made %d writes", w)
			}
		})
	}
	if _, err := apply.Run(context.Background(), h.home, nil, apply.Options{}); err == nil {
		t.Error("Run with a nil plan did not fail")
	}
}

// findChange returns the index of the change with kind, action and
// effect, optionally about userID.
func findChange(t *testing.T, p *plan.Plan, kind plan.Kind, action plan.Action, effect plan.Effect, userID string) int {
	t.Helper()
	for i, c := range p.Changes {
		if c.Kind == kind && c.Action == action && c.Effect == effect && (userID == "" || c.UserID == userID) {
			return i
		}
	}
	t.Fatalf("no %s %s %s change for %q in the plan:\n%s", kind, action, effect, userID, addresses(p))
	return -1
}

// TestLostAnswers: writes whose answer is lost after they took effect,
// writes that failed without effect, and retried deletes that meet their
// own success are resolved by reading back, without duplicate writes.
func TestLostAnswers(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	cfg := h.load(fmt.Sprintf(everyKind, h.pairing(copperfield, coraCopper)))
	p := h.plan(h.home, cfg)

	const api = "/api/v2/orgauthorization"
	// The trust creation commits, then its answer is lost: no retry.
	h.srv.Inject(sandbox.Fault{Method: "POST", Path: api + "/trustees", Status: 503, Commit: true})
	// Adding Bianca fails without effect: read back, then add again.
	h.srv.Inject(sandbox.Fault{Method: "POST", Path: api + "/trustees/" + bluebird + "/users", Status: 502})
	// Removing Ben commits but the answer is lost; the client retries the
	// DELETE, meets a 404 and reports it already gone.
	h.srv.Inject(sandbox.Fault{Method: "DELETE", Path: api + "/trustees/" + bluebird + "/users/" + benBaker, Status: 504, Commit: true})
	// Priya joins the trustor trust, the answer is lost twice.
	h.srv.Inject(sandbox.Fault{Method: "PUT", Path: api + "/trustors/" + copperfield + "/users/" + priyaPatel, Status: 503, Commit: true, Times: 2})
	// Leaving the Bluebird trustor: a 500 after the change was made; the
	// client retries the DELETE, meets a 404 and reports it already gone.
	h.srv.Inject(sandbox.Fault{Method: "DELETE", Path: api + "/trustors/" + bluebird, Status: 500, Commit: true})

	h.srv.ResetStats()
	res, err := apply.Run(context.Background(), h.home, p, apply.Options{AllowRemovals: true})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	requireOK(t, res)

	// check compares a change's write attempts, the number of API answers
	// behind it (writes, the client's retries and read-backs) and, when
	// the write answered an error, that the first answer's id is the
	// error's, as its note names it.
	check := func(i, attempts, answers int, note string, writeErr bool) {
		t.Helper()
		r := res.Changes[i]
		if r.Attempts != attempts {
			t.Errorf("%s: %d write attempts, want %d", r.Change.Address, r.Attempts, attempts)
		}
		if len(r.CorrelationIDs) != answers {
			t.Errorf("%s: correlation ids %q, want the ids of %d answers", r.Change.Address, r.CorrelationIDs, answers)
		}
		if note != "" && !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, note) }) {
			t.Errorf("%s: notes %q, want one containing %q", r.Change.Address, r.Notes, note)
		}
		switch {
		case !writeErr:
			if len(r.ErrorCorrelationIDs) != 0 {
				t.Errorf("%s: error correlation ids %q, want none", r.Change.Address, r.ErrorCorrelationIDs)
			}
		case len(r.CorrelationIDs) == 0 || !slices.Equal(r.ErrorCorrelationIDs, r.CorrelationIDs[:1]):
			t.Errorf("%s: error correlation ids %q, want the first answer's of %q", r.Change.Address, r.ErrorCorrelationIDs, r.CorrelationIDs)
		case !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "(correlation id "+r.CorrelationIDs[0]+")") }):
			t.Errorf("%s: notes %q do not name the write's correlation id %s", r.Change.Address, r.Notes, r.CorrelationIDs[0])
		}
	}
	// The lost 503, then the read-back of the trust, Cora and her roles.
	check(findChange(t, p, plan.KindTrustee, plan.Create, plan.Widen, ""), 1, 4, "read-back shows the change in effect", true)
	// The 502, the read-back's 404, the second write's 201.
	check(findChange(t, p, plan.KindTrusteeUser, plan.Create, plan.Widen, biancaBell), 2, 3, "did not take effect, writing again", true)
	// The lost 504, the client's retry meeting a 404, the read-back's 404.
	check(findChange(t, p, plan.KindTrusteeUser, plan.Delete, plan.Narrow, benBaker), 1, 3, "already gone", false)
	// Two lost 503s, the client's third attempt meeting a 409, the
	// read-back.
	check(findChange(t, p, plan.KindTrustorUser, plan.Create, plan.Widen, priyaPatel), 1, 4, "already present", false)
	// The 500, the client's retry meeting a 404, the read-back's 404.
	check(findChange(t, p, plan.KindTrustor, plan.Delete, plan.Narrow, ""), 1, 3, "already gone", false)
	// Every answer of the run belongs to exactly one change.
	requireAnswersAccounted(t, res, h.srv.Stats().Requests)

	// Exactly one write per change, lost answers included: nothing was
	// done twice.
	if w := h.srv.Stats().Writes; w != int64(len(p.Changes)) {
		t.Errorf("%d writes for %d changes", w, len(p.Changes))
	}
	if again := h.plan(h.home, cfg); again.HasChanges() {
		t.Fatalf("plan after apply:\n%s", addresses(again))
	}
}

// TestNarrowFailureStopsWidening: when a narrowing change fails, no
// widening change runs and nothing widens live.
func TestNarrowFailureStopsWidening(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	cfg := h.load(fmt.Sprintf(everyKind, h.pairing(copperfield, coraCopper)))
	p := h.plan(h.home, cfg)

	// A client that makes one attempt returns each 500; the read-back
	// shows Ben still in the trust, the second write fails the same way.
	path := "/api/v2/orgauthorization/trustees/" + bluebird + "/users/" + benBaker
	h.srv.Inject(sandbox.Fault{Method: "DELETE", Path: path, Status: 500, Times: 2})
	auditStart := len(h.srv.AuditLog())
	h.srv.ResetStats()
	once := h.client(northwind, client.Config{MaxAttempts: 1})
	res, err := apply.Run(context.Background(), once, p, apply.Options{AllowRemovals: true})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	requireAnswersAccounted(t, res, h.srv.Stats().Requests)
	failedIdx := findChange(t, p, plan.KindTrusteeUser, plan.Delete, plan.Narrow, benBaker)
	for i, r := range res.Changes {
		switch {
		case i == failedIdx:
			var apiErr *client.APIError
			if r.Status != apply.StatusFailed || !errors.As(r.Err, &apiErr) || apiErr.Status != 500 {
				t.Fatalf("%s: %s, %v; want failed with the API's 500", r.Change.Address, r.Status, r.Err)
			}
			// Each write answered 500 and was read back (200: Ben is
			// still there): four answers, the two errors among them,
			// the last one the failure's.
			ids := r.CorrelationIDs
			if r.Attempts != 2 || len(ids) != 4 {
				t.Errorf("%s: %d attempts, correlation ids %q; want 2 writes and 4 answers", r.Change.Address, r.Attempts, ids)
			} else if !slices.Equal(r.ErrorCorrelationIDs, []string{ids[0], ids[2]}) || apiErr.CorrelationID != ids[2] {
				t.Errorf("%s: error correlation ids %q, error's %s; want the writes' of %q, the last one the error's",
					r.Change.Address, r.ErrorCorrelationIDs, apiErr.CorrelationID, ids)
			}
			if !strings.Contains(r.Err.Error(), "the user is still in the trust") {
				t.Errorf("error %q does not say what the read-back found", r.Err)
			}
		case r.Change.Effect == plan.Narrow:
			if r.Status != apply.StatusOK {
				t.Errorf("%s: %s (%v); other narrowing changes should still run", r.Change.Address, r.Status, r.Err)
			}
		case r.Change.Effect == plan.Widen:
			if r.Status != apply.StatusSkipped || r.Err == nil || !strings.Contains(r.Err.Error(), "no widening change runs") {
				t.Errorf("%s: %s (%v); want skipped because a narrowing change failed", r.Change.Address, r.Status, r.Err)
			}
		}
	}
	if n := res.Counts(); n.Failed != 1 || n.Skipped == 0 || n.Unknown != 0 || res.Succeeded() {
		t.Errorf("Counts: %+v; want 1 failed and the widening changes skipped", n)
	}
	for _, m := range h.auditSince(auditStart) {
		if entryEffect(m) == plan.Widen {
			t.Errorf("a widening write happened: %s %s %v", m.Action, m.EntityType, m.Context)
		}
	}
	// A re-run converges.
	h.converge(cfg)
}

// TestPrerequisiteFailure: users to add to a trust whose creation failed
// are skipped, and a definite API error is reported with its correlation
// id, after a single write.
func TestPrerequisiteFailure(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	pairing := h.pairing(copperfield, coraCopper)
	enabled := true
	p := &plan.Plan{
		Organization: plan.Org{ID: northwind},
		Changes: []plan.Change{
			{Action: plan.Create, Kind: plan.KindTrustee, Address: "trustee[Copperfield]", TrusteeID: copperfield, TrustorID: northwind,
				After: &plan.Value{Enabled: &enabled, PairingID: pairing, Users: []plan.User{{ID: coraCopper, Roles: []plan.Role{{ID: roleClaimsSupervisor}}}}}, Effect: plan.Widen, Key: "c"},
			{Action: plan.Create, Kind: plan.KindTrusteeUser, Address: "trustee[Copperfield].user[Cora]", TrusteeID: copperfield, TrustorID: northwind, UserID: coraCopper,
				After: &plan.Value{Roles: []plan.Role{{ID: roleClaimsSupervisor}}}, Effect: plan.Widen, Key: "c/cora", DependsOn: []string{"c"}, Requires: []string{"c"}},
			{Action: plan.Create, Kind: plan.KindTrusteeUser, Address: "trustee[Bluebird].user[Bianca]", TrusteeID: bluebird, TrustorID: northwind, UserID: biancaBell,
				After: &plan.Value{Roles: []plan.Role{{ID: roleReportingViewer}}}, Effect: plan.Widen, Key: "b/bianca"},
		},
	}
	h.srv.Inject(sandbox.Fault{Method: "POST", Path: "/api/v2/orgauthorization/trustees", Status: 403})
	h.srv.ResetStats()
	res, err := apply.Run(context.Background(), h.home, p, apply.Options{})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	requireAnswersAccounted(t, res, h.srv.Stats().Requests)
	create, user, other := res.Changes[0], res.Changes[1], res.Changes[2]
	var apiErr *client.APIError
	if create.Status != apply.StatusFailed || !errors.As(create.Err, &apiErr) || apiErr.Status != 403 || create.Attempts != 1 {
		t.Fatalf("trust creation: %s after %d attempts (%v); want failed with the 403 after one", create.Status, create.Attempts, create.Err)
	}
	// The 403 says what to grant.
	if want := "; apply needs authorization:orgTrustee:add and authorization:orgTrusteeUser:add to create trusts (trustees[].pairingId)"; !strings.HasSuffix(create.Err.Error(), want) {
		t.Errorf("trust creation error %q does not end in %q", create.Err, want)
	}
	// A definite refusal is not read back: the 403 is the only answer.
	if want := []string{apiErr.CorrelationID}; apiErr.CorrelationID == "" ||
		!slices.Equal(create.CorrelationIDs, want) || !slices.Equal(create.ErrorCorrelationIDs, want) {
		t.Errorf("correlation ids %q, error correlation ids %q; want [%s] for both",
			create.CorrelationIDs, create.ErrorCorrelationIDs, apiErr.CorrelationID)
	}
	if len(user.CorrelationIDs) != 0 {
		t.Errorf("skipped change has correlation ids %q", user.CorrelationIDs)
	}
	if len(other.CorrelationIDs) != 1 || other.CorrelationIDs[0] == "" || other.CorrelationIDs[0] == apiErr.CorrelationID {
		t.Errorf("independent add: correlation ids %q, want its write's own", other.CorrelationIDs)
	}
	if user.Status != apply.StatusSkipped || user.Err == nil || !strings.Contains(user.Err.Error(), "prerequisite trustee[Copperfield] failed") {
		t.Errorf("user of the failed trust: %s (%v); want skipped for its prerequisite", user.Status, user.Err)
	}
	if other.Status != apply.StatusOK {
		t.Errorf("independent change: %s (%v); want ok", other.Status, other.Err)
	}
}

// addingRoles is an API whose PUT .../roles adds to the role set instead of
// replacing it, as the service might.
type addingRoles struct {
	*client.Client
}

func (a addingRoles) SetTrusteeUserRoles(ctx context.Context, trusteeOrgID, userID string, roleIDs []string) (*client.UserAuthorization, error) {
	ua, err := a.Client.GetTrusteeUserRoles(ctx, trusteeOrgID, userID)
	if err != nil {
		return nil, err
	}
	union := ua.RoleIDs()
	for _, id := range roleIDs {
		if !slices.Contains(union, id) {
			union = append(union, id)
		}
	}
	return a.Client.SetTrusteeUserRoles(ctx, trusteeOrgID, userID, union)
}

func TestRolesReadBackMismatch(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	cfg := h.load(`version: 1
trustees:
  - id: b0000000-0000-4000-8000-000000000002
    expires: 2027-06-30
    users:
      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Supervisor]}
      - {id: b2000000-0000-4000-8000-000000000002, roles: [Claims Agent]}
      - {id: b2000000-0000-4000-8000-000000000003, roles: [Quality Evaluator]}
`)
	p := h.plan(h.home, cfg)
	if len(p.Changes) != 1 || p.Changes[0].Kind != plan.KindTrusteeUserRoles {
		t.Fatalf("want one role change, got:\n%s", addresses(p))
	}
	res, err := apply.Run(context.Background(), addingRoles{h.home}, p, apply.Options{})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	r := res.Changes[0]
	if r.Status != apply.StatusFailed {
		t.Fatalf("role change: %s, want failed", r.Status)
	}
	for _, want := range []string{
		"roles read back as [" + roleClaimsSupervisor + ", " + roleReportingViewer + "]",
		"want [" + roleClaimsSupervisor + "]",
		"the service may add rather than replace roles",
	} {
		if !strings.Contains(r.Err.Error(), want) {
			t.Errorf("error %q does not contain %q", r.Err, want)
		}
	}
}

func TestCanceledContextSkipsEverything(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	cfg := h.load(fmt.Sprintf(everyKind, h.pairing(copperfield, coraCopper)))
	p := h.plan(h.home, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.srv.ResetStats()
	res, err := apply.Run(ctx, h.home, p, apply.Options{AllowRemovals: true})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	for _, r := range res.Changes {
		if r.Status != apply.StatusSkipped || !errors.Is(r.Err, context.Canceled) {
			t.Errorf("%s: %s (%v); want skipped as interrupted", r.Change.Address, r.Status, r.Err)
		}
	}
	if w := h.srv.Stats().Writes; w != 0 {
		t.Errorf("%d writes after cancellation", w)
	}
}

// TestFaultsThenRerunConverges applies under random faults (both kinds:
// failures before and after the change is made) with fixed seeds. Every
// change ends ok, or failed or skipped with a reason; nothing outside the
// plan is touched; a re-run without faults converges.
func TestFaultsThenRerunConverges(t *testing.T) {
	for _, seed := range []int64{1, 7, 42} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sandbox.Options{})
			before := h.bystanders()
			cfg := h.load(fmt.Sprintf(everyKind, h.pairing(copperfield, coraCopper)))
			p := h.plan(h.home, cfg)

			h.restart(sandbox.Options{FaultRate: 0.35, FaultSeed: seed})
			auditStart := len(h.srv.AuditLog())
			// Few attempts, so that some changes fail for good.
			api := h.client(northwind, client.Config{MaxAttempts: 2})
			res, err := apply.Run(context.Background(), api, p, apply.Options{AllowRemovals: true})
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			requireClean(t, res)
			t.Logf("under faults: %+v; sandbox answered %v", res.Counts(), h.srv.Stats().ByStatus)
			for _, r := range res.Changes {
				if r.Status != apply.StatusOK || len(r.Notes) > 0 {
					t.Logf("  %s %s: %v %q", r.Status, r.Change.Address, r.Err, r.Notes)
				}
			}
			entries := h.auditSince(auditStart)
			requireNarrowBeforeWiden(t, entries)
			requireWithinPlan(t, p, entries)
			if faults := h.srv.Stats().ByStatus; faults["502"]+faults["503"]+faults["504"] == 0 {
				t.Fatalf("no faults were injected: %v", faults)
			}

			h.restart(sandbox.Options{})
			auditStart = len(h.srv.AuditLog())
			h.converge(cfg)
			requireWithinPlan(t, p, h.auditSince(auditStart))
			h.requireUntouched(before)
		})
	}
}

// TestRateLimited applies under a tight rate limit: the client waits out
// the 429s and everything succeeds.
func TestRateLimited(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	cfg := h.load(fmt.Sprintf(everyKind, h.pairing(copperfield, coraCopper)))
	p := h.plan(h.home, cfg)
	h.restart(sandbox.Options{RateLimit: 600})
	api := h.client(northwind, client.Config{MaxAttempts: 10})
	res, err := apply.Run(context.Background(), api, p, apply.Options{AllowRemovals: true})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	requireOK(t, res)
	if n := h.srv.Stats().ByStatus["429"]; n == 0 {
		t.Fatalf("the sandbox answered no 429; the test does not exercise rate limiting")
	}
	if again := h.plan(h.home, cfg); again.HasChanges() {
		t.Fatalf("plan after apply:\n%s", addresses(again))
	}
}

// requireClean checks that every change ended ok, or failed with an error,
// or was skipped with a reason.
func requireClean(t *testing.T, res *apply.Result) {
	t.Helper()
	for _, r := range res.Changes {
		switch r.Status {
		case apply.StatusOK:
			if r.Err != nil {
				t.Errorf("%s: ok with error %v", r.Change.Address, r.Err)
			}
		case apply.StatusFailed, apply.StatusSkipped, apply.StatusUnknown:
			if r.Err == nil || r.Err.Error() == "" {
				t.Errorf("%s: %s without a reason", r.Change.Address, r.Status)
			}
		default:
			t.Errorf("%s: unknown status %v", r.Change.Address, r.Status)
		}
		if r.Status != apply.StatusSkipped && r.Attempts < 1 {
			t.Errorf("%s: %s after %d attempts", r.Change.Address, r.Status, r.Attempts)
		}
	}
}

// TestFollowsThePlansGraph: apply runs the changes in the order the plan's
// dependencies give (a trust is deleted after its user, a trust is created
// before users are added to it, a user before its roles), and refuses a
// plan whose graph is out of order or broken, without a write.
func TestFollowsThePlansGraph(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	// The new trust is created with Carl Chen (a trust needs a member);
	// Cora is added separately.
	pairing := h.pairing(copperfield, "c2000000-0000-4000-8000-000000000002")
	enabled := true
	graph := []plan.Change{
		{Action: plan.Delete, Kind: plan.KindTrusteeUser, Address: "trustee[Bluebird].user[Bo]", TrusteeID: bluebird, TrustorID: northwind, UserID: boBlue, Effect: plan.Narrow,
			Key: "bo"},
		{Action: plan.Delete, Kind: plan.KindTrustee, Address: "trustee[Bluebird]", TrusteeID: bluebird, TrustorID: northwind, Effect: plan.Narrow,
			Key: "bluebird", DependsOn: []string{"bo"}},
		{Action: plan.Create, Kind: plan.KindTrustee, Address: "trustee[Copperfield]", TrusteeID: copperfield, TrustorID: northwind,
			After: &plan.Value{Enabled: &enabled, PairingID: pairing, Users: []plan.User{{ID: "c2000000-0000-4000-8000-000000000002", Roles: []plan.Role{{ID: roleClaimsSupervisor}}}}}, Effect: plan.Widen, Key: "copperfield"},
		{Action: plan.Create, Kind: plan.KindTrusteeUser, Address: "trustee[Copperfield].user[Cora]", TrusteeID: copperfield, TrustorID: northwind, UserID: coraCopper,
			After: &plan.Value{Roles: []plan.Role{{ID: roleClaimsSupervisor}}}, Effect: plan.Widen,
			Key: "cora", DependsOn: []string{"copperfield"}, Requires: []string{"copperfield"}},
		{Action: plan.Update, Kind: plan.KindTrusteeUserRoles, Address: "trustee[Copperfield].user[Cora].roles", TrusteeID: copperfield, TrustorID: northwind, UserID: coraCopper,
			After: &plan.Value{Roles: []plan.Role{{ID: roleClaimsSupervisor}, {ID: roleReportingViewer}}}, Effect: plan.Widen,
			Key: "cora-roles", DependsOn: []string{"cora"}, Requires: []string{"cora"}},
	}

	bad := map[string]func([]plan.Change) []plan.Change{
		"reversed": func(cs []plan.Change) []plan.Change { slices.Reverse(cs); return cs },
		"no keys": func(cs []plan.Change) []plan.Change {
			for i := range cs {
				cs[i].Key = ""
			}
			return cs
		},
		"unknown dependency": func(cs []plan.Change) []plan.Change { cs[1].DependsOn = []string{"nobody"}; return cs },
		"narrowing after widening": func(cs []plan.Change) []plan.Change {
			cs[1].DependsOn = []string{"copperfield"}
			cs[1], cs[2] = cs[2], cs[1]
			return cs
		},
	}
	for name, mangle := range bad {
		t.Run(name, func(t *testing.T) {
			h.srv.ResetStats()
			p := &plan.Plan{Organization: plan.Org{ID: northwind}, Changes: mangle(slices.Clone(graph))}
			res, err := apply.Run(context.Background(), h.home, p, apply.Options{AllowRemovals: true})
			if err == nil || !strings.Contains(err.Error(), "not a valid graph") || res != nil {
				t.Fatalf("apply = %v, %v; want the plan refused for its graph", res, err)
			}
			if w := h.srv.Stats().Writes; w != 0 {
				t.Errorf("%d writes for a refused plan", w)
			}
		})
	}

	start := len(h.srv.AuditLog())
	res, err := apply.Run(context.Background(), h.home, &plan.Plan{Organization: plan.Org{ID: northwind}, Changes: graph}, apply.Options{AllowRemovals: true})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	requireOK(t, res)
	var got []string
	for _, m := range h.auditSince(start) {
		got = append(got, m.Action+" "+m.EntityType+" "+m.Context["trusteeOrgId"][:1]+" "+m.Context["userId"])
	}
	want := []string{
		"DELETE ORG_TRUSTEE_USER b " + boBlue,
		"DELETE ORG_TRUSTEE b ",
		"CREATE ORG_TRUSTEE c ",
		"CREATE ORG_TRUSTEE_USER c c2000000-0000-4000-8000-000000000002",
		"CREATE ORG_TRUSTEE_USER c " + coraCopper,
		"UPDATE ORG_TRUSTEE_USER_ROLES c " + coraCopper,
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCreateTrusteeUsersManagedOrNot: a new trust is created with exactly
// the users its entry lists; the pairing's other users do not join.
func TestCreateTrusteeUsersManagedOrNot(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	pairing := h.pairing(copperfield, "c2000000-0000-4000-8000-000000000002")
	cfg := h.load(fmt.Sprintf(`version: 1
trustees:
  - id: %s
    pairingId: %s
    users:
      - id: %s
        roles: [%s]
`, copperfield, pairing, coraCopper, roleClaimsSupervisor))
	h.converge(cfg)
	users, err := h.home.ListTrusteeUsers(context.Background(), copperfield)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].ID != coraCopper {
		t.Errorf("the new trust has users %+v, want only Cora", users)
	}
}

// TestStopLetsTheWriteInFlightFinish: with room for one request at a time,
// Stop closes while the first change's write is with the service. The
// other change, whose write was never sent, is skipped as interrupted
// (only then does the service answer the first write, so the skip cannot
// come from the slot freeing up); the first write finishes and is ok;
// nothing else is written.
func TestStopLetsTheWriteInFlightFinish(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	arrived := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			once.Do(func() {
				close(arrived)
				<-release
			})
		}
		h.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	api := h.client(northwind, client.Config{APIURL: ts.URL, LoginURL: ts.URL, Concurrency: 1})
	t.Cleanup(api.CloseIdleConnections)
	p := &plan.Plan{
		Organization: plan.Org{ID: northwind},
		Changes: []plan.Change{
			{Action: plan.Delete, Kind: plan.KindTrusteeUser, Address: "trustee[Bluebird].user[Ben]", TrusteeID: bluebird, TrustorID: northwind, UserID: benBaker, Effect: plan.Narrow, Key: "ben"},
			{Action: plan.Delete, Kind: plan.KindTrusteeUser, Address: "trustee[Bluebird].user[Bella]", TrusteeID: bluebird, TrustorID: northwind, UserID: bellaByrne, Effect: plan.Narrow, Key: "bella"},
		},
	}
	stop := make(chan struct{})
	go func() {
		<-arrived
		close(stop)
	}()
	start := len(h.srv.AuditLog())
	res, err := apply.Run(context.Background(), api, p, apply.Options{AllowRemovals: true, Stop: stop,
		Progress: func(r apply.ChangeResult) {
			if r.Status == apply.StatusSkipped {
				close(release)
			}
		}})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if !res.Interrupted {
		t.Error("result not marked interrupted")
	}
	var ok, skipped []apply.ChangeResult
	for _, r := range res.Changes {
		switch r.Status {
		case apply.StatusOK:
			ok = append(ok, r)
		case apply.StatusSkipped:
			skipped = append(skipped, r)
		}
	}
	if len(ok) != 1 || len(skipped) != 1 || !errors.Is(skipped[0].Err, apply.ErrInterrupted) || skipped[0].Attempts != 0 {
		t.Fatalf("results %+v; want one ok, one skipped as interrupted without a write", res.Changes)
	}
	entries := h.auditSince(start)
	if len(entries) != 1 || entries[0].Context["userId"] != ok[0].Change.UserID {
		t.Errorf("audit entries %v; want the one delete of %s", entries, ok[0].Change.Address)
	}
}

// TestStopAtOnceLeavesTheOutcomeUnknown: cancelling the context while a
// write is with the service abandons it; the change is unknown, never
// failed, and says no read-back was possible.
func TestStopAtOnceLeavesTheOutcomeUnknown(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	arrived := make(chan struct{})
	var once sync.Once
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			once.Do(func() { close(arrived) })
			<-r.Context().Done() // the client gave up on it
			return
		}
		h.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	api := h.client(northwind, client.Config{APIURL: ts.URL, LoginURL: ts.URL})
	t.Cleanup(api.CloseIdleConnections)
	p := &plan.Plan{
		Organization: plan.Org{ID: northwind},
		Changes: []plan.Change{
			{Action: plan.Delete, Kind: plan.KindTrusteeUser, Address: "trustee[Bluebird].user[Ben]", TrusteeID: bluebird, TrustorID: northwind, UserID: benBaker, Effect: plan.Narrow, Key: "ben"},
			{Action: plan.Create, Kind: plan.KindTrustorUser, Address: "trustor[Copperfield].user[Priya]", TrusteeID: northwind, TrustorID: copperfield, UserID: priyaPatel, Effect: plan.Widen, Key: "priya"},
		},
	}
	go func() {
		<-arrived
		cancel()
	}()
	res, err := apply.Run(ctx, api, p, apply.Options{AllowRemovals: true})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	ben, priya := res.Changes[0], res.Changes[1]
	if ben.Status != apply.StatusUnknown || ben.Err == nil || !strings.Contains(ben.Err.Error(), "outcome unknown") || len(ben.Notes) == 0 {
		t.Errorf("write in flight: %s (%v, notes %q); want unknown, saying why", ben.Status, ben.Err, ben.Notes)
	}
	if priya.Status != apply.StatusSkipped || !errors.Is(priya.Err, apply.ErrInterrupted) {
		t.Errorf("widening change: %s (%v); want skipped as interrupted", priya.Status, priya.Err)
	}
	if !res.Interrupted || res.Counts() != (apply.Counts{Skipped: 1, Unknown: 1}) {
		t.Errorf("interrupted %t, counts %+v", res.Interrupted, res.Counts())
	}
}
