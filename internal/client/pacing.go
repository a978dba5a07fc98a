package client

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer spreads requests out after the service has answered 429, so that
// under a steady limit the client settles just below the allowed rate
// instead of waiting out Retry-After and bursting into the limit again.
//
// At a 429 it estimates the allowed rate as the answers that got through
// in the recent window divided by that window's span plus the Retry-After:
// a limiter that let n requests through and now wants a pause of r allows
// about n per (span + r), whether it is a per-minute window (n near the
// limit, r the rest of the minute) or a small token bucket (n the bucket,
// r the refill of one token). Answers of the same burst read just after
// the 429 (requests in flight answer in any order) still count: they raise
// the estimate while it settles. The client then paces at 95 % of the
// estimate with an x/time/rate limiter, lowers the rate again on a further
// 429 and probes upwards by 10 % after each full window without one, so a
// limit that grows is found again.
//
// The estimate errs low on its own: Retry-After comes in whole seconds, so
// a service that rounds up asks for more than its limiter needs, and the
// span includes the time the client took to send the burst, which is not
// the limiter's (a token with a share of two requests in flight sends a
// bucket of five over three round trips, and so learns about 95 % of a
// 5/s limit from a 1 s pause). The 5 % margin on top keeps a pool of 4 at
// 300 a minute within 1.15 × its bound; 10 % (as first chosen) left it at
// 1.19 × (docs/performance.md, target b).
//
// How the rate recovers once pacing has started: pacing never switches off
// for the client's life. Each answer that got through checks whether a full
// window (a minute) has passed since the rate was last lowered or raised
// without a 429; if so the rate rises by paceRaise (10 %). Under a steady
// limit the pace thus climbs back to the limit and past it (one raise from
// an exact estimate); the next 429 (met only by the requests in flight
// then) lowers it to the new estimate, at most paceSafety times the rate
// that met the limit. The pace follows a sawtooth just below the limit,
// costing one short burst of 429s every two or three windows. A limit
// that grows (a quieter org, another token) is found again at 10 % a
// window: twice the rate takes about eight minutes.
type pacer struct {
	window time.Duration

	mu        sync.Mutex
	lim       *rate.Limiter // nil: not pacing (no 429 seen yet)
	ok        ring          // times of answers that were not 429
	lastRaise time.Time     // last time the rate was raised

	// The last 429 that lowered the rate, for estimate.
	lastLimited    time.Time
	lastRetryAfter time.Duration
	lastCeiling    rate.Limit // the estimate's ceiling; 0: none (the first 429)
}

const (
	paceSafety   = 0.95             // fraction of the estimated limit to use
	paceRaise    = 1.1              // step up after a quiet window
	paceMinRate  = rate.Limit(0.05) // never slower than one request in 20 s
	paceSettling = time.Second      // 429s this close together count as one (not above the 1s minimum pause)
)

func newPacer(window time.Duration) *pacer { return &pacer{window: window} }

// reserve books a slot at now and returns how long to wait for it and a
// cancel func to give the slot back if the caller gives up.
func (p *pacer) reserve(now time.Time) (time.Duration, func(time.Time)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lim == nil {
		return 0, func(time.Time) {}
	}
	r := p.lim.ReserveN(now, 1)
	return r.DelayFrom(now), r.CancelAt
}

// delay is how long a request booked at now would wait for the pace.
func (p *pacer) delay(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return limiterDelay(p.lim, now)
}

// observe records an answer at now; limited is true for a 429, whose
// Retry-After is retryAfter.
func (p *pacer) observe(now time.Time, limited bool, retryAfter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !limited {
		p.ok.add(now)
		if p.lim == nil {
			return
		}
		if now.Sub(p.lastLimited) < paceSettling {
			// The answer of a request that was in flight when the 429
			// came (the client's pause keeps new ones back longer than
			// this): it got through in the same burst, so count it. The
			// 429 may well have been read before the burst's other
			// answers.
			if est := p.estimate(); est > p.lim.Limit() {
				p.lim.SetLimitAt(now, est)
			}
			return
		}
		// Recovery: a full window without a 429 since the last change
		// raises the rate by paceRaise.
		since := p.lastLimited
		if p.lastRaise.After(since) {
			since = p.lastRaise
		}
		if now.Sub(since) >= p.window {
			p.lim.SetLimitAt(now, p.lim.Limit()*paceRaise)
			p.lastRaise = now
		}
		return
	}
	if p.lim != nil && now.Sub(p.lastLimited) < paceSettling {
		return // the same burst of 429s
	}
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	p.lastLimited, p.lastRetryAfter = now, retryAfter
	p.lastCeiling = 0
	if p.lim != nil {
		p.lastCeiling = p.lim.Limit() * paceSafety
	}
	est := p.estimate()
	// Burst 1: after the Retry-After pause one request goes at once and
	// the others follow one interval apart.
	if p.lim == nil {
		p.lim = rate.NewLimiter(est, 1)
	} else {
		p.lim.SetLimitAt(now, est)
	}
}

// estimate is the pace for the last 429: the answers that got through in
// the window before it (and, while settling, those of the same burst read
// after it) over their span plus the Retry-After, times paceSafety, at most
// lastCeiling and at least paceMinRate.
func (p *pacer) estimate() rate.Limit {
	n, oldest := p.ok.since(p.lastLimited.Add(-p.window))
	span := p.lastRetryAfter
	if n > 0 && oldest.Before(p.lastLimited) {
		span += p.lastLimited.Sub(oldest)
	}
	est := rate.Limit(float64(max(n, 1)) / span.Seconds() * paceSafety)
	if p.lastCeiling > 0 {
		est = min(est, p.lastCeiling)
	}
	return max(est, paceMinRate)
}

// limit returns the current paced rate, or 0 when not pacing.
func (p *pacer) limit() rate.Limit {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lim == nil {
		return 0
	}
	return p.lim.Limit()
}

// ringSize bounds the answers remembered; at high rates the estimate uses
// the last ringSize answers instead of a whole window.
const ringSize = 2048

// ring holds the most recent answer times in constant memory.
type ring struct {
	times [ringSize]time.Time
	next  int // index of the next write
	n     int // entries in use
}

func (r *ring) add(t time.Time) {
	r.times[r.next] = t
	r.next = (r.next + 1) % ringSize
	if r.n < ringSize {
		r.n++
	}
}

// since counts the entries after cut and returns the oldest of them.
func (r *ring) since(cut time.Time) (int, time.Time) {
	count := 0
	var oldest time.Time
	for i := 1; i <= r.n; i++ {
		t := r.times[(r.next-i+ringSize)%ringSize]
		if !t.After(cut) {
			break
		}
		count++
		oldest = t
	}
	return count, oldest
}
