package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trustsync/trustsync/internal/sandbox"
)

func TestTransientErrorsRetried(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	ctx := ctxT(t)
	env.srv.Inject(sandbox.Fault{Method: "GET", Path: trusteesPath + "/" + bluebird, Status: http.StatusServiceUnavailable})
	env.srv.Inject(sandbox.Fault{Method: "GET", Path: trusteesPath + "/" + bluebird, Status: http.StatusBadGateway})
	env.srv.Inject(sandbox.Fault{Method: "GET", Path: trusteesPath + "/" + bluebird, Status: http.StatusGatewayTimeout})
	tr, err := c.GetTrustee(ctx, bluebird)
	if err != nil || tr.ID != bluebird {
		t.Fatalf("GetTrustee = %+v, %v", tr, err)
	}
	if n := env.routeCount("GET " + trusteesPath + "/{trusteeOrgId}"); n != 4 {
		t.Errorf("attempts = %d, want 4", n)
	}
	if s := c.Stats(); s.Retries != 3 || s.Requests != 4 || s.RateLimited != 0 {
		t.Errorf("Stats = %+v", s)
	}
	// Exponential backoff; the test's jitter returns the ceiling.
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}
	if got := env.clock.Slept(); !slices.Equal(got, want) {
		t.Errorf("backoff = %v, want %v", got, want)
	}
}

func TestBackoffCappedAndJittered(t *testing.T) {
	c, err := New(Config{APIURL: "https://api.example.test", AccessToken: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var ceilings []time.Duration
	c.jitter = func(d time.Duration) time.Duration { ceilings = append(ceilings, d); return d / 2 }
	for attempt := 1; attempt <= 8; attempt++ {
		if got := c.backoff(attempt); got != ceilings[len(ceilings)-1]/2 {
			t.Errorf("backoff(%d) = %v, want half the ceiling", attempt, got)
		}
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 20 * time.Second, 20 * time.Second}
	if !slices.Equal(ceilings, want) {
		t.Errorf("ceilings = %v, want %v", ceilings, want)
	}
	for range 100 {
		if d := fullJitter(time.Second); d < 0 || d > time.Second {
			t.Fatalf("fullJitter(1s) = %v", d)
		}
	}
	if fullJitter(0) != 0 {
		t.Error("fullJitter(0) != 0")
	}
}

func TestServiceUnavailableRetryAfterHonoured(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	env.srv.Inject(sandbox.Fault{Path: orgMePath, Status: http.StatusServiceUnavailable, RetryAfter: 9})
	if _, err := c.GetOrganizationMe(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if got := env.clock.Slept(); !slices.Equal(got, []time.Duration{9 * time.Second}) {
		t.Errorf("waited %v, want the 503's 9s Retry-After", got)
	}
}

func TestRetriesExhaustedKeepStatusAndBody(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, func(cfg *Config) { cfg.MaxAttempts = 3 })
	ctx := ctxT(t)
	env.srv.Inject(sandbox.Fault{Path: orgMePath, Status: http.StatusBadGateway, Times: 5})
	_, err := c.GetOrganizationMe(ctx)
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an *APIError", err)
	}
	if ae.Status != http.StatusBadGateway || ae.Code != "bad.gateway" || ae.CorrelationID == "" ||
		!strings.Contains(string(ae.Body), "bad.gateway") || ae.Path != orgMePath || ae.Method != "GET" {
		t.Errorf("APIError = %+v", ae)
	}
	if !strings.Contains(err.Error(), "gave up after 3 attempts") || !strings.Contains(err.Error(), ae.CorrelationID) {
		t.Errorf("err = %q", err)
	}
	if n := env.routeCount("GET " + orgMePath); n != 3 {
		t.Errorf("attempts = %d, want 3", n)
	}
}

func TestDeadlineEndsRetries(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, func(cfg *Config) { cfg.Deadline = 50 * time.Millisecond; cfg.MaxAttempts = 1000 })
	c.sleep = sleepCtx // real waits, so the real deadline passes
	c.backoffBase, c.backoffMax = 5*time.Millisecond, 5*time.Millisecond
	env.srv.Inject(sandbox.Fault{Path: orgMePath, Status: http.StatusServiceUnavailable, Times: 1_000_000})
	start := time.Now()
	_, err := c.GetOrganizationMe(ctxT(t))
	var ae *APIError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want the deadline and the last 503", err)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("gave up after %v, before the deadline", el)
	}
}

