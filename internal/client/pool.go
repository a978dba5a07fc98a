package client

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// tokenSpacing is the span over which the tokens of a pool open: token i
// of n is first used (and so requested) no earlier than i*tokenSpacing/n
// after the client's first request, so token requests never come in a
// burst and all are made within the first second.
const tokenSpacing = time.Second

// lane is one token of the pool: its access token, its pacing learnt from
// 429s, its Retry-After pause and its RateLimit ceiling. Requests are
// spread over the open lanes that are not paused, the least busy first.
type lane struct {
	index     int
	opensAt   time.Duration // after the pool's first request
	tokens    tokenSource
	pacer     *pacer
	userLimit *rate.Limiter // nil: no RateLimit

	// pauseMu guards the pause and orders 429s against the admission of
	// requests on this lane (see admit).
	pauseMu    sync.Mutex
	pauseUntil time.Time // no request starts on the lane before this (Retry-After)
	pauseCause *APIError // the 429 that set pauseUntil
	pauseGen   uint64    // bumped by every 429

	inFlight atomic.Int64
	stats    struct {
		requests, rateLimited, tokenRequests atomic.Int64
	}
}

// poolClock remembers when the pool's first request came, from which the
// lanes open.
type poolClock struct {
	mu    sync.Mutex
	start time.Time
	rr    atomic.Uint64 // rotates the first lane looked at, for ties
}

func (p *poolClock) since(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.start.IsZero() {
		p.start = now
	}
	return now.Sub(p.start)
}

// pauseState returns the count of 429s so far and whether a pause is on.
func (l *lane) pauseState(now time.Time) (gen uint64, paused bool) {
	l.pauseMu.Lock()
	defer l.pauseMu.Unlock()
	return l.pauseGen, now.Before(l.pauseUntil)
}

// admitIfNo429Since reports whether no 429 arrived on the lane since
// pauseState returned gen, and if so counts the request in flight. Taken
// under pauseMu, the answer orders the request against onRateLimited:
// admitted now, it counts as in flight for any later 429.
func (l *lane) admitIfNo429Since(gen uint64, now time.Time) bool {
	l.pauseMu.Lock()
	defer l.pauseMu.Unlock()
	if l.pauseGen != gen || now.Before(l.pauseUntil) {
		return false
	}
	l.inFlight.Add(1)
	return true
}

// onRateLimited records a 429 on lane l: it pauses every request of that
// token for Retry-After (at most maxRetryAfter, 1s when absent) and lowers
// its pace. Requests admitted before it (in flight) may still meet the
// limit; every later one on the lane waits out the pause and takes a token
// at the new pace, or goes to another token of the pool.
func (c *Client) onRateLimited(l *lane, e *APIError) {
	c.stats.rateLimited.Add(1)
	l.stats.rateLimited.Add(1)
	wait := min(e.RetryAfter, maxRetryAfter)
	if wait <= 0 {
		wait = time.Second
	}
	l.pauseMu.Lock()
	defer l.pauseMu.Unlock()
	now := c.now()
	l.pacer.observe(now, true, wait)
	if until := now.Add(wait); until.After(l.pauseUntil) {
		l.pauseUntil = until
		l.pauseCause = e
	}
	l.pauseGen++
}

// delay is how long a request that chose l at now would wait for its pace
// and its RateLimit, the requests already booked on l counted (their
// reservations have taken the limiters' tokens).
func (l *lane) delay(now time.Time) time.Duration {
	return max(l.pacer.delay(now), limiterDelay(l.userLimit, now))
}

// limiterDelay is how long until lim holds one token at now (0 for nil).
func limiterDelay(lim *rate.Limiter, now time.Time) time.Duration {
	if lim == nil {
		return 0
	}
	tokens := lim.TokensAt(now)
	if tokens >= 1 || lim.Limit() <= 0 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(lim.Limit()) * float64(time.Second))
}

// pick returns the open, unpaused lane that can send soonest within its
// pace and RateLimit (counting the requests already booked on it, so that
// requests waiting for one paced token do not pile onto it while another
// token is free), and of those the one with the fewest requests in
// flight; or nil with how long until one may be: the end of the shortest
// pause (and the 429 behind it) or the opening of the next lane.
func (c *Client) pick() (best *lane, wait time.Duration, cause *APIError) {
	now := c.now()
	elapsed := c.pool.since(now)
	n := len(c.lanes)
	off := int(c.pool.rr.Add(1) % uint64(n))
	wait = -1
	var bestDelay time.Duration
	consider := func(d time.Duration, e *APIError) {
		if wait < 0 || d < wait {
			wait, cause = d, e
		}
	}
	for k := range n {
		l := c.lanes[(off+k)%n]
		if elapsed < l.opensAt {
			consider(l.opensAt-elapsed, nil)
			continue
		}
		l.pauseMu.Lock()
		until, why := l.pauseUntil, l.pauseCause
		l.pauseMu.Unlock()
		if now.Before(until) {
			consider(until.Sub(now), why)
			continue
		}
		d := l.delay(now)
		switch {
		case best == nil, d < bestDelay,
			d == bestDelay && l.inFlight.Load() < best.inFlight.Load():
			best, bestDelay = l, d
		}
	}
	return best, wait, cause
}

// waitLane waits until some lane may take a request. A pause that ends
// after ctx's deadline (every open lane paused that long) fails at once
// with a *pauseTooLongError that wraps the 429, instead of waiting for the
// deadline to fail bare.
func (c *Client) waitLane(ctx context.Context) error {
	for {
		l, wait, cause := c.pick()
		if l != nil {
			return ctx.Err()
		}
		if dl, ok := ctx.Deadline(); ok && cause != nil && time.Until(dl) < wait {
			return &pauseTooLongError{left: wait, last: cause}
		}
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// admit blocks until a request may be sent, and returns the lane (token)
// to send it with, holding one of the Concurrency slots; release gives the
// slot back. The order matters for a steady limit: the request first takes
// its slot, picks the least busy lane, then waits within the lane's
// RateLimit ceiling and for a token of the pace learnt from its 429s, and
// is admitted only if no 429 arrived on the lane meanwhile. A 429 that
// arrived sends it back to pick again (without its slot, so that queued
// calls can see a pause that outlasts their deadline and fail at once),
// another lane or the same one after the pause, at the new pace. So only
// requests already in flight on a lane when a 429 arrives can meet the
// same limit; none that queued behind them fire into it when the pause
// ends.
func (c *Client) admit(ctx context.Context) (*lane, func(), error) {
	var limited *lane // the lane whose RateLimit token was taken
	for {
		if err := c.waitLane(ctx); err != nil {
			return nil, nil, err
		}
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		l, _, _ := c.pick()
		if l == nil {
			<-c.sem
			continue
		}
		if l.userLimit != nil && limited != l {
			now := c.now()
			r := l.userLimit.ReserveN(now, 1)
			if err := c.sleep(ctx, r.DelayFrom(now)); err != nil {
				r.CancelAt(c.now())
				<-c.sem
				return nil, nil, err
			}
			limited = l
		}
		gen, paused := l.pauseState(c.now())
		if !paused {
			d, cancel := l.pacer.reserve(c.now())
			if err := c.sleep(ctx, d); err != nil {
				cancel(c.now())
				<-c.sem
				return nil, nil, err
			}
			if l.admitIfNo429Since(gen, c.now()) {
				return l, func() { l.inFlight.Add(-1); <-c.sem }, nil
			}
			// The token was taken at the pace before the 429.
			cancel(c.now())
		}
		<-c.sem
	}
}
