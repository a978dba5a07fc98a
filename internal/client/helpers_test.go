package client

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/sandbox"
)

// Demo fixture ids.
const (
	northwind   = "a0000000-0000-4000-8000-000000000001"
	bluebird    = "b0000000-0000-4000-8000-000000000002"
	copperfield = "c0000000-0000-4000-8000-000000000003"
	care        = "d0000000-0000-4000-8000-000000000004"

	roleClaimsSupervisor = "a1000000-0000-4000-8000-000000000001"
	roleClaimsAgent      = "a1000000-0000-4000-8000-000000000002"
	roleQualityEvaluator = "a1000000-0000-4000-8000-000000000003"
	roleReportingViewer  = "a1000000-0000-4000-8000-000000000004"
	roleMasterAdmin      = "a1000000-0000-4000-8000-000000000006"

	nadia  = "a2000000-0000-4000-8000-000000000001"
	oscar  = "a2000000-0000-4000-8000-000000000002"
	priya  = "a2000000-0000-4000-8000-000000000003"
	bo     = "b2000000-0000-4000-8000-000000000001"
	bella  = "b2000000-0000-4000-8000-000000000002"
	ben    = "b2000000-0000-4000-8000-000000000003"
	bianca = "b2000000-0000-4000-8000-000000000004"
	cora   = "c2000000-0000-4000-8000-000000000001"

	northwindClient = "northwind-demo-client"
	northwindSecret = "demo-secret-northwind-NOT-A-REAL-SECRET"
	copperClient    = "copperfield-demo-client"
	copperSecret    = "demo-secret-copperfield-NOT-A-REAL-SECRET"
)

const (
	orgMePath    = "/api/v2/organizations/me"
	rolesPath    = "/api/v2/authorization/roles"
	trusteesPath = "/api/v2/orgauthorization/trustees"
)

// fakeClock is a clock that only moves when slept on, shared by the
// sandbox and the client so that waits cost no real time.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if d > 0 {
		f.t = f.t.Add(d)
		f.slept = append(f.slept, d)
	}
	return nil
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

// Slept returns the sleeps so far.
func (f *fakeClock) Slept() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.slept...)
}

// TotalSlept returns the sum of the sleeps so far.
func (f *fakeClock) TotalSlept() time.Duration {
	var sum time.Duration
	for _, d := range f.Slept() {
		sum += d
	}
	return sum
}

// testEnv is a sandbox served over HTTP in-process and a fake clock.
type testEnv struct {
	srv   *sandbox.Server
	ts    *httptest.Server
	clock *fakeClock
}

// newEnv starts the demo sandbox on the fake clock; wrap, when non-nil,
// wraps the sandbox handler (to inject transport-level faults or record
// headers).
func newEnv(t *testing.T, opts sandbox.Options, wrap func(http.Handler) http.Handler) *testEnv {
	t.Helper()
	clock := newFakeClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	srv, err := sandbox.New(sandbox.DemoFixture(), opts)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("sandbox Close: %v", err)
		}
	})
	return &testEnv{srv: srv, ts: ts, clock: clock}
}

// client returns a client of the home org (Northwind) on the fake clock
// with deterministic jitter (the full ceiling).
func (e *testEnv) client(t *testing.T, mod func(*Config)) *Client {
	t.Helper()
	return e.clientAs(t, northwindClient, northwindSecret, mod)
}

func (e *testEnv) clientAs(t *testing.T, id, secret string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		APIURL:       e.ts.URL,
		ClientID:     id,
		ClientSecret: secret,
		UserAgent:    "trustsync/test",
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.now = e.clock.Now
	c.sleep = e.clock.Sleep
	c.jitter = func(d time.Duration) time.Duration { return d }
	return c
}

// routeCount returns how many requests the sandbox answered for route
// ("GET /api/v2/organizations/me").
func (e *testEnv) routeCount(route string) int64 {
	return e.srv.Stats().ByRoute[route]
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// bubbleEnv is the demo sandbox served by an http.Server over in-memory
// pipes, for tests that run in a testing/synctest bubble: time is the
// bubble's fake clock for the client and the sandbox alike, every sleeper
// waits its own virtual time (unlike fakeClock, where concurrent sleepers
// each move the clock), and the requests still go through net/http on both
// sides.
type bubbleEnv struct {
	srv *sandbox.Server
	ln  *pipeListener
}

// newBubbleEnv starts the sandbox; call it inside synctest.Test. wrap, when
// non-nil, wraps the sandbox handler.
func newBubbleEnv(t *testing.T, opts sandbox.Options, wrap func(http.Handler) http.Handler) *bubbleEnv {
	t.Helper()
	srv, err := sandbox.New(sandbox.DemoFixture(), opts)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ln := newPipeListener()
	hs := &http.Server{Handler: h}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	t.Cleanup(func() {
		if err := hs.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("sandbox Close: %v", err)
		}
	})
	return &bubbleEnv{srv: srv, ln: ln}
}

// client returns a client of the home org that reaches the sandbox over
// the pipes, on the bubble's clock.
func (e *bubbleEnv) client(t *testing.T, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		APIURL:       "http://127.0.0.1", // the pipes ignore the address
		ClientID:     northwindClient,
		ClientSecret: northwindSecret,
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: e.ln.dial, MaxIdleConnsPerHost: 32}},
		UserAgent:    "trustsync/test",
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// pipeListener is a net.Listener whose connections are net.Pipe pairs, so
// that a goroutine waiting on one is durably blocked in a synctest bubble.
type pipeListener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial is a DialContext that hands one end of a new pipe to Accept.
func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

func base64Std(s string) string      { return base64.StdEncoding.EncodeToString([]byte(s)) }
func urlQueryEscape(s string) string { return url.QueryEscape(s) }