func Test429WaitsRetryAfterThenSucceeds(t *testing.T) {
	env := newEnv(t, sandbox.Options{Now: time.Now}, nil)
	c := env.client(t, nil)
	c.now, c.sleep = time.Now, sleepCtx // really wait
	env.srv.Inject(sandbox.Fault{Path: orgMePath, Status: http.StatusTooManyRequests, RetryAfter: 1})
	start := time.Now()
	me, err := c.GetOrganizationMe(ctxT(t))
	if err != nil || me.ID != northwind {
		t.Fatalf("GetOrganizationMe = %v, %v", me, err)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("succeeded after %v, before Retry-After (1s)", el)
	}
	if s := c.Stats(); s.RateLimited != 1 || s.Retries != 1 || s.Requests != 2 {
		t.Errorf("Stats = %+v", s)
	}
}

// Test429PausesEveryRequest: after a 429 on one path, a request on another
// path waits out the Retry-After too.
func Test429PausesEveryRequest(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, func(cfg *Config) { cfg.MaxAttempts = 1 })
	ctx := ctxT(t)
	env.srv.Inject(sandbox.Fault{Path: orgMePath, Status: http.StatusTooManyRequests, RetryAfter: 7})
	_, err := c.GetOrganizationMe(ctx)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || ae.RetryAfter != 7*time.Second {
		t.Fatalf("err = %v, want the 429 (no attempts left)", err)
	}
	start := env.clock.Now()
	if _, err := c.ListRoles(ctx); err != nil {
		t.Fatal(err)
	}
	if waited := env.clock.Now().Sub(start); waited < 7*time.Second {
		t.Errorf("another request waited %v, want the 7s Retry-After", waited)
	}
}

func Test429BeyondDeadlineFailsAtOnce(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, func(cfg *Config) { cfg.Deadline = 10 * time.Second })
	env.srv.Inject(sandbox.Fault{Path: orgMePath, Status: http.StatusTooManyRequests, RetryAfter: 3600})
	_, err := c.GetOrganizationMe(ctxT(t))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || ae.CorrelationID == "" {
		t.Fatalf("err = %v, want the 429", err)
	}
	for _, want := range []string{"rate limited: the service asked to wait 1h0m0s (honoured up to 10m0s)", "after this call's deadline", ae.CorrelationID} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}
	if len(env.clock.Slept()) != 0 {
		t.Errorf("slept %v before giving up", env.clock.Slept())
	}
}

// TestLongPauseFailsLaterCallsAtOnce: a call that comes during a pause it
// cannot outlast fails at once, keeping the 429 that set the pause, instead
// of waiting for its deadline and failing without it.
func TestLongPauseFailsLaterCallsAtOnce(t *testing.T) {
	t.Run("simulated clock", func(t *testing.T) {
		env := newEnv(t, sandbox.Options{}, nil)
		c := env.client(t, func(cfg *Config) { cfg.MaxAttempts = 1 })
		ctx := ctxT(t) // 30s: the 5-minute pause outlasts it
		env.srv.Inject(sandbox.Fault{Path: orgMePath, Status: http.StatusTooManyRequests, RetryAfter: 300})
		_, err := c.GetOrganizationMe(ctx)
		var first *APIError
		if !errors.As(err, &first) || first.Status != http.StatusTooManyRequests {
			t.Fatalf("err = %v, want the 429 (no attempts left)", err)
		}
		env.clock.Advance(2 * time.Second)
		_, err = c.ListRoles(ctx)
		var ae *APIError
		if !errors.As(err, &ae) || ae != first {
			t.Fatalf("err = %v, want it to wrap the 429 that set the pause", err)
		}
		for _, want := range []string{"list roles: ", "rate limited: the service asked to wait 5m0s; the pause ends in 4m58s, after this call's deadline", first.CorrelationID} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, want it to contain %q", err, want)
			}
		}
		if slept := env.clock.Slept(); len(slept) != 0 {
			t.Errorf("slept %v before failing", slept)
		}
		if n := env.routeCount("GET /api/v2/users"); n != 0 {
			t.Errorf("sent %d requests during the pause", n)
		}
	})
	t.Run("real clock", func(t *testing.T) {
		env := newEnv(t, sandbox.Options{Now: time.Now}, nil)
		c := env.client(t, func(cfg *Config) { cfg.MaxAttempts = 1; cfg.Deadline = 5 * time.Second })
		c.now, c.sleep = time.Now, sleepCtx
		env.srv.Inject(sandbox.Fault{Path: orgMePath, Status: http.StatusTooManyRequests, RetryAfter: 120})
		if _, err := c.GetOrganizationMe(ctxT(t)); !hasStatus(err, http.StatusTooManyRequests) {
			t.Fatalf("err = %v, want the 429", err)
		}
		start := time.Now()
		_, err := c.ListTrustees(ctxT(t))
		if !hasStatus(err, http.StatusTooManyRequests) || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the 429 and no deadline error", err)
		}
		// Not a timing assertion in the strict sense: waiting would take
		// the whole 5s deadline.
		if el := time.Since(start); el >= 4*time.Second {
			t.Errorf("failed after %v, not at once", el)
		}
	})
}

