package run_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/run"
	"github.com/trustsync/trustsync/internal/sandbox"
)

const pairingRoute = "GET /api/v2/orgauthorization/pairings/{pairingId}"

// pairingOf creates a pairing as the sandbox org at index org, offering
// users.
func pairingOf(t *testing.T, e *env, org int, users ...string) string {
	t.Helper()
	cl := e.srv.Orgs()[org].Clients[0]
	c, err := client.New(client.Config{APIURL: e.ts.URL, LoginURL: e.ts.URL, ClientID: cl.ID, ClientSecret: cl.Secret, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	tr, err := c.CreatePairing(context.Background(), client.TrustRequestCreate{UserIDs: users})
	if err != nil {
		t.Fatalf("create pairing: %v", err)
	}
	return tr.ID
}

// withFile replaces the env's desired state.
func withFile(t *testing.T, e *env, yaml string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, "trusts.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copperFile trusts Copperfield (pairing id pid) with Cora and Carl, and
// keeps Bluebird's live trust, whose entry has a pairing id too.
func copperFile(pid string) string {
	return `version: 1
trustees:
  - id: b0000000-0000-4000-8000-000000000002
    pairingId: 00000000-0000-4000-8000-0000000000b1
    expires: 2027-06-30
  - id: c0000000-0000-4000-8000-000000000003
    name: Copperfield Consulting
    pairingId: ` + pid + `
    users:
      - {id: c2000000-0000-4000-8000-000000000001, roles: ["Reporting Viewer"]}
      - {id: c2000000-0000-4000-8000-000000000002, roles: ["Reporting Viewer"]}
`
}

// TestPlanReadsPairingsOfTrustsToCreate: the pairing of the trust to create
// is read (once) and shown with what it offers; the pairing id of a trust
// that exists is never read.
func TestPlanReadsPairingsOfTrustsToCreate(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	pid := pairingOf(t, e, 2, "c2000000-0000-4000-8000-000000000001")
	withFile(t, e, copperFile(pid))
	e.srv.ResetStats()
	p := planned(t, e, e.target(4), &reporter{})
	if n := e.srv.Stats().ByRoute[pairingRoute]; n != 1 {
		t.Errorf("%d pairing reads, want 1 (only the trust to create)", n)
	}
	var create *plan.Change
	for i, c := range p.Plan.Changes {
		if c.Kind == plan.KindTrustee && c.Action == plan.Create {
			create = &p.Plan.Changes[i]
		}
	}
	if create == nil || create.After.Pairing == nil {
		t.Fatalf("no trust created from the pairing: %+v", p.Plan.Changes)
	}
	pr := create.After.Pairing
	if len(pr.Users) != 1 || pr.Users[0].Name != "Cora Copper" || pr.Expires == nil {
		t.Errorf("pairing = %+v, want Cora offered and an expiry", pr)
	}
	var warned bool
	for _, w := range p.Plan.Warnings {
		warned = warned || strings.Contains(w.Message, "user c2000000-0000-4000-8000-000000000002 of trustee c000… is not one of the users pairing")
	}
	if !warned {
		t.Errorf("warnings = %v, want one about Carl, whom the pairing does not offer", p.Plan.Warnings)
	}
}

// TestPlanRefusesExpiredPairing: a pairing past its 48 hours when live
// state was read is a problem at its pairingId, even when the service
// still answers it (here the sandbox's clock is 49 hours behind, so it
// serves a pairing that expired an hour ago).
func TestPlanRefusesExpiredPairing(t *testing.T) {
	e := newEnv(t, sandbox.Options{Now: func() time.Time { return time.Now().Add(-49 * time.Hour) }})
	pid := pairingOf(t, e, 2, "c2000000-0000-4000-8000-000000000001")
	withFile(t, e, copperFile(pid))
	_, err := run.Plan(context.Background(), e.target(4), run.PlanOptions{}, &reporter{})
	var pe *run.PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("plan: %v, want a PlanError", err)
	}
	probs := plan.Problems(pe.Err)
	if len(probs) != 1 || probs[0].Pos.Line != 8 || probs[0].Pos.Col != 16 ||
		!strings.Contains(probs[0].Message, "pairing "+pid+" expired at ") ||
		!strings.Contains(strings.Join(probs[0].Hints, "\n"), "ask Copperfield Consulting (c0000000-0000-4000-8000-000000000003) for a new pairing") {
		t.Errorf("problems = %+v, want the expiry at 8:16 with a hint", probs)
	}
}

// TestPlanChecksOwnUsersInOneRead: our users a trustors entry would add
// are looked up in one batched read; one that is not a user of the org is
// a problem at its place in the file.
func TestPlanChecksOwnUsersInOneRead(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	withFile(t, e, `version: 1
trustors:
  - id: c0000000-0000-4000-8000-000000000003
    users:
      - a2000000-0000-4000-8000-000000000001
      - a2000000-0000-4000-8000-000000000003
      - a2000000-0000-4000-8000-0000000000ff
`)
	e.srv.ResetStats()
	_, err := run.Plan(context.Background(), e.target(4), run.PlanOptions{}, &reporter{})
	var pe *run.PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("plan: %v, want a PlanError", err)
	}
	probs := plan.Problems(pe.Err)
	if len(probs) != 1 || probs[0].Pos.Line != 7 || !strings.Contains(probs[0].Message, "user a2000000-0000-4000-8000-0000000000ff named in trustor c0000000-0000-4000-8000-000000000003 does not exist in Northwind Insurance") {
		t.Errorf("problems = %+v, want the unknown user at line 7", probs)
	}
	if n := e.srv.Stats().ByRoute["GET /api/v2/users"]; n != 1 {
		t.Errorf("%d user reads, want 1 batched read", n)
	}
}
