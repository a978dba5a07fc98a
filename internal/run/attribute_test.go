package run_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/planfile"
	"github.com/trustsync/trustsync/internal/run"
	"github.com/trustsync/trustsync/internal/sandbox"
	"github.com/trustsync/trustsync/internal/version"
)

// Northwind's other OAuth clients in the attribution tests: ops may do
// everything, noAudit everything but read the audit log.
const (
	opsClient     = "nw-ops"
	noAuditClient = "nw-no-audit"
	fakeSecret    = "demo-secret-NOT-A-REAL-SECRET"
)

// attribution is the demo sandbox with Northwind's two extra clients,
// counting the audit queries it answers.
type attribution struct {
	url    string
	dir    string
	audits atomic.Int64
}

func newAttribution(t *testing.T) *attribution {
	t.Helper()
	fx := sandbox.DemoFixture()
	fx.Orgs[0].Clients = append(fx.Orgs[0].Clients,
		sandbox.ClientCredentials{ID: opsClient, Secret: fakeSecret},
		sandbox.ClientCredentials{ID: noAuditClient, Secret: fakeSecret, Permissions: []string{
			"authorization:orgTrustee:view", "authorization:orgTrusteeUser:view", "authorization:orgTrustor:view",
			"authorization:role:view", "directory:user:view",
		}})
	sb, err := sandbox.New(fx, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := &attribution{dir: t.TempDir()}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/audits") {
			a.audits.Add(1)
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ts.Close()
		if err := sb.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
	})
	a.url = ts.URL
	for name, content := range map[string]string{"trusts.yaml": demoConfig, "none.yaml": "version: 1\n"} {
		if err := os.WriteFile(filepath.Join(a.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func (a *attribution) client(t *testing.T, id, secret string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{APIURL: a.url, LoginURL: a.url, ClientID: id, ClientSecret: secret, MaxAttempts: 1, Deadline: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// plan plans file as client id with opts.
func (a *attribution) plan(t *testing.T, file, id, secret string, opts run.PlanOptions) *run.Planned {
	t.Helper()
	tg := run.Target{Files: []string{file}, Dir: a.dir, Connect: func(context.Context, string) (*run.Conn, error) {
		return &run.Conn{Client: a.client(t, id, secret)}, nil
	}}
	p, err := run.Plan(context.Background(), tg, opts, &reporter{})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func TestPlanAttribution(t *testing.T) {
	a := newAttribution(t)
	ctx := context.Background()
	const (
		blue = "b0000000-0000-4000-8000-000000000002"
		ben  = "b2000000-0000-4000-8000-000000000003"
	)
	// another client gives Ben a role by hand
	if _, err := a.client(t, opsClient, fakeSecret).SetTrusteeUserRoles(ctx, blue, ben, []string{"a1000000-0000-4000-8000-000000000006"}); err != nil {
		t.Fatal(err)
	}
	home := sandbox.DemoFixture().Orgs[0].Clients[0]

	p := a.plan(t, "trusts.yaml", home.ID, home.Secret, run.PlanOptions{Attribute: true})
	var ofBen *plan.Change
	for i, c := range p.Plan.Changes {
		if c.UserID == ben {
			ofBen = &p.Plan.Changes[i]
		} else if c.Attribution != nil {
			t.Errorf("%s %s attributed to %+v; nothing in the audit log touched it", c.Action, c.Address, c.Attribution)
		}
	}
	if ofBen == nil || ofBen.Attribution == nil {
		t.Fatalf("the change to Ben is not attributed: %+v", ofBen)
	}
	if at := ofBen.Attribution; at.By != opsClient || at.ByKind != "client" || at.At.IsZero() || at.At.Location() != time.UTC {
		t.Errorf("Ben's change attributed to %+v; want client %s at a UTC time", at, opsClient)
	}
	if got := p.Attribution; !got.Ran || got.Attributed != 1 || len(got.Warnings) != 0 {
		t.Errorf("attribution = %+v; want 1 attributed, no warnings", got)
	}
	if a.audits.Load() == 0 {
		t.Error("no audit query was made")
	}

	// the saved plan leaves attribution out: a plan without it matches
	path := filepath.Join(a.dir, "saved.json")
	if err := p.Save(path, version.Info{Version: "test"}, planfile.Connection{Kind: planfile.ConnAPIURL, APIURL: "http://127.0.0.1:9400"}); err != nil {
		t.Fatal(err)
	}
	saved, err := planfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	again := a.plan(t, "trusts.yaml", home.ID, home.Secret, run.PlanOptions{})
	if err := again.CheckSaved(saved); err != nil {
		t.Errorf("a plan without attribution does not match the saved one: %v", err)
	}

	// off: no attribution, no audit query
	before := a.audits.Load()
	for _, c := range again.Plan.Changes {
		if c.Attribution != nil {
			t.Errorf("%s attributed without Attribute", c.Address)
		}
	}
	if again.Attribution.Ran || a.audits.Load() != before {
		t.Errorf("without Attribute: %+v, %d audit queries", again.Attribution, a.audits.Load()-before)
	}

	// a plan without changes makes no audit query
	none := a.plan(t, "none.yaml", home.ID, home.Secret, run.PlanOptions{Attribute: true})
	if none.Plan.HasChanges() || none.Attribution.Ran || a.audits.Load() != before {
		t.Errorf("a plan without changes: %d changes, %+v, %d audit queries", len(none.Plan.Changes), none.Attribution, a.audits.Load()-before)
	}
}

func TestPlanAttributionForbidden(t *testing.T) {
	a := newAttribution(t)
	p := a.plan(t, "trusts.yaml", noAuditClient, fakeSecret, run.PlanOptions{Attribute: true})
	if !p.Plan.HasChanges() {
		t.Fatal("the plan has no changes")
	}
	w := p.Attribution.Warnings
	if len(w) != 1 || !strings.Contains(w[0].Message, "authorization:audit:view") {
		t.Fatalf("warnings = %+v; want one naming authorization:audit:view", w)
	}
	for _, c := range p.Plan.Changes {
		if c.Attribution != nil {
			t.Errorf("%s attributed without the audit log", c.Address)
		}
	}
	// the reviewer sees the warning; the plan itself (saved, compared,
	// recorded) does not carry it
	shown := p.Shown()
	if n := len(shown.Warnings); n != len(p.Plan.Warnings)+1 || shown.Warnings[n-1].Message != w[0].Message {
		t.Errorf("shown warnings = %+v", shown.Warnings)
	}
	for _, pw := range p.Plan.Warnings {
		if strings.Contains(pw.Message, "audit") {
			t.Errorf("the plan carries %q", pw.Message)
		}
	}
}
