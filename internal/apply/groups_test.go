package apply_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// Groups of the test fixture, and the roles the Bluebird trust's groups
// hold live: Claims Team [Claims Agent, Quality Evaluator], Night Shift
// [Reporting Viewer].
const (
	northwindConsultants = "a3000000-0000-4000-8000-000000000001"
	claimsTeam           = "b3000000-0000-4000-8000-000000000001"
	nightShift           = "b3000000-0000-4000-8000-000000000002"
	copperReviewers      = "c3000000-0000-4000-8000-000000000001"

	roleClaimsAgent      = "a1000000-0000-4000-8000-000000000002"
	roleQualityEvaluator = "a1000000-0000-4000-8000-000000000003"
)

// groupRoles reads the sorted role ids of a group in a trust Northwind
// grants.
func (h *harness) groupRoles(trustee, group string) []string {
	h.t.Helper()
	ua, err := h.home.GetTrusteeGroupRoles(context.Background(), trustee, group)
	if err != nil {
		h.t.Fatalf("read roles of group %s: %v", group, err)
	}
	ids := ua.RoleIDs()
	slices.Sort(ids)
	return ids
}

// applyOK plans cfg, checks that the plan holds exactly the wanted
// (kind, action, effect) combinations, applies it and converges.
func (h *harness) applyOK(yaml string, want ...string) *plan.Plan {
	h.t.Helper()
	cfg := h.load(yaml)
	p := h.plan(h.home, cfg)
	if diff := cmp.Diff(want, kinds(p)); diff != "" {
		h.t.Fatalf("plan kinds (-want +got):\n%s\n%s", diff, addresses(p))
	}
	auditStart := len(h.srv.AuditLog())
	res, err := apply.Run(context.Background(), h.home, p, apply.Options{AllowRemovals: true})
	if err != nil {
		h.t.Fatalf("apply: %v", err)
	}
	requireOK(h.t, res)
	entries := h.auditSince(auditStart)
	requireNarrowBeforeWiden(h.t, entries)
	requireWithinPlan(h.t, p, entries)
	if again := h.plan(h.home, cfg); again.HasChanges() {
		h.t.Fatalf("after apply the plan still has changes:\n%s", addresses(again))
	}
	return p
}

// TestCreateTrustWithOnlyAGroup: a new trust whose entry names a group and
// no users is created with exactly that group: the pairing's user does not
// join.
func TestCreateTrustWithOnlyAGroup(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	before := h.bystanders()
	pairing := h.pairing(copperfield, coraCopper)
	p := h.applyOK(fmt.Sprintf(`version: 1
trustees:
  - id: %s
    expires: 2027-06-30
  - id: %s
    pairingId: %s
    groups:
      - {id: %s, roles: [Claims Agent, Reporting Viewer]}
`, bluebird, copperfield, pairing, copperReviewers), "trustee create widen")
	if got := p.Changes[0].After.Groups; len(got) != 1 || got[0].ID != copperReviewers {
		t.Fatalf("the create change carries groups %+v", got)
	}
	ctx := context.Background()
	users, err := h.home.ListTrusteeUsers(ctx, copperfield)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 0 {
		t.Errorf("the new trust has users %+v; want none (the pairing's users must not join)", users)
	}
	groups, err := h.home.ListTrusteeGroups(ctx, copperfield)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].ID != copperReviewers {
		t.Fatalf("the new trust has groups %+v, want only Copperfield Reviewers", groups)
	}
	if diff := cmp.Diff([]string{roleClaimsAgent, roleReportingViewer}, h.groupRoles(copperfield, copperReviewers)); diff != "" {
		t.Errorf("group roles (-want +got):\n%s", diff)
	}
	h.requireUntouched(before)
}