// TestRetryAfterCapped: a Retry-After beyond maxRetryAfter is honoured for
// maxRetryAfter, on a 429, a 503 and the token endpoint alike.
func TestRetryAfterCapped(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sandbox.Fault
	}{
		{"429", sandbox.Fault{Path: orgMePath, Status: http.StatusTooManyRequests, RetryAfter: 3600}},
		{"503", sandbox.Fault{Path: orgMePath, Status: http.StatusServiceUnavailable, RetryAfter: 3600}},
		{"token 429", sandbox.Fault{Path: "/oauth/token", Status: http.StatusTooManyRequests, RetryAfter: 3600}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, sandbox.Options{}, nil)
			c := env.client(t, func(cfg *Config) { cfg.Deadline = 2 * time.Hour })
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			env.srv.Inject(tc.fault)
			if _, err := c.GetOrganizationMe(ctx); err != nil {
				t.Fatal(err)
			}
			if got := env.clock.Slept(); !slices.Equal(got, []time.Duration{maxRetryAfter}) {
				t.Errorf("waited %v, want %v", got, maxRetryAfter)
			}
		})
	}
}

// TestQueuedRequestsWaitOutA429: a request queued for a concurrency slot
// when a 429 arrives does not fire when the slot frees: it waits out the
// pause and takes its token at the new pace, so only the request in flight
// meets the limit.
func TestQueuedRequestsWaitOutA429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		var mu sync.Mutex
		var arrivals []time.Time
		hold := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/api/") {
					mu.Lock()
					arrivals = append(arrivals, time.Now())
					first := len(arrivals) == 1
					mu.Unlock()
					if first {
						<-gate
					}
				}
				next.ServeHTTP(w, r)
			})
		}
		env := newBubbleEnv(t, sandbox.Options{}, hold)
		c := env.client(t, func(cfg *Config) { cfg.Concurrency = 1 })
		env.srv.Inject(sandbox.Fault{Path: orgMePath, Status: http.StatusTooManyRequests, RetryAfter: 5})
		ctx := context.Background()
		start := time.Now()
		var wg sync.WaitGroup
		call := func() {
			if _, err := c.GetOrganizationMe(ctx); err != nil {
				t.Error(err)
			}
		}
		wg.Go(call) // in flight, held at the gate
		synctest.Wait()
		for range 3 {
			wg.Go(call) // queued for the only slot
		}
		synctest.Wait()
		close(gate) // the request in flight meets the 429
		wg.Wait()

		mu.Lock()
		defer mu.Unlock()
		if len(arrivals) != 5 {
			t.Fatalf("%d requests reached the service, want 5 (4 calls, one retried)", len(arrivals))
		}
		for i, at := range arrivals[1:] {
			if at.Sub(start) < 5*time.Second {
				t.Errorf("request %d reached the service %v after the 429, during the 5s pause", i+2, at.Sub(start))
			}
		}
		interval := time.Duration(float64(time.Second) / float64(c.lanes[0].pacer.limit()))
		for i := 2; i < len(arrivals); i++ {
			if gap := arrivals[i].Sub(arrivals[i-1]); gap < interval-time.Millisecond {
				t.Errorf("requests %d and %d reached the service %v apart, want the pace's %v", i, i+1, gap, interval)
			}
		}
		if s := c.Stats(); s.RateLimited != 1 {
			t.Errorf("Stats = %+v, want one 429", s)
		}
	})
}

