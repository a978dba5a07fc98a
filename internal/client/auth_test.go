package client

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/sandbox"
)

func TestTokenReused(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetOrganizationMe(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := env.srv.Stats().TokenRequests; n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
	if s := c.Stats(); s.TokenRequests != 1 || s.Requests != 8 {
		t.Errorf("Stats = %+v", s)
	}
}

// TestExpiredTokenRefreshedAhead: the client fetches a new token before
// the old one expires (by its own clock).
func TestExpiredTokenRefreshedAhead(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	ctx := ctxT(t)
	if _, err := c.GetOrganizationMe(ctx); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(23*time.Hour + 59*time.Minute + 30*time.Second) // within a minute of the 24h expiry
	if _, err := c.GetOrganizationMe(ctx); err != nil {
		t.Fatal(err)
	}
	if n := env.srv.Stats().TokenRequests; n != 2 {
		t.Errorf("token requests = %d, want 2", n)
	}
	if n := env.srv.Stats().ByStatus["401"]; n != 0 {
		t.Errorf("%d requests were refused with 401", n)
	}
}

// TestRejectedTokenRefreshed: when the service rejects a token the client
// still believes valid (its clock and the service's disagree, or the token
// was revoked), the client fetches a new one and repeats the request.
func TestRejectedTokenRefreshed(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	c.now = time.Now // the client's clock no longer follows the sandbox's
	ctx := ctxT(t)
	if _, err := c.GetOrganizationMe(ctx); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(25 * time.Hour) // the sandbox expires the token
	if _, err := c.ListTrustees(ctx); err != nil {
		t.Fatalf("ListTrustees after the token expired: %v", err)
	}
	st := env.srv.Stats()
	if st.TokenRequests != 2 || st.ByStatus["401"] != 1 {
		t.Errorf("token requests = %d, 401s = %d; want 2 and 1", st.TokenRequests, st.ByStatus["401"])
	}
}

func TestAccessToken(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	cc := env.client(t, nil)
	tok, err := cc.lanes[0].tokens.token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	c := env.client(t, func(cfg *Config) { cfg.ClientID, cfg.ClientSecret, cfg.AccessToken = "", "", tok })
	if me, err := c.GetOrganizationMe(ctxT(t)); err != nil || me.ID != northwind {
		t.Fatalf("GetOrganizationMe with a ready token = %v, %v", me, err)
	}
	bad := env.client(t, func(cfg *Config) { cfg.ClientID, cfg.ClientSecret, cfg.AccessToken = "", "", "not-a-token" })
	_, err = bad.GetOrganizationMe(ctxT(t))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		t.Fatalf("err = %v, want a 401", err)
	}
	if s := bad.Stats(); s.Requests != 1 {
		t.Errorf("a rejected ready token was retried: %+v", s)
	}
}

func TestTokenErrorShowsDescription(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.clientAs(t, northwindClient, "wrong-secret", nil)
	_, err := c.GetOrganizationMe(ctxT(t))
	var te *TokenError
	if !errors.As(err, &te) || te.Status != http.StatusUnauthorized || te.Code != "invalid_client" {
		t.Fatalf("err = %#v, want a TokenError 401 invalid_client", err)
	}
	want := "get own organization: get access token: invalid_client: client not found or wrong secret (HTTP 401)"
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if s := c.Stats(); s.TokenRequests != 1 {
		t.Errorf("a refused client was retried: %+v", s)
	}
}