// TestGroupRolesNarrowBeforeWiden: one group loses a role and another
// gains one; the narrowing write comes first (the audit log shows it), and
// the users of the trust, which the file does not manage, are untouched.
func TestGroupRolesNarrowBeforeWiden(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	p := h.applyOK(fmt.Sprintf(`version: 1
trustees:
  - id: %s
    expires: 2027-06-30
    groups:
      - {id: %s, roles: [Claims Agent]}
      - {id: %s, roles: [Reporting Viewer, Claims Supervisor]}
`, bluebird, claimsTeam, nightShift), "trustee_group_roles update narrow", "trustee_group_roles update widen")
	if p.Changes[0].Effect != plan.Narrow || p.Changes[0].GroupID != claimsTeam {
		t.Errorf("first change %s (%s), want Claims Team's narrowing", p.Changes[0].Address, p.Changes[0].Effect)
	}
	if diff := cmp.Diff([]string{roleClaimsAgent}, h.groupRoles(bluebird, claimsTeam)); diff != "" {
		t.Errorf("Claims Team roles (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{roleClaimsSupervisor, roleReportingViewer}, h.groupRoles(bluebird, nightShift)); diff != "" {
		t.Errorf("Night Shift roles (-want +got):\n%s", diff)
	}
	users, err := h.home.ListTrusteeUsers(context.Background(), bluebird)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 {
		t.Errorf("the trust has %d users after a groups-only apply, want its 3", len(users))
	}
}

// TestRemoveGroupAndClearRoles: a group the file leaves out is removed from
// the trust, and a group listed with no roles keeps its place without
// roles (DELETE .../roles).
func TestRemoveGroupAndClearRoles(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.applyOK(fmt.Sprintf(`version: 1
trustees:
  - id: %s
    expires: 2027-06-30
    groups:
      - {id: %s, roles: []}
`, bluebird, claimsTeam), "trustee_group delete narrow", "trustee_group_roles update narrow")
	ctx := context.Background()
	if _, err := h.home.GetTrusteeGroup(ctx, bluebird, nightShift); !client.IsNotFound(err) {
		t.Errorf("Night Shift after its removal: %v, want 404", err)
	}
	if got := h.groupRoles(bluebird, claimsTeam); len(got) != 0 {
		t.Errorf("Claims Team holds roles %v, want none", got)
	}
	// Listing groups as [] removes the rest.
	h.applyOK(fmt.Sprintf(`version: 1
trustees:
  - id: %s
    expires: 2027-06-30
    groups: []
`, bluebird), "trustee_group delete narrow")
	groups, err := h.home.ListTrusteeGroups(ctx, bluebird)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 0 {
		t.Errorf("groups %+v remain after groups: []", groups)
	}
}

// TestAddGroupWithLostAnswer: adding a group commits but its answer is
// lost; apply reads it back, finds it with its roles and writes nothing
// more.
func TestAddGroupWithLostAnswer(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	// Night Shift leaves first, so that it can be added again.
	h.applyOK(fmt.Sprintf(`version: 1
trustees:
  - id: %s
    expires: 2027-06-30
    groups:
      - {id: %s, roles: [Claims Agent, Quality Evaluator]}
`, bluebird, claimsTeam), "trustee_group delete narrow")

	cfg := h.load(fmt.Sprintf(`version: 1
trustees:
  - id: %s
    expires: 2027-06-30
    groups:
      - {id: %s, roles: [Claims Agent, Quality Evaluator]}
      - {id: %s, roles: [Quality Evaluator]}
`, bluebird, claimsTeam, nightShift))
	p := h.plan(h.home, cfg)
	if diff := cmp.Diff([]string{"trustee_group create widen"}, kinds(p)); diff != "" {
		t.Fatalf("plan kinds (-want +got):\n%s", diff)
	}
	h.srv.Inject(sandbox.Fault{Method: "POST", Path: "/api/v2/orgauthorization/trustees/" + bluebird + "/groups", Status: 503, Commit: true})
	h.srv.ResetStats()
	res, err := apply.Run(context.Background(), h.home, p, apply.Options{})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	requireOK(t, res)
	r := res.Changes[0]
	// The lost 503, then the read-back of the group and its roles.
	if r.Attempts != 1 || len(r.CorrelationIDs) != 3 {
		t.Errorf("%d attempts, %d answers (%q); want 1 and 3", r.Attempts, len(r.CorrelationIDs), r.CorrelationIDs)
	}
	if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "read-back shows the change in effect") }) {
		t.Errorf("notes %q do not say the read-back found the change", r.Notes)
	}
	if w := h.srv.Stats().Writes; w != 1 {
		t.Errorf("%d writes, want 1", w)
	}
	if diff := cmp.Diff([]string{roleQualityEvaluator}, h.groupRoles(bluebird, nightShift)); diff != "" {
		t.Errorf("Night Shift roles (-want +got):\n%s", diff)
	}
}