func TestPostNotRetriedAfterItMayHaveApplied(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	ctx := ctxT(t)
	if _, err := c.DeleteTrusteeUser(ctx, bluebird, ben); err != nil {
		t.Fatal(err)
	}
	usersPath := trusteesPath + "/" + bluebird + "/users"
	env.srv.Inject(sandbox.Fault{Method: "POST", Path: usersPath, Status: http.StatusBadGateway, Commit: true})
	_, _, err := c.AddTrusteeUser(ctx, bluebird, TrustMemberCreate{ID: ben, RoleIDs: []string{roleQualityEvaluator}})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadGateway {
		t.Fatalf("AddTrusteeUser: %v, want the 502", err)
	}
	if n := env.routeCount("POST " + trusteesPath + "/{trusteeOrgId}/users"); n != 1 {
		t.Errorf("POST attempts = %d, want 1", n)
	}
	// The change was made; reading back tells.
	if _, err := c.GetTrusteeUser(ctx, bluebird, ben); err != nil {
		t.Errorf("read back: %v", err)
	}
}

func TestPostRetriedAfter429(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	ctx := ctxT(t)
	env.srv.Inject(sandbox.Fault{Method: "POST", Path: "/api/v2/orgauthorization/pairings", Status: http.StatusTooManyRequests, RetryAfter: 2})
	cc := env.clientAs(t, copperClient, copperSecret, nil)
	pr, err := cc.CreatePairing(ctx, TrustRequestCreate{UserIDs: []string{cora}})
	if err != nil || pr.ID == "" {
		t.Fatalf("CreatePairing = %v, %v", pr, err)
	}
	if got := env.clock.TotalSlept(); got < 2*time.Second {
		t.Errorf("waited %v, want the 2s Retry-After", got)
	}
	_ = c
}

func TestAuditQueryRetriedLikeARead(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	env.srv.Inject(sandbox.Fault{Path: trusteesPath + "/audits", Status: http.StatusServiceUnavailable})
	if _, err := c.QueryTrusteeAudits(ctxT(t), TrusteeAuditQuery{TrusteeOrganizationIDs: []string{bluebird}}, AuditPageOptions{}); err != nil {
		t.Fatalf("QueryTrusteeAudits after a 503: %v", err)
	}
}

// TestLostAnswers: a write whose answer is lost is retried (DELETE, PUT)
// and the retry's 404/409 becomes AlreadyGone/AlreadyPresent.
func TestLostAnswers(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	ctx := ctxT(t)

	userPath := trusteesPath + "/" + bluebird + "/users/" + ben
	env.srv.Inject(sandbox.Fault{Method: "DELETE", Path: userPath, Status: http.StatusBadGateway, Commit: true})
	if o, err := c.DeleteTrusteeUser(ctx, bluebird, ben); err != nil || o != AlreadyGone {
		t.Errorf("DeleteTrusteeUser with a lost answer = %v, %v; want already gone", o, err)
	}
	if _, err := c.GetTrusteeUser(ctx, bluebird, ben); !IsNotFound(err) {
		t.Errorf("user still there: %v", err)
	}

	env.srv.Inject(sandbox.Fault{Method: "DELETE", Path: trusteesPath + "/" + bluebird, Status: http.StatusGatewayTimeout, Commit: true})
	if o, err := c.DeleteTrustee(ctx, bluebird); err != nil || o != AlreadyGone {
		t.Errorf("DeleteTrustee with a lost answer = %v, %v", o, err)
	}

	env.srv.Inject(sandbox.Fault{Method: "DELETE", Path: "/api/v2/orgauthorization/trustors/" + copperfield + "/users/" + oscar, Status: http.StatusServiceUnavailable, Commit: true})
	if o, err := c.DeleteTrustorUser(ctx, copperfield, oscar); err != nil || o != AlreadyGone {
		t.Errorf("DeleteTrustorUser with a lost answer = %v, %v", o, err)
	}

	putPath := "/api/v2/orgauthorization/trustors/" + copperfield + "/users/" + priya
	env.srv.Inject(sandbox.Fault{Method: "PUT", Path: putPath, Status: http.StatusServiceUnavailable, Commit: true})
	u, o, err := c.AddTrustorUser(ctx, copperfield, priya)
	if err != nil || o != AlreadyPresent || u != nil {
		t.Errorf("AddTrustorUser with a lost answer = %v, %v, %v; want already present", u, o, err)
	}
	if _, err := c.GetTrustorUser(ctx, copperfield, priya); err != nil {
		t.Errorf("user not added: %v", err)
	}

	// A retried delete whose first attempt was refused by the rate limit
	// could not have deleted anything: its 404 is a plain error.
	env.srv.Inject(sandbox.Fault{Method: "DELETE", Path: "/api/v2/orgauthorization/trustors/" + bluebird, Status: http.StatusTooManyRequests})
	if o, err := c.DeleteTrustor(ctx, bluebird); !IsNotFound(err) || o != Applied {
		t.Errorf("DeleteTrustor of no trust after a 429 = %v, %v; want a 404 error", o, err)
	}
}

