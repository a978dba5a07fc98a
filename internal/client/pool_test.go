package client

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trustsync/trustsync/internal/sandbox"
)

// poolWire records, in a synctest bubble, when each token request came,
// how many API requests each bearer token carried and the most it had in
// flight at once; limitFirst, when set, answers the first API request of
// the first token with a 429 asking for a 30-second pause.
type poolWire struct {
	mu         sync.Mutex
	tokenTimes []time.Time
	byToken    map[string]int
	inFlight   map[string]int
	peak       map[string]int
	firstToken string
	limitFirst bool
	limited    bool
}

// answered ends tok's request in flight: called when its answer starts,
// before the client can have read it and sent the next request.
func (p *poolWire) answered(tok string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight[tok]--
}

// answerWriter calls done once, when the answer's status or body is first
// written.
type answerWriter struct {
	http.ResponseWriter
	once sync.Once
	done func()
}

func (a *answerWriter) WriteHeader(code int) {
	a.once.Do(a.done)
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerWriter) Write(b []byte) (int, error) {
	a.once.Do(a.done)
	return a.ResponseWriter.Write(b)
}

func (p *poolWire) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		if r.URL.Path == "/oauth/token" {
			p.tokenTimes = append(p.tokenTimes, time.Now())
			p.mu.Unlock()
			next.ServeHTTP(w, r)
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if p.byToken == nil {
			p.byToken, p.inFlight, p.peak = map[string]int{}, map[string]int{}, map[string]int{}
			p.firstToken = tok
		}
		p.byToken[tok]++
		p.inFlight[tok]++
		p.peak[tok] = max(p.peak[tok], p.inFlight[tok])
		limit := p.limitFirst && !p.limited && tok == p.firstToken
		if limit {
			p.limited = true
		}
		p.mu.Unlock()
		aw := &answerWriter{ResponseWriter: w, done: func() { p.answered(tok) }}
		defer aw.once.Do(aw.done)
		w = aw
		if limit {
			w.Header().Set("Retry-After", "30")
			writeJSON(w, http.StatusTooManyRequests, `{"message":"Rate limit exceeded","code":"too.many.requests.retry.after","status":429}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// runPool makes calls concurrent reads through a pool of size tokens at 16
// requests in flight against a sandbox with 100 ms latency, in a bubble,
// and returns the client and how long the calls took in bubble time.
func runPool(t *testing.T, wire *poolWire, size, calls int) (*Client, time.Duration) {
	env := newBubbleEnv(t, sandbox.Options{Latency: 100 * time.Millisecond}, wire.wrap)
	c := env.client(t, func(cfg *Config) {
		cfg.TokenPoolSize = size
		cfg.Concurrency = 16
		// After a 429 that ends a burst, a token's pace starts low (see
		// pacer): leave room for it.
		cfg.Deadline = 10 * time.Minute
	})
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range calls {
		wg.Go(func() {
			if _, err := c.GetOrganizationMe(context.Background()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return c, time.Since(start)
}

// TestTokenPool: a pool of 4 takes 4 tokens, spread over the first second,
// and spreads the requests across them.
func TestTokenPool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wire := &poolWire{}
		c, _ := runPool(t, wire, 4, 400)
		if len(wire.tokenTimes) != 4 {
			t.Fatalf("%d token requests, want 4", len(wire.tokenTimes))
		}
		// Token i is requested no earlier than i quarters of a second
		// after the first: never a burst.
		for i := 1; i < 4; i++ {
			if at := wire.tokenTimes[i].Sub(wire.tokenTimes[0]); at < time.Duration(i)*250*time.Millisecond {
				t.Errorf("token request %d came %v after the first, want at least %v", i+1, at, time.Duration(i)*250*time.Millisecond)
			}
		}
		if span := wire.tokenTimes[3].Sub(wire.tokenTimes[0]); span >= time.Second {
			t.Errorf("token requests span %v, want all within the first second", span)
		}
		st := c.Stats()
		if len(st.Tokens) != 4 || len(wire.byToken) != 4 {
			t.Fatalf("Stats.Tokens = %+v, tokens on the wire %d; want 4", st.Tokens, len(wire.byToken))
		}
		var sum int64
		for i, ts := range st.Tokens {
			sum += ts.Requests
			if ts.TokenRequests != 1 || ts.Requests < 400/4/2 {
				t.Errorf("token %d: %+v, want 1 token request and at least half an even share of the requests", i+1, ts)
			}
		}
		if sum != st.Requests || st.Requests != 400 {
			t.Errorf("requests per token sum to %d of %d, want 400", sum, st.Requests)
		}
	})
}

// TestTokenPoolPausesOneToken: a 429 pauses its own token only; the others
// carry on, so the run does not wait out the 30-second Retry-After.
func TestTokenPoolPausesOneToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wire := &poolWire{limitFirst: true}
		c, took := runPool(t, wire, 4, 400)
		if !wire.limited {
			t.Fatal("no 429 was sent: the test proves nothing")
		}
		if took >= 30*time.Second {
			t.Errorf("the run took %v: one token's pause stalled the others", took)
		}
		st := c.Stats()
		if st.Tokens[0].RateLimited != 1 || st.RateLimited != 1 {
			t.Errorf("Stats = %+v, want the one 429 on the first token", st)
		}
		// The paused token's share of the 16 requests in flight is not
		// piled onto the others, whose limits are still unknown: each
		// has at most (and, with 400 calls, reaches) 16 ÷ 4 in flight.
		for tok, peak := range wire.peak {
			if tok != wire.firstToken && peak != 4 {
				t.Errorf("a token that met no limit had up to %d requests in flight, want its share 4", peak)
			}
		}
	})
	// The same with one token waits the pause out.
	synctest.Test(t, func(t *testing.T) {
		_, took := runPool(t, &poolWire{limitFirst: true}, 1, 3)
		if took < 30*time.Second {
			t.Errorf("a pool of one took %v, want the 30-second pause waited out", took)
		}
	})
}

// TestTokenPoolWithoutLimits: until a token meets a limit, the tokens
// open so far may fill every slot, so a pool is as fast as one token
// while its later tokens are still opening: 400 calls at 16 in flight and
// 100 ms take 2.5 s (holding each token to a quarter of the slots from
// the start would take 2.875 s, the first 750 ms at a quarter, half and
// three quarters of the slots).
func TestTokenPoolWithoutLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wire := &poolWire{}
		c, took := runPool(t, wire, 4, 400)
		if bound := 400 * 100 * time.Millisecond / 16; took > bound+bound/20 {
			t.Errorf("400 calls took %v, want about %v (16 in flight from the start)", took, bound)
		}
		if st := c.Stats(); st.RateLimited != 0 || wire.peak[wire.firstToken] != 16 {
			t.Errorf("429s %d, first token's peak in flight %d; want 0 and all 16 slots", st.RateLimited, wire.peak[wire.firstToken])
		}
	})
}

func TestTokenPoolSize(t *testing.T) {
	for _, n := range []int{-1, 21} {
		if _, err := New(Config{APIURL: "https://api.example", ClientID: "a", ClientSecret: "b", TokenPoolSize: n}); err == nil || !strings.Contains(err.Error(), "from 1 to 20") {
			t.Errorf("TokenPoolSize %d: err = %v", n, err)
		}
	}
	c, err := New(Config{APIURL: "https://api.example", AccessToken: "t", TokenPoolSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.lanes) != 1 {
		t.Errorf("a ready token made a pool of %d, want 1", len(c.lanes))
	}
}