// TestTrustorGroupAddRemove: Northwind adds its group to the trust
// Copperfield grants it, then takes it out again.
func TestTrustorGroupAddRemove(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	before := h.bystanders()
	ctx := context.Background()
	h.applyOK(fmt.Sprintf(`version: 1
trustors:
  - id: %s
    groups: [%s]
  - id: %s
`, copperfield, northwindConsultants, bluebird), "trustor_group create widen")
	if _, err := h.home.GetTrustorGroup(ctx, copperfield, northwindConsultants); err != nil {
		t.Fatalf("the group is not in the trust after its add: %v", err)
	}
	users, err := h.home.ListTrustorUsers(ctx, copperfield)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 {
		t.Errorf("the trustor trust has %d of our users after a groups-only apply, want its 2", len(users))
	}
	h.applyOK(fmt.Sprintf(`version: 1
trustors:
  - id: %s
    groups: []
  - id: %s
`, copperfield, bluebird), "trustor_group delete narrow")
	if _, err := h.home.GetTrustorGroup(ctx, copperfield, northwindConsultants); !client.IsNotFound(err) {
		t.Errorf("the group after its removal: %v, want 404", err)
	}
	h.requireUntouched(before)
}

// TestGroupLostAnswers: a group removal and a trustor group add whose
// answers are lost after they took effect are confirmed by the client's
// retry meeting their own success (404, 409) and a read-back, without a
// second write of apply's own.
func TestGroupLostAnswers(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	cfg := h.load(fmt.Sprintf(`version: 1
trustees:
  - id: %s
    expires: 2027-06-30
    groups:
      - {id: %s, roles: [Claims Agent, Quality Evaluator]}
trustors:
  - id: %s
    groups: [%s]
  - id: %s
`, bluebird, claimsTeam, copperfield, northwindConsultants, bluebird))
	p := h.plan(h.home, cfg)
	if diff := cmp.Diff([]string{"trustee_group delete narrow", "trustor_group create widen"}, kinds(p)); diff != "" {
		t.Fatalf("plan kinds (-want +got):\n%s", diff)
	}
	const api = "/api/v2/orgauthorization"
	h.srv.Inject(sandbox.Fault{Method: "DELETE", Path: api + "/trustees/" + bluebird + "/groups/" + nightShift, Status: 504, Commit: true})
	h.srv.Inject(sandbox.Fault{Method: "PUT", Path: api + "/trustors/" + copperfield + "/groups/" + northwindConsultants, Status: 503, Commit: true})
	h.srv.ResetStats()
	res, err := apply.Run(context.Background(), h.home, p, apply.Options{AllowRemovals: true})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	requireOK(t, res)
	for _, r := range res.Changes {
		want := "already gone"
		if r.Change.Action == plan.Create {
			want = "already present"
		}
		if r.Attempts != 1 || !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, want) }) {
			t.Errorf("%s: %d attempts, notes %q; want 1 and a note saying %q", r.Change.Address, r.Attempts, r.Notes, want)
		}
	}
	requireAnswersAccounted(t, res, h.srv.Stats().Requests)
	if w := h.srv.Stats().Writes; w != int64(len(p.Changes)) {
		t.Errorf("%d writes for %d changes", w, len(p.Changes))
	}
	if again := h.plan(h.home, cfg); again.HasChanges() {
		t.Fatalf("plan after apply:\n%s", addresses(again))
	}
}
