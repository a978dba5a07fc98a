package proof

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/trustsync/trustsync/internal/plan"
)

// errKilled is what every request of a killed run gets.
var errKilled = errors.New("process killed")

// killer is the transport of a run that dies at the n-th API request
// apply makes (a write or a read-back), as a process killed with SIGKILL
// would: before that request leaves, or after it reached the service (a
// write's answer is lost). From then on no request of the run gets
// anywhere, and the run's context is cancelled so that apply stops; its
// result is dropped.
type killer struct {
	base     http.RoundTripper
	mu       sync.Mutex
	at       int  // the request that kills the run, from 1; 0: not armed
	after    bool // that request reaches the service first
	requests int
	dead     bool
	write    bool // the killing request was a write
	cancel   context.CancelFunc
}

// isWrite reports whether r is an API write (audit queries and token
// requests are POSTs but change nothing).
func isWrite(r *http.Request) bool {
	return r.Method != http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v2/") && !strings.HasSuffix(r.URL.Path, "/audits")
}

func (k *killer) RoundTrip(r *http.Request) (*http.Response, error) {
	k.mu.Lock()
	if k.dead {
		k.mu.Unlock()
		return nil, errKilled
	}
	if k.at == 0 || !strings.HasPrefix(r.URL.Path, "/api/v2/") {
		k.mu.Unlock()
		return k.base.RoundTrip(r)
	}
	k.requests++
	if k.requests < k.at {
		k.mu.Unlock()
		return k.base.RoundTrip(r)
	}
	k.dead, k.write = true, isWrite(r)
	k.mu.Unlock()
	if k.after {
		if resp, err := k.base.RoundTrip(r); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}
	k.cancel()
	return nil, errKilled
}

// TestCrash kills applies at seeded points (one or two killed runs per
// seed, each at a seeded request of apply's writes and read-backs, before
// or after it reached the service), through the same faulty sandbox as
// TestSoak, then applies until it succeeds. Besides the soak's checks for every run, replaying the audit
// log over the starting state must never show a grant, an enabled trust or
// a later expiry that neither the old nor the desired state holds, and the
// end state must be the desired one (see scenario.verify).
func TestCrash(t *testing.T) {
	t.Parallel()
	var runs tally
	var kills, writeKills, committedKills atomic.Int64
	eachSeed(t, seeds(t, 20, 300), func(t *testing.T, seed int64) {
		s := newScenario(t, seed, faulty(seed))
		// One change at a time, so that the n-th request is the same one
		// whenever the faults allow.
		s.concurrency = 1
		rng := rand.New(rand.NewPCG(uint64(seed), 0x6b696c6c))
		n := 1 + rng.IntN(2)
		for i := range n {
			k := &killer{base: http.DefaultTransport, after: rng.IntN(2) == 0}
			draw := rng.Uint64()
			rep := s.run(fmt.Sprintf("seed %d killed run %d", seed, i+1), k, func(p *plan.Plan, cancel context.CancelFunc) {
				k.mu.Lock()
				defer k.mu.Unlock()
				// Most changes take one write and at most one read-back.
				k.at, k.cancel = 1+int(draw%uint64(2*len(p.Changes))), cancel
			})
			k.mu.Lock()
			dead, write := k.dead, k.write
			k.mu.Unlock()
			switch {
			case dead:
				kills.Add(1)
				if write {
					writeKills.Add(1)
					if k.after {
						committedKills.Add(1)
					}
				}
			case rep.planned && rep.changes > 0:
				t.Logf("seed %d killed run %d: apply ended before request %d", seed, i+1, k.at)
			}
		}
		runs.add(seed, s.converge("after the kills "))
		s.verify()
		runs.count(s)
	})
	runs.report(t, "crash")
	t.Logf("crash: %d runs killed, %d at a write, %d of those just after it reached the service",
		kills.Load(), writeKills.Load(), committedKills.Load())
	if kills.Load() == 0 {
		t.Error("crash: no run was killed; the test proved nothing")
	}
}