// dropFirst answers the first n requests that match with a closed
// connection, after reading them (so they reached the server).
func dropFirst(method, path string, n int) func(http.Handler) http.Handler {
	var left atomic.Int64
	left.Store(int64(n))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == method && r.URL.Path == path && left.Add(-1) >= 0 {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestConnectionErrors(t *testing.T) {
	t.Run("GET retried", func(t *testing.T) {
		env := newEnv(t, sandbox.Options{}, dropFirst("GET", orgMePath, 2))
		c := env.client(t, nil)
		if _, err := c.GetOrganizationMe(ctxT(t)); err != nil {
			t.Fatalf("GetOrganizationMe after 2 dropped connections: %v", err)
		}
		// net/http may itself retry a GET on a reused connection once.
		if s := c.Stats(); s.Retries < 1 {
			t.Errorf("Stats = %+v", s)
		}
	})
	t.Run("POST that reached the server not retried", func(t *testing.T) {
		path := "/api/v2/orgauthorization/pairings"
		env := newEnv(t, sandbox.Options{}, dropFirst("POST", path, 1))
		c := env.clientAs(t, copperClient, copperSecret, nil)
		_, err := c.CreatePairing(ctxT(t), TrustRequestCreate{UserIDs: []string{cora}})
		if err == nil {
			t.Fatal("CreatePairing succeeded; the dropped POST was retried")
		}
		var ae *APIError
		if errors.As(err, &ae) {
			t.Errorf("err = %v, want a connection error", err)
		}
	})
	t.Run("POST that never left retried", func(t *testing.T) {
		env := newEnv(t, sandbox.Options{}, nil)
		var fails atomic.Int64
		fails.Store(1)
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == "POST" && r.URL.Path != "/oauth/token" && fails.Add(-1) >= 0 {
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
			}
			return http.DefaultTransport.RoundTrip(r)
		})}
		c := env.clientAs(t, copperClient, copperSecret, func(cfg *Config) { cfg.HTTPClient = hc })
		pr, err := c.CreatePairing(ctxT(t), TrustRequestCreate{UserIDs: []string{cora}})
		if err != nil || pr.ID == "" {
			t.Fatalf("CreatePairing after a refused connection = %v, %v", pr, err)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestConcurrentCallers runs many readers at once under random faults,
// checking the concurrency limit and that every call succeeds.
func TestConcurrentCallers(t *testing.T) {
	var inFlight, peak atomic.Int64
	count := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				n := inFlight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				defer inFlight.Add(-1)
			}
			next.ServeHTTP(w, r)
		})
	}
	env := newEnv(t, sandbox.Options{FaultRate: 0.1, FaultSeed: 7}, count)
	c := env.client(t, func(cfg *Config) { cfg.Concurrency = 3; cfg.MaxAttempts = 20 })
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				var err error
				switch (i + j) % 4 {
				case 0:
					_, err = c.ListTrusteeUsers(ctx, bluebird)
				case 1:
					_, err = c.GetTrusteeUserRoles(ctx, bluebird, bo)
				case 2:
					_, err = c.ListTrustees(ctx)
				case 3:
					_, err = c.GetOrganizationMe(ctx)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p := peak.Load(); p > 3 || p < 1 {
		t.Errorf("peak requests in flight = %d, want 1..3", p)
	}
	s := c.Stats()
	if s.Requests < 80 || s.TokenRequests != 1 {
		t.Errorf("Stats = %+v", s)
	}
	if env.srv.Stats().ByStatus["502"]+env.srv.Stats().ByStatus["503"]+env.srv.Stats().ByStatus["504"] == 0 {
		t.Error("no faults were injected; the test proves nothing")
	}
}

// TestCanceledContext: a canceled context ends a call at once.
func TestCanceledContext(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ListTrustees(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