func TestTokenRateLimitRetried(t *testing.T) {
	t.Run("429", func(t *testing.T) {
		env := newEnv(t, sandbox.Options{}, nil)
		c := env.client(t, nil)
		env.srv.Inject(sandbox.Fault{Path: "/oauth/token", Status: http.StatusTooManyRequests, RetryAfter: 3})
		if _, err := c.GetOrganizationMe(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		if got := env.clock.TotalSlept(); got != 3*time.Second {
			t.Errorf("waited %v, want the 3s Retry-After", got)
		}
		if s := c.Stats(); s.TokenRequests != 2 || s.RateLimited != 1 {
			t.Errorf("Stats = %+v", s)
		}
	})
	t.Run("invalid_request rate limit exceeded", func(t *testing.T) {
		// The service answers a rate-limited token request with a 400
		// whose description starts "rate limit exceeded"; the sandbox's
		// scripted faults cannot say that, so a wrapper answers once.
		var once atomic.Bool
		wrap := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/oauth/token" && once.CompareAndSwap(false, true) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					_, _ = w.Write([]byte(`{"error":"invalid_request","error_description":"rate limit exceeded, try again later"}`))
					return
				}
				next.ServeHTTP(w, r)
			})
		}
		env := newEnv(t, sandbox.Options{}, wrap)
		c := env.client(t, nil)
		if _, err := c.GetOrganizationMe(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		if s := c.Stats(); s.TokenRequests != 2 || s.Retries != 1 {
			t.Errorf("Stats = %+v", s)
		}
	})
	t.Run("gives up with the description", func(t *testing.T) {
		env := newEnv(t, sandbox.Options{}, nil)
		c := env.client(t, func(cfg *Config) { cfg.MaxAttempts = 2 })
		env.srv.Inject(sandbox.Fault{Path: "/oauth/token", Status: http.StatusServiceUnavailable, Times: 5})
		_, err := c.GetOrganizationMe(ctxT(t))
		var te *TokenError
		if !errors.As(err, &te) || te.Status != http.StatusServiceUnavailable {
			t.Fatalf("err = %v, want the token endpoint's 503", err)
		}
		if !strings.Contains(err.Error(), "The service is temporarily unavailable") {
			t.Errorf("err = %q, want the body's message", err)
		}
	})
}

func TestTokenWaitHonoursContext(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	tokens := c.lanes[0].tokens.(*ccTokens)
	tokens.lock <- struct{}{} // someone else is fetching
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.GetOrganizationMe(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}
	<-tokens.lock
}

func TestDebugLogRedactsSecrets(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	var buf syncBuffer
	c := env.client(t, func(cfg *Config) { cfg.Debug = &buf })
	ctx := ctxT(t)
	env.srv.Inject(sandbox.Fault{Path: orgMePath, Status: http.StatusServiceUnavailable})
	if _, err := c.GetOrganizationMe(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListTrustees(ctx); err != nil {
		t.Fatal(err)
	}
	tok, _ := c.lanes[0].tokens.token(ctx)
	out := buf.String()
	for _, secret := range []string{northwindSecret, tok, "Bearer", "Basic", "Authorization"} {
		if strings.Contains(out, secret) {
			t.Errorf("debug output contains %q:\n%s", secret, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 lines (token, 503, 200, listing), got:\n%s", out)
	}
	checks := []struct {
		line  int
		parts []string
	}{
		{0, []string{"trustsync: debug: POST /oauth/token 200 "}},
		{1, []string{"GET " + orgMePath + " 503 ", " attempt=1 ", " correlation="}},
		{2, []string{"GET " + orgMePath + " 200 ", " attempt=2 ", " correlation="}},
		{3, []string{"GET " + trusteesPath + "?pageNumber=1&pageSize=100 200 ", " attempt=1"}},
	}
	for _, ch := range checks {
		for _, p := range ch.parts {
			if !strings.Contains(lines[ch.line], p) {
				t.Errorf("line %d = %q, want %q in it", ch.line, lines[ch.line], p)
			}
		}
	}
}

func TestRedactedURL(t *testing.T) {
	c, _ := New(Config{APIURL: "https://api.example.test", AccessToken: "x"})
	u, _ := c.apiURL.Parse("/x?access_token=abc&client_secret=def&pageSize=1")
	got := redactedURL(u)
	if strings.Contains(got, "abc") || strings.Contains(got, "def") || !strings.Contains(got, "pageSize=1") {
		t.Errorf("redactedURL = %q", got)
	}
	u.RawQuery = "%zz"
	if got := redactedURL(u); got != "/x?REDACTED" {
		t.Errorf("redactedURL(bad query) = %q", got)
	}
}

func TestUserAgent(t *testing.T) {
	var mu sync.Mutex
	agents := map[string]bool{}
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			agents[r.URL.Path+" "+r.UserAgent()] = true
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}
	env := newEnv(t, sandbox.Options{}, wrap)
	c := env.client(t, func(cfg *Config) { cfg.UserAgent = "trustsync/1.2.3" })
	if _, err := c.GetOrganizationMe(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !agents[orgMePath+" trustsync/1.2.3"] || !agents["/oauth/token trustsync/1.2.3"] {
		t.Errorf("user agents seen: %v", agents)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
