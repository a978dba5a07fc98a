package apply_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// Ids of the test fixture (testdata/fixture.yaml, the demo fixture plus a
// trust from Bluebird to Northwind and one from Bluebird to Copperfield).
const (
	northwind   = "a0000000-0000-4000-8000-000000000001"
	bluebird    = "b0000000-0000-4000-8000-000000000002"
	copperfield = "c0000000-0000-4000-8000-000000000003"
	care        = "d0000000-0000-4000-8000-000000000004"

	roleClaimsSupervisor = "a1000000-0000-4000-8000-000000000001"
	roleReportingViewer  = "a1000000-0000-4000-8000-000000000004"

	boBlue     = "b2000000-0000-4000-8000-000000000001"
	bellaByrne = "b2000000-0000-4000-8000-000000000002"
	benBaker   = "b2000000-0000-4000-8000-000000000003"
	biancaBell = "b2000000-0000-4000-8000-000000000004"
	coraCopper = "c2000000-0000-4000-8000-000000000001"
	nadiaNorth = "a2000000-0000-4000-8000-000000000001"
	priyaPatel = "a2000000-0000-4000-8000-000000000003"
)

// orgIndex is the position of each org in the fixture.
var orgIndex = map[string]int{northwind: 0, bluebird: 1, copperfield: 2, care: 3}

// harness is a sandbox served over HTTP, kept in a state file so that a
// test can restart it with other options (faults on or off) and carry on.
type harness struct {
	t     *testing.T
	fx    *sandbox.Fixture
	state string
	srv   *sandbox.Server
	ts    *httptest.Server
	// home is a client of Northwind, the org the tests manage.
	home *client.Client
}

func loadFixture(t *testing.T) *sandbox.Fixture {
	t.Helper()
	fx, err := sandbox.LoadFixture(filepath.Join("testdata", "fixture.yaml"))
	if err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return fx
}

func newHarness(t *testing.T, opts sandbox.Options) *harness {
	t.Helper()
	h := &harness{t: t, fx: loadFixture(t), state: filepath.Join(t.TempDir(), "sandbox.json")}
	h.start(opts)
	t.Cleanup(h.stop)
	return h
}

// start (re)starts the sandbox from the state file with opts.
func (h *harness) start(opts sandbox.Options) {
	h.t.Helper()
	opts.StatePath = h.state
	srv, err := sandbox.New(h.fx, opts)
	if err != nil {
		h.t.Fatalf("start sandbox: %v", err)
	}
	h.srv = srv
	h.ts = httptest.NewServer(srv)
	h.home = h.client(northwind, client.Config{})
}

// stop shuts the sandbox down, writing its state file.
func (h *harness) stop() {
	if h.ts == nil {
		return
	}
	h.ts.Close()
	if err := h.srv.Close(); err != nil {
		h.t.Errorf("close sandbox: %v", err)
	}
	h.ts, h.srv = nil, nil
}

// restart carries the sandbox's state over to a new one with opts.
func (h *harness) restart(opts sandbox.Options) {
	h.t.Helper()
	h.stop()
	h.start(opts)
}

// client returns a client of org, with test-friendly defaults for the
// fields cfg leaves zero (the API and login URLs default to the sandbox's).
func (h *harness) client(org string, cfg client.Config) *client.Client {
	h.t.Helper()
	info := h.srv.Orgs()[orgIndex[org]]
	if info.ID != org {
		h.t.Fatalf("fixture org %d is %s, want %s", orgIndex[org], info.ID, org)
	}
	if cfg.APIURL == "" {
		cfg.APIURL, cfg.LoginURL = h.ts.URL, h.ts.URL
	}
	cfg.ClientID, cfg.ClientSecret = info.Clients[0].ID, info.Clients[0].Secret
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.Deadline == 0 {
		cfg.Deadline = 30 * time.Second
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 4
	}
	c, err := client.New(cfg)
	if err != nil {
		h.t.Fatalf("client: %v", err)
	}
	return c
}

// pairing creates a pairing as trustee org for its users, for a trust the
// home org then creates.
func (h *harness) pairing(trustee string, userIDs ...string) string {
	h.t.Helper()
	tr, err := h.client(trustee, client.Config{}).CreatePairing(context.Background(), client.TrustRequestCreate{UserIDs: userIDs})
	if err != nil {
		h.t.Fatalf("create pairing: %v", err)
	}
	return tr.ID
}

