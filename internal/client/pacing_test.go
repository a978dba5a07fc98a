package client

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/trustsync/trustsync/internal/sandbox"
)

// TestPacingUnderSteadyLimit runs many calls against the sandbox's
// 300-a-minute token bucket (which holds one second's worth) in a synctest
// bubble, so that every wait takes virtual time only: after the first 429
// the client paces itself, so 429s stay at most 5 % of the calls while the
// throughput stays close to the limit, also with more callers than
// requests in flight (whose queued requests must not fire into the limit
// when a pause ends). The long runs go through several windows, so the
// pace rises past the limit and is lowered again.
func TestPacingUnderSteadyLimit(t *testing.T) {
	tests := []struct {
		conc, callers, calls int
		latency              time.Duration
	}{
		{conc: 1, callers: 1, calls: 900, latency: 40 * time.Millisecond},
		{conc: 4, callers: 4, calls: 900, latency: 40 * time.Millisecond},
		{conc: DefaultConcurrency, callers: 16, calls: 200},
		{conc: DefaultConcurrency, callers: 16, calls: 200, latency: 150 * time.Millisecond},
		{conc: DefaultConcurrency, callers: 16, calls: 900, latency: 40 * time.Millisecond},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("concurrency %d, %d callers, %d calls, latency %v", tc.conc, tc.callers, tc.calls, tc.latency)
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				env := newBubbleEnv(t, sandbox.Options{RateLimit: 300, Latency: tc.latency}, nil)
				c := env.client(t, func(cfg *Config) { cfg.Concurrency = tc.conc; cfg.MaxAttempts = 10 })
				ctx := context.Background()
				start := time.Now()
				var wg sync.WaitGroup
				work := make(chan int)
				for range tc.callers {
					wg.Go(func() {
						for range work {
							if _, err := c.GetOrganizationMe(ctx); err != nil {
								t.Error(err)
							}
						}
					})
				}
				for i := range tc.calls {
					work <- i
				}
				close(work)
				wg.Wait()
				elapsed := time.Since(start)

				s := c.Stats()
				share := float64(s.RateLimited) / float64(tc.calls)
				t.Logf("%d requests, %d 429s (%.1f %% of the calls) in %v", s.Requests, s.RateLimited, 100*share, elapsed)
				if s.RateLimited == 0 || share > 0.05 {
					t.Errorf("429s = %d for %d calls (%.1f %%), want some but at most 5 %%", s.RateLimited, tc.calls, 100*share)
				}
				if got := env.srv.Stats().ByStatus["429"]; got != s.RateLimited {
					t.Errorf("sandbox counted %d 429s, client %d", got, s.RateLimited)
				}
				perMinute := float64(tc.calls) / elapsed.Minutes()
				if perMinute > 300*1.02 || perMinute < 300*0.85 {
					t.Errorf("throughput %.0f calls/minute over %v, want close to the 300 limit", perMinute, elapsed)
				}
			})
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

// TestPacerCountsTheWholeBurst: answers of the burst a 429 ended that are
// read after the 429 (requests in flight answer in any order) still count
// towards the estimate, so the pace does not depend on that order.
func TestPacerCountsTheWholeBurst(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newPacer(time.Minute)
	p.observe(t0, false, 0)
	p.observe(t0.Add(time.Millisecond), true, time.Second)
	if got, want := p.limit(), rate.Limit(1/1.001*paceSafety); !near(got, want) {
		t.Fatalf("estimate from one answer = %v/s, want %v/s", got, want)
	}
	for range 4 {
		p.observe(t0.Add(2*time.Millisecond), false, 0)
	}
	if got, want := p.limit(), rate.Limit(5/1.001*paceSafety); !near(got, want) {
		t.Errorf("estimate with the burst's later answers = %v/s, want %v/s", got, want)
	}
	// After the pause, answers are of paced requests: they do not count.
	p.observe(t0.Add(1100*time.Millisecond), false, 0)
	if got, want := p.limit(), rate.Limit(5/1.001*paceSafety); !near(got, want) {
		t.Errorf("estimate after the pause = %v/s, want still %v/s", got, want)
	}

	// A later 429 re-estimates within its ceiling: late answers never
	// raise the pace beyond paceSafety times the rate that met the limit.
	before := p.limit()
	t1 := t0.Add(10 * time.Second)
	p.observe(t1, true, time.Second)
	for range 50 {
		p.observe(t1.Add(time.Millisecond), false, 0)
	}
	if got, ceiling := p.limit(), before*paceSafety; got > ceiling+1e-9 {
		t.Errorf("estimate after a second 429 = %v/s, want at most %v/s", got, ceiling)
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

// TestPoolPacingUnderSteadyLimit: a pool of 4 tokens against the sandbox's
// 300-a-minute limit per token, in a synctest bubble. Each token learns its
// pace from its own 429s, and requests go to the token that can send
// soonest within its pace, so none waits for a busy token while another
// is free: 429s stay at most 5 % of the calls and the throughput close to
// 4 × 300 a minute. The 429s are each token's first burst, one per
// request it had in flight when it met the limit: the first token, alone
// while the others open, up to all 8; each later one, opened after that
// 429 showed the tokens have limits, at most its share 8 ÷ 4 (while the
// first is paused, its share waits rather than meeting their limits).
func TestPoolPacingUnderSteadyLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const calls, size = 600, 4
		env := newBubbleEnv(t, sandbox.Options{RateLimit: 300, Latency: 25 * time.Millisecond}, nil)
		c := env.client(t, func(cfg *Config) { cfg.Concurrency = 8; cfg.TokenPoolSize = size; cfg.MaxAttempts = 10 })
		ctx := context.Background()
		start := time.Now()
		var wg sync.WaitGroup
		work := make(chan int)
		for range 16 {
			wg.Go(func() {
				for range work {
					if _, err := c.GetOrganizationMe(ctx); err != nil {
						t.Error(err)
					}
				}
			})
		}
		for i := range calls {
			work <- i
		}
		close(work)
		wg.Wait()
		elapsed := time.Since(start)
		s := c.Stats()
		share := float64(s.RateLimited) / calls
		t.Logf("%d requests, %d 429s (%.1f %%) in %v; tokens %+v", s.Requests, s.RateLimited, 100*share, elapsed, s.Tokens)
		if share > 0.05 {
			t.Errorf("429s = %d for %d calls (%.1f %%), want at most 5 %%", s.RateLimited, calls, 100*share)
		}
		for i, ts := range s.Tokens {
			most := int64(8 / size)
			if i == 0 {
				most = 8
			}
			if ts.RateLimited > most {
				t.Errorf("token %d met the limit %d times, want at most %d", i+1, ts.RateLimited, most)
			}
		}
		perMinute := calls / elapsed.Minutes()
		if perMinute > size*300*1.02 || perMinute < size*300*0.87 {
			t.Errorf("throughput %.0f calls/minute over %v, want close to the %d limit", perMinute, elapsed, size*300)
		}
	})
}
