package live_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// TestConcurrencyReachesEveryRead: the client's Concurrency is the one
// bound on a read. Against a sandbox with latency, in a synctest bubble
// (so every request that may start does start before time moves), the
// most requests the server sees in flight at once is exactly the flag:
// 32 at 32 and 8 at 8, with 40 role reads that could all run together.
func TestConcurrencyReachesEveryRead(t *testing.T) {
	for _, conc := range []int{8, 32} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fx := manyUsersFixture(40)
				var inFlight, maxSeen atomic.Int32
				count := func(next http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						n := inFlight.Add(1)
						defer inFlight.Add(-1)
						for m := maxSeen.Load(); n > m && !maxSeen.CompareAndSwap(m, n); m = maxSeen.Load() {
						}
						next.ServeHTTP(w, r)
					})
				}
				c := bubbleClient(t, fx, sandbox.Options{Latency: 25 * time.Millisecond}, count, conc)
				st, err := live.Read(context.Background(), c, live.Scope{Trustees: true, Trustors: true})
				if err != nil {
					t.Fatal(err)
				}
				if n := len(st.Trustees[0].Users); n != 43 {
					t.Fatalf("read %d users of the first trust, want 43", n)
				}
				if got := maxSeen.Load(); got != int32(conc) {
					t.Errorf("at most %d requests in flight, want exactly the client's %d", got, conc)
				}
			})
		})
	}
}

// manyUsersFixture is the demo fixture with n more Bluebird users in the
// Bluebird trust, each holding one role.
func manyUsersFixture(n int) *sandbox.Fixture {
	fx := sandbox.DemoFixture()
	fx.Limits.MaxUsersPerTrust = n + 25
	for i := range fx.Trusts {
		tr := &fx.Trusts[i]
		if tr.Trustor != homeID || tr.Trustee != blueID {
			continue
		}
		for k := range n {
			id := fmt.Sprintf("b9000000-0000-4000-8000-%012d", k+1)
			fx.Orgs[1].Users = append(fx.Orgs[1].Users, sandbox.FixtureUser{ID: id, Name: fmt.Sprintf("User %d", k+1), Email: fmt.Sprintf("u%d@bluebird.example", k+1)})
			tr.Users = append(tr.Users, sandbox.FixtureTrustUser{ID: id, Roles: []string{"a1000000-0000-4000-8000-000000000002"}})
		}
	}
	return fx
}

// bubbleClient serves fx over in-memory pipes (so a goroutine waiting on
// one is durably blocked in the bubble) and returns a client of the home
// org with the given concurrency.
func bubbleClient(t *testing.T, fx *sandbox.Fixture, opts sandbox.Options, wrap func(http.Handler) http.Handler, conc int) *client.Client {
	t.Helper()
	sb, err := sandbox.New(fx, opts)
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	ln := &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
	hs := &http.Server{Handler: wrap(sb)}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	home := sb.Orgs()[0]
	c, err := client.New(client.Config{
		APIURL:       "http://127.0.0.1", // the pipes ignore the address
		ClientID:     home.Clients[0].ID,
		ClientSecret: home.Clients[0].Secret,
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: ln.dial, MaxIdleConnsPerHost: 64}},
		Concurrency:  conc,
		MaxAttempts:  1,
	})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	t.Cleanup(func() {
		c.CloseIdleConnections()
		if err := hs.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		if err := sb.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
	})
	return c
}

// pipeListener is a net.Listener whose connections are net.Pipe pairs.
type pipeListener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
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

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	server, c := net.Pipe()
	select {
	case l.conns <- server:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }
