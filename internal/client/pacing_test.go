package client

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/trustsync/trustsync/internal/sandbox"
)

// TestPacingUnderSteadyLimit runs many requests against the sandbox's
// 300-a-minute token bucket on a simulated clock: after the first 429 the
// client paces itself, so 429s stay at most 5 % of the requests while the
// throughput stays close to the limit.
func TestPacingUnderSteadyLimit(t *testing.T) {
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprintf("concurrency %d", conc), func(t *testing.T) {
			env := newEnv(t, sandbox.Options{RateLimit: 300}, nil)
			c := env.client(t, func(cfg *Config) { cfg.Concurrency = conc; cfg.MaxAttempts = 10 })
			ctx := ctxT(t)
			const calls = 900
			start := env.clock.Now()
			var wg sync.WaitGroup
			work := make(chan int)
			for range conc {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range work {
						if _, err := c.GetOrganizationMe(ctx); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			for i := range calls {
				work <- i
			}
			close(work)
			wg.Wait()

			s := c.Stats()
			ratio := float64(s.RateLimited) / float64(s.Requests)
			if s.RateLimited == 0 || ratio > 0.05 {
				t.Errorf("429s = %d of %d requests (%.1f %%), want some but at most 5 %%", s.RateLimited, s.Requests, 100*ratio)
			}
			if got := env.srv.Stats().ByStatus["429"]; got != s.RateLimited {
				t.Errorf("sandbox counted %d 429s, client %d", got, s.RateLimited)
			}
			// Concurrent sleepers each advance the simulated clock by their
			// whole wait, so it runs fast with more than one worker: the
			// lower bound of the throughput holds for one worker only.
			elapsed := env.clock.Now().Sub(start)
			perMinute := float64(calls) / elapsed.Minutes()
			if perMinute > 300*1.02 || conc == 1 && perMinute < 300*0.85 {
				t.Errorf("throughput %.0f requests/minute over %v, want close to the 300 limit", perMinute, elapsed)
			}
		})
	}
}

func TestRateLimitCeiling(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, func(cfg *Config) { cfg.RateLimit = 120 })
	ctx := ctxT(t)
	start := env.clock.Now()
	for range 11 {
		if _, err := c.GetOrganizationMe(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if el := env.clock.Now().Sub(start); el < 5*time.Second {
		t.Errorf("11 requests at 120/minute took %v, want at least 5s", el)
	}
}

func TestPacerEstimates(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newPacer(time.Minute)
	if d, _ := p.reserve(t0); d != 0 || p.limit() != 0 {
		t.Fatalf("pacing before any 429: delay %v, limit %v", d, p.limit())
	}
	// A per-minute window: 300 through in 2 s, then wait 58 s.
	for i := range 300 {
		p.observe(t0.Add(time.Duration(i)*2*time.Second/300), false, 0)
	}
	now := t0.Add(2 * time.Second)
	p.observe(now, true, 58*time.Second)
	if got, want := p.limit(), rate.Limit(300.0/60*paceSafety); !near(got, want) {
		t.Errorf("estimate = %v/s, want %v/s", got, want)
	}
	// A second 429 in the same burst changes nothing.
	p.observe(now.Add(100*time.Millisecond), true, 58*time.Second)
	if got, want := p.limit(), rate.Limit(300.0/60*paceSafety); !near(got, want) {
		t.Errorf("estimate after a second 429 of the burst = %v/s, want %v/s", got, want)
	}
	// Paced requests are spread out.
	now = now.Add(58 * time.Second)
	d1, _ := p.reserve(now)
	d2, cancel := p.reserve(now)
	if d1 != 0 || d2 <= 0 {
		t.Errorf("delays = %v, %v; want 0 then one interval", d1, d2)
	}
	cancel(now)
	// A quiet window raises the rate.
	before := p.limit()
	p.observe(now.Add(2*time.Minute), false, 0)
	if got := p.limit(); !near(got, before*paceRaise) {
		t.Errorf("after a quiet window = %v, want %v", got, before*paceRaise)
	}
	// A later 429 never raises the rate.
	p.observe(now.Add(3*time.Minute), true, time.Second)
	if got := p.limit(); got > before*paceRaise*paceSafety+1e-9 {
		t.Errorf("after another 429 = %v, want at most %v", got, before*paceRaise*paceSafety)
	}

	// A 429 on the very first request: one request per Retry-After.
	q := newPacer(time.Minute)
	q.observe(t0, true, 10*time.Second)
	if got, want := q.limit(), rate.Limit(0.1*paceSafety); !near(got, want) {
		t.Errorf("estimate with nothing through = %v, want %v", got, want)
	}
	// Never slower than the floor.
	r := newPacer(time.Minute)
	r.observe(t0, true, time.Hour)
	if got := r.limit(); got != paceMinRate {
		t.Errorf("estimate with a 1h Retry-After = %v, want the floor %v", got, paceMinRate)
	}
}

func TestRingKeepsRecent(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var r ring
	for i := range ringSize + 10 {
		r.add(t0.Add(time.Duration(i) * time.Millisecond))
	}
	n, oldest := r.since(t0.Add(-time.Hour))
	if n != ringSize || !oldest.Equal(t0.Add(10*time.Millisecond)) {
		t.Errorf("since = %d, %v", n, oldest)
	}
	n, _ = r.since(t0.Add(time.Duration(ringSize) * time.Millisecond))
	if n != 9 {
		t.Errorf("since near the end = %d, want 9", n)
	}
}

func near(a, b rate.Limit) bool {
	d := float64(a - b)
	return d < 1e-6 && d > -1e-6
}