// load writes a desired-state file and loads it.
func (h *harness) load(yaml string) *config.Config {
	h.t.Helper()
	path := filepath.Join(h.t.TempDir(), "trusts.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		h.t.Fatal(err)
	}
	cfg, diags := config.Load(context.Background(), []string{path}, time.Now())
	if diags.HasErrors() || cfg == nil {
		var b strings.Builder
		_ = diags.WriteText(&b)
		h.t.Fatalf("load configuration:\n%s", b.String())
	}
	return cfg
}

// plan reads live state through api and computes the plan for cfg.
func (h *harness) plan(api live.API, cfg *config.Config) *plan.Plan {
	h.t.Helper()
	st, err := live.Read(context.Background(), api, live.Scope{
		Trustees: cfg.ManageTrustees, TrusteeGroups: plan.ManagesTrusteeGroups(cfg),
		Trustors: cfg.ManageTrustors, TrustorGroups: plan.ManagesTrustorGroups(cfg),
		Then: func(st *live.State) live.Checks { return plan.ChecksToRead(cfg, st) },
	})
	if err != nil {
		h.t.Fatalf("read live state: %v", err)
	}
	p, err := plan.Compute(cfg, st)
	if err != nil {
		h.t.Fatalf("compute plan: %v", err)
	}
	return p
}

// converge applies cfg without faults until nothing is left to do and
// fails the test unless that takes at most one apply.
func (h *harness) converge(cfg *config.Config) {
	h.t.Helper()
	p := h.plan(h.home, cfg)
	if p.HasChanges() {
		res, err := apply.Run(context.Background(), h.home, p, apply.Options{AllowRemovals: true})
		if err != nil {
			h.t.Fatalf("apply: %v", err)
		}
		requireOK(h.t, res)
	}
	if p := h.plan(h.home, cfg); p.HasChanges() {
		h.t.Fatalf("after apply the plan still has changes:\n%s", addresses(p))
	}
}

// requireOK fails the test unless every change succeeded.
func requireOK(t *testing.T, res *apply.Result) {
	t.Helper()
	for _, c := range res.Changes {
		if c.Status != apply.StatusOK {
			t.Errorf("%s %s: %s: %v", c.Change.Action, c.Change.Address, c.Status, c.Err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

func addresses(p *plan.Plan) string {
	var b strings.Builder
	for _, c := range p.Changes {
		b.WriteString("  " + c.Action.String() + " " + c.Address + " (" + c.Effect.String() + ")\n")
	}
	return b.String()
}

// bystanders is the state of every trust the home org's plans must never
// touch: the Customer Care trust and the trust between Bluebird and
// Copperfield, with their users and roles.
func (h *harness) bystanders() string {
	h.t.Helper()
	ctx := context.Background()
	var out []any
	snap := func(api *client.Client, trustee string) {
		t, err := api.GetTrustee(ctx, trustee)
		if err != nil {
			h.t.Fatalf("read trust to %s: %v", trustee, err)
		}
		users, err := api.ListTrusteeUsers(ctx, trustee)
		if err != nil {
			h.t.Fatalf("read users of trust to %s: %v", trustee, err)
		}
		type member struct {
			ID    string
			Roles []string
		}
		var ms []member
		for _, u := range users {
			ua, err := api.GetTrusteeUserRoles(ctx, trustee, u.ID)
			if err != nil {
				h.t.Fatalf("read roles: %v", err)
			}
			ids := ua.RoleIDs()
			slices.Sort(ids)
			ms = append(ms, member{u.ID, ids})
		}
		slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.ID, b.ID) })
		out = append(out, map[string]any{"trustee": trustee, "enabled": t.Enabled, "expires": t.DateExpired, "users": ms})
	}
	snap(h.home, care)
	snap(h.client(bluebird, client.Config{}), copperfield)
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		h.t.Fatal(err)
	}
	return string(b)
}

// requireUntouched compares bystanders with an earlier snapshot.
func (h *harness) requireUntouched(before string) {
	h.t.Helper()
	if diff := cmp.Diff(before, h.bystanders()); diff != "" {
		h.t.Fatalf("a trust outside the plan changed (-before +after):\n%s", diff)
	}
}

// auditSince returns the audit entries after the first n.
func (h *harness) auditSince(n int) []sandbox.AuditLogMessage {
	return h.srv.AuditLog()[n:]
}

