package proof

// The harness's only contact points with the packages it proves: one helper
// per package, each as small as the package's exported API allows.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/planfile"
	"github.com/trustsync/trustsync/internal/planjson"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// service is a sandbox served over HTTP.
type service struct {
	srv *sandbox.Server
	ts  *httptest.Server
	// busy counts the requests being handled.
	busy sync.WaitGroup
}

// startService starts the sandbox of fx with opts: the harness's one use
// of internal/sandbox besides its Fixture and AuditLogMessage types.
func startService(t testing.TB, fx *sandbox.Fixture, opts sandbox.Options) *service {
	t.Helper()
	srv, err := sandbox.New(fx, opts)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	s := &service{srv: srv}
	s.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.busy.Add(1)
		defer s.busy.Done()
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		s.ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
	})
	return s
}

// settle returns once every request the sandbox has received is answered,
// so that a write a killed run left in flight has committed (or not)
// before the next run starts, as it would have long before a process is
// started again.
func (s *service) settle() { s.busy.Wait() }

// audit returns the whole audit log in commit order.
func (s *service) audit() []sandbox.AuditLogMessage { return s.srv.AuditLog() }

// writes counts the mutations the sandbox committed.
func (s *service) writes() int64 { return s.srv.Stats().Writes }

// newClient is the harness's one use of client.New: a client of the org
// owning creds, through hc (nil: a default transport), with at most
// concurrency requests in flight (0: 4).
func newClient(t testing.TB, url string, creds sandbox.ClientCredentials, hc *http.Client, concurrency int) *client.Client {
	t.Helper()
	if concurrency == 0 {
		concurrency = 4
	}
	c, err := client.New(client.Config{
		APIURL:       url,
		LoginURL:     url,
		ClientID:     creds.ID,
		ClientSecret: creds.Secret,
		HTTPClient:   hc,
		MaxAttempts:  6,
		Deadline:     time.Minute,
		Concurrency:  concurrency,
	})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// createPairing creates a pairing of users and groups as the trustee org
// api belongs to.
func createPairing(ctx context.Context, api *client.Client, userIDs, groupIDs []string) (string, error) {
	tr, err := api.CreatePairing(ctx, client.TrustRequestCreate{UserIDs: userIDs, GroupIDs: groupIDs})
	if err != nil {
		return "", fmt.Errorf("create pairing: %w", err)
	}
	return tr.ID, nil
}

// loadDesired is the harness's one use of internal/config.
func loadDesired(t testing.TB, path string) *config.Config {
	t.Helper()
	cfg, diags := config.Load(context.Background(), []string{path}, time.Now())
	if diags.HasErrors() || cfg == nil {
		var b strings.Builder
		_ = diags.WriteText(&b)
		t.Fatalf("load %s:\n%s", path, b.String())
	}
	return cfg
}

// computePlan reads live state through api and plans cfg: the harness's
// one use of internal/live and internal/plan.
func computePlan(ctx context.Context, api *client.Client, cfg *config.Config) (*plan.Plan, error) {
	st, err := live.Read(ctx, api, live.Scope{
		Trustees: cfg.ManageTrustees, TrusteeGroups: plan.ManagesTrusteeGroups(cfg),
		Trustors: cfg.ManageTrustors, TrustorGroups: plan.ManagesTrustorGroups(cfg),
		Then: func(st *live.State) live.Checks { return plan.ChecksToRead(cfg, st) },
	})
	if err != nil {
		return nil, fmt.Errorf("read live state: %w", err)
	}
	p, err := plan.Compute(cfg, st)
	if err != nil {
		return nil, fmt.Errorf("compute plan: %w", err)
	}
	return p, nil
}

// runApply is the harness's one use of internal/apply: it applies p with
// removals allowed and the Customer Care trusts protected, calling progress
// as each change ends.
func runApply(ctx context.Context, api *client.Client, p *plan.Plan, protected []string, progress func(apply.ChangeResult)) (*apply.Result, error) {
	return apply.Run(ctx, api, p, apply.Options{
		AllowRemovals:     true,
		ProtectedTrustees: protected,
		Progress:          progress,
	})
}

// readPlanFile is the harness's one use of internal/planfile: it reads a
// saved plan and returns its plan document with its metadata, or why it
// was refused.
func readPlanFile(path string) (*planjson.Document, planfile.Meta, error) {
	f, err := planfile.Read(path)
	if err != nil {
		return nil, planfile.Meta{}, err
	}
	return f.Document, f.Meta, nil
}
