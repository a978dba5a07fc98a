package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenSource hands out bearer tokens for API requests.
type tokenSource interface {
	// token returns a valid access token, fetching one if needed.
	token(ctx context.Context) (string, error)
	// invalidate drops tok after the API rejected it; it reports whether a
	// fresh token can be fetched.
	invalidate(tok string) bool
}

// staticToken is a ready access token (GENESYSCLOUD_ACCESS_TOKEN): it is
// used as is and cannot be refreshed.
type staticToken string

func (s staticToken) token(context.Context) (string, error) { return string(s), nil }
func (staticToken) invalidate(string) bool                  { return false }

// ccTokens fetches tokens with the OAuth client-credentials grant (client id
// and secret in the Basic header), reuses a token until shortly before it
// expires and retries a rate-limited or failing token endpoint with backoff.
type ccTokens struct {
	c    *Client
	l    *lane // the pool's token this source serves, for its counts
	conf clientcredentials.Config
	hc   *http.Client // the base client with request logging
	// lock is a one-slot semaphore (so waiting honours ctx) guarding tok
	// and expiry; holding it while fetching makes concurrent callers share
	// one fetch.
	lock   chan struct{}
	tok    string
	expiry time.Time // zero: no expiry known
}

func newCCTokens(c *Client, l *lane, loginURL, id, secret string, hc *http.Client) *ccTokens {
	return &ccTokens{
		c: c,
		l: l,
		conf: clientcredentials.Config{
			ClientID:     id,
			ClientSecret: secret,
			TokenURL:     strings.TrimRight(loginURL, "/") + "/oauth/token",
			AuthStyle:    oauth2.AuthStyleInHeader,
		},
		hc:   hc,
		lock: make(chan struct{}, 1),
	}
}

func (t *ccTokens) token(ctx context.Context) (string, error) {
	select {
	case t.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-t.lock }()
	now := t.c.now()
	if t.tok != "" && (t.expiry.IsZero() || now.Before(t.expiry)) {
		return t.tok, nil
	}
	tok, lifetime, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	t.c.redact.add(tok)
	t.tok = tok
	t.expiry = time.Time{}
	if lifetime > 0 {
		// Refresh a little early so a token never expires in flight.
		margin := min(time.Minute, lifetime/10)
		t.expiry = t.c.now().Add(lifetime - margin)
	}
	return t.tok, nil
}

func (t *ccTokens) invalidate(tok string) bool {
	t.lock <- struct{}{}
	if t.tok == tok {
		t.tok = ""
	}
	<-t.lock
	return true
}

// fetch asks the token endpoint for a token, retrying rate-limit answers,
// 5xx answers and connection errors with exponential backoff.
func (t *ccTokens) fetch(ctx context.Context) (string, time.Duration, error) {
	attempts := t.c.maxAttempts
	var lastErr error
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			t.c.stats.retries.Add(1)
		}
		t.c.stats.tokenRequests.Add(1)
		t.l.stats.tokenRequests.Add(1)
		tok, err := t.conf.Token(context.WithValue(ctx, oauth2.HTTPClient, t.hc))
		if err == nil {
			lifetime := time.Duration(0)
			if tok.ExpiresIn > 0 {
				lifetime = time.Duration(tok.ExpiresIn) * time.Second
			} else if !tok.Expiry.IsZero() {
				lifetime = time.Until(tok.Expiry)
			}
			return tok.AccessToken, lifetime, nil
		}
		if ctx.Err() != nil {
			return "", 0, fmt.Errorf("get access token: %w", ctx.Err())
		}
		lastErr = tokenError(err, t.c.redact)
		wait, retry := t.retryable(err, attempt)
		if !retry || attempt == attempts {
			break
		}
		if err := t.c.sleep(ctx, wait); err != nil {
			return "", 0, fmt.Errorf("get access token: %w: %w", err, lastErr)
		}
	}
	return "", 0, lastErr
}

// retryable says whether a token error is worth another attempt and how
// long to wait first.
func (t *ccTokens) retryable(err error, attempt int) (time.Duration, bool) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return t.c.backoff(attempt), true // connection error
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	rateLimited := status == http.StatusTooManyRequests ||
		strings.HasPrefix(strings.ToLower(strings.TrimSpace(re.ErrorDescription)), "rate limit exceeded")
	if rateLimited {
		t.c.stats.rateLimited.Add(1)
		if re.Response != nil {
			if d, ok := parseRetryAfter(re.Response.Header.Get("Retry-After"), t.c.now()); ok {
				return min(d, maxRetryAfter), true
			}
		}
		return t.c.backoff(attempt), true
	}
	if transientStatus(status) {
		return t.c.backoff(attempt), true
	}
	return 0, false
}

// tokenError words a token failure with the service's error_description,
// every credential in the service's text redacted. The oauth2 error it
// wraps is a redacted copy without the response.
func tokenError(err error, r *redactor) error {
	var re0 *oauth2.RetrieveError
	if !errors.As(err, &re0) {
		return &redactedError{msg: "get access token: " + r.String(err.Error()), err: err}
	}
	re := &oauth2.RetrieveError{
		Response:         re0.Response,
		Body:             r.Bytes(re0.Body),
		ErrorCode:        r.String(re0.ErrorCode),
		ErrorDescription: r.String(re0.ErrorDescription),
		ErrorURI:         r.String(re0.ErrorURI),
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	msg := re.ErrorCode
	if msg == "" {
		msg = "token request failed"
	}
	if d := cleanText(re.ErrorDescription); d != "" {
		msg += ": " + d
	} else if len(re.Body) > 0 {
		line, _, _ := strings.Cut(string(re.Body), "\n")
		msg += ": " + cleanText(line)
	}
	if status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", status)
	}
	return &TokenError{Status: status, Code: re.ErrorCode, Description: re.ErrorDescription, msg: msg, err: re}
}

// TokenError is a failed access-token request.
type TokenError struct {
	// Status is the token endpoint's HTTP status.
	Status int
	// Code and Description are the OAuth error and error_description.
	Code, Description string
	msg               string
	err               error
}

func (e *TokenError) Error() string { return "get access token: " + e.msg }

// Unwrap returns the underlying oauth2 error (with credentials redacted).
func (e *TokenError) Unwrap() error { return e.err }

// redactedError is an error whose text had credentials redacted; it still
// unwraps to the original for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
