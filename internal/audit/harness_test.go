package audit_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/sandbox"
)

const (
	homeID   = "a0000000-0000-4000-8000-000000000001"
	blueID   = "b0000000-0000-4000-8000-000000000002"
	copperID = "c0000000-0000-4000-8000-000000000003"

	roleSupervisor = "a1000000-0000-4000-8000-000000000001"
	roleAgent      = "a1000000-0000-4000-8000-000000000002"
	userBo         = "b2000000-0000-4000-8000-000000000001"
	userBella      = "b2000000-0000-4000-8000-000000000002"
	userNadia      = "a2000000-0000-4000-8000-000000000001"
	homeClient     = "northwind-demo-client"
)

// clock is a sandbox clock that moves one minute per reading, so every
// audit entry has its own time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
	return c.t
}

// startSandbox serves the demo fixture and returns a client logged in as
// Northwind, the home org.
func startSandbox(t *testing.T) *client.Client {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	sb, err := sandbox.New(sandbox.DemoFixture(), sandbox.Options{Now: clk.now})
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(func() {
		srv.Close()
		if err := sb.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
	})
	return newClient(t, srv.URL, homeClient, "demo-secret-northwind-NOT-A-REAL-SECRET")
}

func newClient(t *testing.T, url, id, secret string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{
		APIURL: url, LoginURL: url, ClientID: id, ClientSecret: secret,
		MaxAttempts: 1, Deadline: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// writeSome makes three changes as Northwind: the Bluebird trust's expiry,
// Bo Blue's roles, and Nadia North out of Copperfield's trust.
func writeSome(t *testing.T, c *client.Client) {
	t.Helper()
	ctx := context.Background()
	exp := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	if _, err := c.UpdateTrustee(ctx, blueID, client.TrustUpdate{Enabled: true, DateExpired: &exp}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetTrusteeUserRoles(ctx, blueID, userBo, []string{roleSupervisor}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTrustorUser(ctx, copperID, userNadia); err != nil {
		t.Fatal(err)
	}
}

// counting counts the audit queries a real client makes.
type counting struct {
	api     Querier
	mu      sync.Mutex
	trustee []client.TrusteeAuditQuery
	trustor []client.TrustorAuditQuery
}

// Querier is audit.Querier, repeated here so the wrapper documents what it
// wraps.
type Querier interface {
	QueryTrusteeAudits(ctx context.Context, q client.TrusteeAuditQuery, opts client.AuditPageOptions) (*client.AuditPage, error)
	QueryTrustorAudits(ctx context.Context, q client.TrustorAuditQuery, opts client.AuditPageOptions) (*client.AuditPage, error)
}

func (c *counting) QueryTrusteeAudits(ctx context.Context, q client.TrusteeAuditQuery, o client.AuditPageOptions) (*client.AuditPage, error) {
	c.mu.Lock()
	c.trustee = append(c.trustee, q)
	c.mu.Unlock()
	return c.api.QueryTrusteeAudits(ctx, q, o)
}

func (c *counting) QueryTrustorAudits(ctx context.Context, q client.TrustorAuditQuery, o client.AuditPageOptions) (*client.AuditPage, error) {
	c.mu.Lock()
	c.trustor = append(c.trustor, q)
	c.mu.Unlock()
	return c.api.QueryTrustorAudits(ctx, q, o)
}
