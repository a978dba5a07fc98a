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
//
// Until a lane has met its limit (no pace learnt yet) it holds at most
// its share of the client's concurrency in flight (see Client.share): a
// lane that meets an unknown limit with k requests in flight gets about k
// 429s, and without the share the requests of a paused (or not yet open)
// lane would all pile onto the lanes whose limits are still unknown.
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
// pauseState returned gen and the lane has room (see full), and if so
// counts the request in flight. Taken under pauseMu, the answer orders the
// request against onRateLimited: admitted now, it counts as in flight for
// any later 429. In-flight counts rise only here, under pauseMu, so the
// share holds against concurrent admissions.
func (l *lane) admitIfNo429Since(gen uint64, now time.Time, share int64) bool {
	l.pauseMu.Lock()
	defer l.pauseMu.Unlock()
	if l.pauseGen != gen || now.Before(l.pauseUntil) || l.full(share) {
		return false
	}
	l.inFlight.Add(1)
	return true
}

// full reports whether the lane, having learnt no pace yet, already has
// share requests in flight. A lane with a pace is held back by it instead.
func (l *lane) full(share int64) bool {
	return l.inFlight.Load() >= share && l.pacer.limit() == 0
}

// share is the most requests a lane that has not yet met its limit holds
// in flight, elapsed after the pool's first request: an even share of
// Concurrency, rounded up, over the lanes open by then or, once any token
// of the pool has met a limit, over all the lanes of the pool. So until a
// 429 shows that the tokens have limits, the lanes open so far may use
// every slot (a pool without limits runs as fast as one token); from then
// on the share of a lane that is paused or not yet open waits for it
// rather than meeting another lane's unknown limit.
func (c *Client) share(elapsed time.Duration) int64 {
	n := len(c.lanes)
	if !c.limitSeen.Load() {
		n = 0
		for _, l := range c.lanes {
			if elapsed >= l.opensAt {
				n++
			}
		}
		n = max(n, 1)
	}
	return int64((cap(c.sem) + n - 1) / n)
}

// roomSignal wakes the requests waiting for a lane with room (see
// lane.full) when a request ends.
type roomSignal struct {
	mu sync.Mutex
	ch chan struct{} // closed at the next release; nil: nobody waits
}

// wait returns a channel closed at the next release. Take it before
// looking at the lanes, so that a release in between is not missed.
func (r *roomSignal) wait() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ch == nil {
		r.ch = make(chan struct{})
	}
	return r.ch
}

// release wakes every request waiting for room.
func (r *roomSignal) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ch != nil {
		close(r.ch)
		r.ch = nil
	}
}

// onRateLimited records a 429 on lane l: it pauses every request of that
// token for Retry-After (at most maxRetryAfter, 1s when absent) and lowers
// its pace. Requests admitted before it (in flight) may still meet the
// limit; every later one on the lane waits out the pause and takes a token
// at the new pace, or goes to another token of the pool.
func (c *Client) onRateLimited(l *lane, e *APIError) {
	c.stats.rateLimited.Add(1)
	l.stats.rateLimited.Add(1)
	c.limitSeen.Store(true)
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

// pick returns the open, unpaused lane with room (see lane.full) that can
// send soonest within its pace and RateLimit (counting the requests
// already booked on it, so that requests waiting for one paced token do
// not pile onto it while another token is free), and of those the one
// with the fewest requests in flight; or nil with how long until one may
// be: the end of the shortest pause (and the 429 behind it) or the opening
// of the next lane (-1: none), and whether a lane is only full, so that
// the end of a request may make room sooner.
func (c *Client) pick() (best *lane, wait time.Duration, cause *APIError, full bool) {
	now := c.now()
	elapsed := c.pool.since(now)
	share := c.share(elapsed)
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
		if l.full(share) {
			full = true
			continue
		}
		d := l.delay(now)
		switch {
		case best == nil, d < bestDelay,
			d == bestDelay && l.inFlight.Load() < best.inFlight.Load():
			best, bestDelay = l, d
		}
	}
	return best, wait, cause, full
}

// waitLane waits until some lane may take a request: until a pause ends,
// a lane opens or, when a lane is only full, a request ends. A pause that
// ends after ctx's deadline (every open lane paused that long, none full)
// fails at once with a *pauseTooLongError that wraps the 429, instead of
// waiting for the deadline to fail bare.
func (c *Client) waitLane(ctx context.Context) error {
	for {
		room := c.room.wait()
		l, wait, cause, full := c.pick()
		switch {
		case l != nil:
			return ctx.Err()
		case full:
			if err := c.sleepOrRoom(ctx, wait, room); err != nil {
				return err
			}
			continue
		}
		if dl, ok := ctx.Deadline(); ok && cause != nil && time.Until(dl) < wait {
			return &pauseTooLongError{left: wait, last: cause}
		}
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// sleepOrRoom waits until room closes or, for wait >= 0, wait has passed.
func (c *Client) sleepOrRoom(ctx context.Context, wait time.Duration, room <-chan struct{}) error {
	if wait < 0 {
		select {
		case <-room:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-room:
			cancel()
		case <-wctx.Done():
		}
	}()
	if err := c.sleep(wctx, wait); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
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
		l, _, _, _ := c.pick()
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
			if l.admitIfNo429Since(gen, c.now(), c.share(c.pool.since(c.now()))) {
				return l, func() { l.inFlight.Add(-1); <-c.sem; c.room.release() }, nil
			}
			// The token was taken at the pace before the 429, or another
			// request took the lane's last room.
			cancel(c.now())
		}
		<-c.sem
	}
}