// entryEffect classifies an audit entry by how it moved access.
func entryEffect(m sandbox.AuditLogMessage) plan.Effect {
	switch m.Action {
	case "CREATE":
		return plan.Widen
	case "DELETE":
		return plan.Narrow
	}
	narrow, widen := false, false
	for _, pc := range m.PropertyChanges {
		switch pc.Property {
		case "enabled":
			if slices.Equal(pc.NewValues, []string{"false"}) {
				narrow = true
			} else {
				widen = true
			}
		case "dateExpired":
			switch {
			case len(pc.NewValues) == 0:
				widen = true
			case len(pc.OldValues) == 0 || pc.NewValues[0] < pc.OldValues[0]:
				narrow = true
			default:
				widen = true
			}
		case "roleIds":
			for _, r := range pc.OldValues {
				if !slices.Contains(pc.NewValues, r) {
					narrow = true
				}
			}
			for _, r := range pc.NewValues {
				if !slices.Contains(pc.OldValues, r) {
					widen = true
				}
			}
		}
	}
	switch {
	case narrow && !widen:
		return plan.Narrow
	case widen && !narrow:
		return plan.Widen
	}
	return plan.Neutral
}

// requireNarrowBeforeWiden checks that no access-narrowing audit entry
// follows an access-widening one.
func requireNarrowBeforeWiden(t *testing.T, entries []sandbox.AuditLogMessage) {
	t.Helper()
	firstWiden := -1
	for i, m := range entries {
		switch entryEffect(m) {
		case plan.Widen:
			if firstWiden < 0 {
				firstWiden = i
			}
		case plan.Narrow:
			if firstWiden >= 0 {
				t.Fatalf("audit entry %d (%s %s %v) narrows access after entry %d (%s %s %v) widened it",
					i, m.Action, m.EntityType, m.Context, firstWiden,
					entries[firstWiden].Action, entries[firstWiden].EntityType, entries[firstWiden].Context)
			}
		}
	}
}

// requireWithinPlan checks that every audit entry is about an object one of
// the plan's changes is about.
func requireWithinPlan(t *testing.T, p *plan.Plan, entries []sandbox.AuditLogMessage) {
	t.Helper()
	for _, m := range entries {
		if !coveredBy(p, m) {
			t.Errorf("audit entry outside the plan: %s %s %v", m.Action, m.EntityType, m.Context)
		}
	}
}

func coveredBy(p *plan.Plan, m sandbox.AuditLogMessage) bool {
	trustor, trustee, user, group := m.Context["trustorOrgId"], m.Context["trusteeOrgId"], m.Context["userId"], m.Context["groupId"]
	for _, c := range p.Changes {
		if c.TrusteeID != trustee || c.TrustorID != trustor {
			continue
		}
		switch {
		case group != "":
			if c.GroupID == group {
				return true
			}
			if c.Kind == plan.KindTrustee && c.Action == plan.Create &&
				slices.ContainsFunc(c.After.Groups, func(g plan.Group) bool { return g.ID == group }) {
				return true
			}
		case user == "" && (c.Kind == plan.KindTrustee || c.Kind == plan.KindTrustor):
			return true
		case user != "" && c.UserID == user:
			return true
		case user != "" && c.Kind == plan.KindTrustee && c.Action == plan.Create:
			return slices.ContainsFunc(c.After.Users, func(u plan.User) bool { return u.ID == user })
		}
	}
	return false
}

// requireAnswersAccounted checks that the changes' correlation ids are
// non-empty and unique, one per API answer: answers is how many API
// requests the sandbox answered during the run.
func requireAnswersAccounted(t *testing.T, res *apply.Result, answers int64) {
	t.Helper()
	seen := map[string]string{}
	n := 0
	for _, r := range res.Changes {
		for _, id := range r.CorrelationIDs {
			n++
			if id == "" {
				t.Errorf("%s: empty correlation id in %q", r.Change.Address, r.CorrelationIDs)
			}
			if prev, ok := seen[id]; ok {
				t.Errorf("correlation id %s listed for %s and %s", id, prev, r.Change.Address)
			}
			seen[id] = r.Change.Address
		}
	}
	if int64(n) != answers {
		t.Errorf("the changes list %d correlation ids, the sandbox answered %d API requests", n, answers)
	}
}
