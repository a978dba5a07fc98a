// Package client talks to the Genesys Cloud Platform API for trustsync: the
// organization authorization (trust) operations, organizations/me, roles,
// users and the Customer Care org list.
//
// # Dependability
//
// Every request goes through one path that
//   - authenticates with an OAuth client-credentials grant (or a ready
//     token), reusing the token until shortly before it expires and
//     fetching a new one when the API rejects it; with
//     [Config.TokenPoolSize] above 1 it takes that many tokens from the
//     same credentials (requested one after another over the first
//     second, never in a burst) and sends each request with the token
//     that is not paused and can send soonest within its pace (the least
//     busy of those that can send at once); once any token has met a
//     limit, a token that has not yet holds at most its share of
//     [Config.Concurrency] in flight, so the share of a paused token waits
//     rather than meeting another token's unknown limit;
//   - is the one bound on requests in flight ([Config.Concurrency], across
//     the pool): callers start work freely and wait here; optionally it
//     bounds the request rate of each token ([Config.RateLimit]);
//   - honours a 429's Retry-After (up to 10 minutes) for every request of
//     the token that got it, not just that request, and from then on paces
//     that token's requests just below the rate the service allowed, so a
//     steady limit yields few 429s; other tokens of the pool carry on. A
//     request checks the pause and takes its pacing token only once it
//     holds its concurrency slot, so only requests in flight when a 429
//     arrives can meet the same limit. A call that cannot outlast a pause
//     (every token paused) within its deadline fails at once with an error
//     that keeps the 429;
//   - retries every 5xx except 501 and connection errors with exponential
//     backoff and full jitter for GET, PUT and DELETE, and a POST only when
//     it provably never reached the service;
//   - decodes every 2xx answer strictly: an operation that returns a body
//     must get one of its documented shape (required members such as
//     every entity's id present, types right), otherwise the call fails
//     with a [*DecodeError] naming the operation, status and correlation
//     id, so no caller takes a zero value for what the service holds;
//   - replaces the client secret (raw, URL-encoded and inside the Basic
//     header's base64) and every bearer token the client holds with
//     [redacted] in all text the service returns, before it reaches an
//     error, a debug line or a caller;
//   - turns every non-2xx answer into an [*APIError] (status, code, message,
//     correlation id, details, the missing permission of a 403), keeping the
//     last answer when retries run out;
//   - records the correlation id of every answer, successes included, in
//     the [CorrelationRecorder]s attached to the request's context
//     ([WithCorrelationRecorder]), for callers that must account for each
//     answer behind a change.
//
// A retried write can meet its own earlier success (the answer was lost but
// the change was made): a retried DELETE answered 404 returns [AlreadyGone]
// and a retried add answered 409 returns [AlreadyPresent] instead of an
// error, so the caller can confirm by reading back.
//
// List methods follow every page (100 entries a page, the maximum) and
// return an error, never a partial list, when any page fails. The pages
// must agree with the total and page count the first one announces, with
// no repeated id and no short page before the last; a listing that does
// not is read again from page 1 up to twice more, then fails with a
// [*ListingError] saying what disagreed. A listing reads at most the pages
// its total calls for, within a deadline derived from them, so one that
// keeps growing ends.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Config configures a Client.
type Config struct {
	// APIURL is the API base, e.g. https://api.mypurecloud.ie; LoginURL the
	// OAuth base, e.g. https://login.mypurecloud.ie (default APIURL). Plain
	// http is accepted only for loopback hosts.
	APIURL, LoginURL string
	// ClientID and ClientSecret are OAuth client credentials; AccessToken
	// is a ready token used instead of them.
	ClientID, ClientSecret string
	AccessToken            string
	// HTTPClient supplies the transport (and cookie jar); nil means a
	// default transport. Redirects are never followed, so a bearer token
	// never travels to another host, and each attempt has its own timeout
	// within Deadline.
	HTTPClient *http.Client
	// Concurrency is the maximum number of requests in flight (default 8),
	// across all tokens of the pool.
	Concurrency int
	// RateLimit is a ceiling in requests per minute per token; 0 means none.
	RateLimit int
	// TokenPoolSize is how many access tokens the client takes from the
	// client credentials and spreads its requests over (1 to
	// MaxTokenPoolSize; 0 means 1). Each token has its own pacing,
	// Retry-After pause and RateLimit, so one rate-limited token never
	// stalls the others. Token requests are spaced evenly over the first
	// second, never a burst. With AccessToken the pool has one token.
	TokenPoolSize int
	// MaxAttempts bounds the attempts of one request (default 5).
	MaxAttempts int
	// Deadline bounds one call including its retries (default 2m).
	Deadline time.Duration
	// Debug, when set, receives one line per HTTP request with secrets
	// redacted.
	Debug io.Writer
	// UserAgent is sent with every request (default "trustsync/dev").
	UserAgent string
}

// Defaults of Config.
const (
	DefaultConcurrency = 8
	DefaultMaxAttempts = 5
	DefaultDeadline    = 2 * time.Minute
	DefaultUserAgent   = "trustsync/dev"
	// MaxTokenPoolSize is the largest Config.TokenPoolSize.
	MaxTokenPoolSize = 20
)

// Client is a Genesys Cloud API client. It is safe for concurrent use.
type Client struct {
	apiURL    *url.URL
	hc        *http.Client
	userAgent string
	debug     io.Writer
	debugMu   sync.Mutex
	// redact holds the credentials never to let through in service text.
	redact *redactor

	maxAttempts int
	deadline    time.Duration
	sem         chan struct{}
	// lanes are the tokens of the pool (one unless Config.TokenPoolSize
	// says more), each with its own pacing, pause and rate ceiling.
	lanes []*lane
	pool  poolClock
	room  roomSignal
	// limitSeen is set by the first 429 of any token (see share).
	limitSeen atomic.Bool

	stats struct {
		requests, retries, rateLimited, tokenRequests atomic.Int64
	}

	// Hooks, replaced by tests to keep them fast and deterministic.
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	jitter   func(max time.Duration) time.Duration // uniform in [0, max]
	pageSize int
	// backoffBase and backoffMax shape the exponential backoff.
	backoffBase, backoffMax time.Duration
	// attemptTimeout bounds a single attempt inside the call's deadline.
	attemptTimeout time.Duration
	// maxBody bounds a success body (default maxBody).
	maxBody int64
}

// Stats counts a client's traffic for a run summary.
type Stats struct {
	// Requests is the number of API requests sent, retries included.
	Requests int64
	// Retries is the number of repeated attempts (API and token requests).
	Retries int64
	// RateLimited is the number of 429 (and rate-limited token) answers.
	RateLimited int64
	// TokenRequests is the number of access-token requests.
	TokenRequests int64
	// Tokens counts the traffic of each token of the pool, in pool order.
	Tokens []TokenStats
}

// TokenStats counts the traffic of one token of the pool.
type TokenStats struct {
	// Requests is the number of API requests sent with the token.
	Requests int64
	// RateLimited is the number of 429 answers it got.
	RateLimited int64
	// TokenRequests is the number of access-token requests made for it.
	TokenRequests int64
}

// CloseIdleConnections closes the client's idle keep-alive connections,
// for a caller about to stop a server it talked to.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Concurrency is the most requests the client has in flight at once
// (Config.Concurrency), for callers that size their workers by it.
func (c *Client) Concurrency() int { return cap(c.sem) }

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	st := Stats{
		Requests:      c.stats.requests.Load(),
		Retries:       c.stats.retries.Load(),
		RateLimited:   c.stats.rateLimited.Load(),
		TokenRequests: c.stats.tokenRequests.Load(),
	}
	for _, l := range c.lanes {
		st.Tokens = append(st.Tokens, TokenStats{
			Requests:      l.stats.requests.Load(),
			RateLimited:   l.stats.rateLimited.Load(),
			TokenRequests: l.stats.tokenRequests.Load(),
		})
	}
	return st
}

// New checks cfg and returns a client. It does not contact the service.
func New(cfg Config) (*Client, error) {
	if cfg.APIURL == "" {
		return nil, errors.New("no API URL: pick a region or set an API URL")
	}
	api, err := checkBaseURL("API URL", cfg.APIURL)
	if err != nil {
		return nil, err
	}
	loginURL := cfg.LoginURL
	if loginURL == "" {
		loginURL = cfg.APIURL
	}
	login, err := checkBaseURL("login URL", loginURL)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.AccessToken != "":
	case cfg.ClientID != "" && cfg.ClientSecret != "":
	default:
		return nil, errors.New("no credentials: give a client id and secret, or an access token")
	}
	if cfg.Concurrency < 0 || cfg.RateLimit < 0 || cfg.MaxAttempts < 0 || cfg.Deadline < 0 {
		return nil, errors.New("concurrency, rate limit, attempts and deadline must not be negative")
	}
	if cfg.TokenPoolSize < 0 || cfg.TokenPoolSize > MaxTokenPoolSize {
		return nil, fmt.Errorf("token pool size must be from 1 to %d, got %d", MaxTokenPoolSize, cfg.TokenPoolSize)
	}
	c := &Client{
		redact:         &redactor{},
		apiURL:         api,
		userAgent:      cfg.UserAgent,
		debug:          cfg.Debug,
		maxAttempts:    cfg.MaxAttempts,
		deadline:       cfg.Deadline,
		now:            time.Now,
		sleep:          sleepCtx,
		jitter:         fullJitter,
		pageSize:       100,
		backoffBase:    500 * time.Millisecond,
		backoffMax:     20 * time.Second,
		attemptTimeout: time.Minute,
		maxBody:        maxBody,
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.maxAttempts == 0 {
		c.maxAttempts = DefaultMaxAttempts
	}
	if c.deadline == 0 {
		c.deadline = DefaultDeadline
	}
	conc := cfg.Concurrency
	if conc == 0 {
		conc = DefaultConcurrency
	}
	c.sem = make(chan struct{}, conc)
	base := cfg.HTTPClient
	if base == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = conc
		base = &http.Client{Transport: tr}
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	// Requests never follow redirects: a redirect to another host would
	// carry the bearer token along.
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &http.Client{Transport: rt, Jar: base.Jar, CheckRedirect: noRedirect}
	c.redact.add(cfg.AccessToken)
	c.redact.addClientSecret(cfg.ClientID, cfg.ClientSecret)
	size := max(cfg.TokenPoolSize, 1)
	if cfg.AccessToken != "" {
		size = 1 // a ready token cannot be multiplied
	}
	thc := &http.Client{Transport: &logTransport{c: c, base: rt}, Timeout: time.Minute, CheckRedirect: noRedirect}
	for i := range size {
		l := &lane{
			index:   i,
			opensAt: time.Duration(i) * tokenSpacing / time.Duration(size),
			pacer:   newPacer(time.Minute),
		}
		if cfg.RateLimit > 0 {
			l.userLimit = rate.NewLimiter(rate.Limit(float64(cfg.RateLimit)/60), 1)
		}
		if cfg.AccessToken != "" {
			l.tokens = staticToken(cfg.AccessToken)
		} else {
			l.tokens = newCCTokens(c, l, login.String(), cfg.ClientID, cfg.ClientSecret, thc)
		}
		c.lanes = append(c.lanes, l)
	}
	return c, nil
}

// CheckBaseURL reports whether s is usable as an API or login base URL:
// an https URL, or an http one on a loopback address.
func CheckBaseURL(s string) error {
	_, err := checkBaseURL("URL", s)
	return err
}

// checkBaseURL accepts https URLs, and http ones for loopback hosts only.
func checkBaseURL(what, s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, s, err)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s %q: want a base URL such as https://api.mypurecloud.ie", what, s)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("%s %q: plain http is allowed only for loopback addresses (127.0.0.1, ::1, localhost); use https", what, s)
		}
	default:
		return nil, fmt.Errorf("%s %q: want an https URL", what, s)
	}
	return u, nil
}

// isLoopback reports whether host is localhost or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func fullJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(max) + 1))
}

// backoff is the wait before attempt+1: full jitter over an exponentially
// growing ceiling.
func (c *Client) backoff(attempt int) time.Duration {
	ceil := c.backoffBase
	for i := 1; i < attempt && ceil < c.backoffMax; i++ {
		ceil *= 2
	}
	return c.jitter(min(ceil, c.backoffMax))
}

// transientStatus reports whether an answer is worth retrying for a
// request that may be repeated: every 5xx except 501 Not Implemented,
// which no repetition changes.
func transientStatus(status int) bool {
	return status >= 500 && status <= 599 && status != http.StatusNotImplemented
}

// request is one API call.
type request struct {
	method string
	path   string // under APIURL, e.g. /api/v2/orgauthorization/trustees
	query  url.Values
	body   any // JSON-encoded when non-nil
	// repeatable says the request may be sent again after it may have
	// reached the service (GET, PUT, DELETE and read-only POSTs).
	repeatable bool
}

// result describes how a call went, also when it failed.
type result struct {
	status   int
	attempts int
	// mayHaveApplied is true when an earlier attempt may have been
	// processed by the service although its answer was an error or lost.
	mayHaveApplied bool
}

// maxBody bounds a success body.
const maxBody = 32 << 20

// do sends req, retrying as the package doc describes, and decodes a 2xx
// body into out (when out is non-nil).
func (c *Client) do(ctx context.Context, req request, out any) (result, error) {
	var res result
	ctx, cancel := context.WithTimeout(ctx, c.deadline)
	defer cancel()

	var payload []byte
	if req.body != nil {
		var err error
		if payload, err = json.Marshal(req.body); err != nil {
			return res, fmt.Errorf("encode request body: %w", err)
		}
	}
	u := *c.apiURL
	u.Path = strings.TrimRight(c.apiURL.Path, "/") + req.path
	u.RawPath = ""
	if len(req.query) > 0 {
		u.RawQuery = req.query.Encode()
	}
	reauthed := false
	var lastErr error
	for attempt := 1; ; attempt++ {
		res.attempts = attempt
		l, release, err := c.admit(ctx)
		if err != nil {
			if _, ok := errors.AsType[*pauseTooLongError](err); ok {
				return res, err
			}
			return res, giveUp(attempt-1, err, lastErr)
		}
		tok, err := l.tokens.token(ctx)
		if err != nil {
			release()
			return res, err
		}
		if attempt > 1 {
			c.stats.retries.Add(1)
		}
		out1, err := c.attempt(ctx, l, req, &u, payload, tok, attempt)
		release()
		if err != nil && ctx.Err() != nil {
			return res, giveUp(attempt, ctx.Err(), lastErr)
		}
		var wait time.Duration
		switch {
		case err != nil: // no answer
			lastErr = err
			if out1.wrote {
				res.mayHaveApplied = true
			}
			if out1.wrote && !req.repeatable {
				return res, err
			}
			wait = c.backoff(attempt)
		case out1.status == http.StatusTooManyRequests:
			res.status = out1.status
			lastErr = out1.apiErr
			// attempt recorded the 429 (before the slot was released);
			// the next admit waits out the pause, or fails at once when
			// it outlasts the call's deadline.
		case out1.status == http.StatusUnauthorized && !reauthed && l.tokens.invalidate(tok):
			// The token expired or was revoked early: fetch a new one once.
			res.status = out1.status
			lastErr = out1.apiErr
			reauthed = true
		case transientStatus(out1.status):
			res.status = out1.status
			lastErr = out1.apiErr
			res.mayHaveApplied = true
			if !req.repeatable {
				return res, out1.apiErr
			}
			wait = max(c.backoff(attempt), min(out1.apiErr.RetryAfter, maxRetryAfter))
		case out1.status >= 300:
			res.status = out1.status
			return res, out1.apiErr
		default:
			res.status = out1.status
			if out != nil {
				if err := decodeBody(out1.body, out1.contentType, out); err != nil {
					return res, &DecodeError{
						Method: req.method, Path: req.path, Status: out1.status,
						CorrelationID: out1.corr, Reason: c.redact.String(err.Error()),
					}
				}
			}
			return res, nil
		}
		if attempt >= c.maxAttempts {
			return res, giveUp(attempt, nil, lastErr)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return res, giveUp(attempt, err, lastErr)
		}
	}
}

// giveUp words the end of a retried call, keeping the last answer.
func giveUp(attempts int, cause, last error) error {
	switch {
	case last == nil:
		return cause
	case cause == nil && attempts <= 1:
		return last
	case cause == nil:
		return fmt.Errorf("gave up after %d attempts: %w", attempts, last)
	default:
		return fmt.Errorf("gave up after %d attempts (%w): %w", attempts, cause, last)
	}
}

// attemptResult is one HTTP exchange.
type attemptResult struct {
	status      int
	body        []byte // credentials redacted
	contentType string
	corr        string    // inin-correlation-id
	apiErr      *APIError // for non-2xx answers
	wrote       bool      // request headers were written (it may have reached the service)
}

// attempt sends one HTTP request and reads its answer; the caller holds
// its admission.
func (c *Client) attempt(ctx context.Context, l *lane, req request, u *url.URL, payload []byte, tok string, attempt int) (attemptResult, error) {
	var out attemptResult
	actx, cancel := context.WithTimeout(ctx, c.attemptTimeout)
	defer cancel()
	var wrote atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteHeaders: func() { wrote.Store(true) },
	})
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	hreq, err := http.NewRequestWithContext(actx, req.method, u.String(), body)
	if err != nil {
		return out, fmt.Errorf("build request: %w", err)
	}
	hreq.Header.Set("Authorization", "Bearer "+tok)
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	c.stats.requests.Add(1)
	l.stats.requests.Add(1)
	start := time.Now()
	resp, err := c.hc.Do(hreq)
	if err != nil {
		out.wrote = wrote.Load()
		c.logRequest(req.method, u, 0, time.Since(start), attempt, c.tokenLabel(l), "", err)
		return out, fmt.Errorf("%s %s: %w", req.method, req.path, unwrapURLError(err))
	}
	defer resp.Body.Close()
	out.wrote = true
	out.status = resp.StatusCode
	limit := c.maxBody
	if resp.StatusCode >= 300 {
		limit = maxErrorBody
	}
	out.body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	corr := resp.Header.Get("inin-correlation-id")
	c.logRequest(req.method, u, resp.StatusCode, time.Since(start), attempt, c.tokenLabel(l), corr, err)
	// Every answer is recorded, whatever becomes of it; an error answer's
	// id may come from its body (set below).
	defer func() { recordCorrelation(ctx, corr) }()
	if err != nil {
		return out, fmt.Errorf("%s %s: read answer: %w", req.method, req.path, err)
	}
	if int64(len(out.body)) > limit {
		if resp.StatusCode < 300 {
			return out, fmt.Errorf("%s %s: answered %d with a body larger than %d bytes [correlation id %s]", req.method, req.path, resp.StatusCode, limit, cleanText(corr))
		}
		out.body = out.body[:limit]
	}
	// Let the connection be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	out.body = c.redact.Bytes(out.body)
	out.contentType = resp.Header.Get("Content-Type")
	out.corr = cleanText(corr)
	if resp.StatusCode >= 300 {
		out.apiErr = c.redact.apiError(newAPIError(req.method, req.path, resp, out.body))
		corr = out.apiErr.CorrelationID
	}
	// Record the answer while the caller still holds the slot: a request
	// queued for it must find the pause of a 429 already set.
	if resp.StatusCode == http.StatusTooManyRequests {
		c.onRateLimited(l, out.apiErr)
	} else {
		l.pacer.observe(c.now(), false, 0)
	}
	return out, nil
}

// unwrapURLError drops net/url's "Get \"https://...\":" prefix, which
// repeats the method and URL the caller already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// maxRetryAfter bounds the pause a Retry-After imposes: a service that asks
// for more is waited for this long, then tried again.
const maxRetryAfter = 10 * time.Minute

// pauseTooLongError is a call that cannot wait out a rate-limit pause
// within its deadline. It wraps the 429 that set the pause, so callers find
// its status and correlation id with errors.As.
type pauseTooLongError struct {
	left time.Duration // of the pause when the call gave up
	last *APIError
}

func (e *pauseTooLongError) Error() string {
	var asked string
	switch ra := e.last.RetryAfter; {
	case ra <= 0:
		asked = "the service sent no Retry-After"
	case ra > maxRetryAfter:
		asked = fmt.Sprintf("the service asked to wait %s (honoured up to %s)", ra.Round(time.Second), maxRetryAfter)
	default:
		asked = fmt.Sprintf("the service asked to wait %s", ra.Round(time.Second))
	}
	return fmt.Sprintf("rate limited: %s; the pause ends in %s, after this call's deadline: %s",
		asked, e.left.Round(time.Second), e.last)
}

func (e *pauseTooLongError) Unwrap() error { return e.last }

// logTransport sends token requests with the client's User-Agent and logs
// them in debug mode.
type logTransport struct {
	c    *Client
	base http.RoundTripper
}

func (t *logTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.c.userAgent)
	start := time.Now()
	resp, err := t.base.RoundTrip(r)
	status, corr := 0, ""
	if resp != nil {
		status, corr = resp.StatusCode, resp.Header.Get("inin-correlation-id")
	}
	t.c.logRequest(r.Method, r.URL, status, time.Since(start), 0, 0, corr, err)
	return resp, err
}

// tokenLabel is the 1-based number of lane l in the pool for debug lines,
// or 0 (not shown) when the pool has one token.
func (c *Client) tokenLabel(l *lane) int {
	if len(c.lanes) < 2 {
		return 0
	}
	return l.index + 1
}

// logRequest writes one debug line. It never writes headers or bodies, and
// query values whose names suggest secrets are redacted. token is the
// 1-based token of the pool that sent the request (0: not shown).
func (c *Client) logRequest(method string, u *url.URL, status int, d time.Duration, attempt, token int, corr string, err error) {
	if c.debug == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "trustsync: debug: %s %s", method, redactedURL(u))
	if status != 0 {
		fmt.Fprintf(&b, " %d", status)
	}
	fmt.Fprintf(&b, " %s", d.Round(100*time.Microsecond))
	if attempt > 0 {
		fmt.Fprintf(&b, " attempt=%d", attempt)
	}
	if token > 0 {
		fmt.Fprintf(&b, " token=%d", token)
	}
	if corr != "" {
		fmt.Fprintf(&b, " correlation=%s", cleanText(corr))
	}
	if err != nil {
		fmt.Fprintf(&b, " error=%q", cleanText(c.redact.String(unwrapURLError(err).Error())))
	}
	b.WriteByte('\n')
	c.debugMu.Lock()
	defer c.debugMu.Unlock()
	_, _ = io.WriteString(c.debug, b.String())
}

// redactedURL is the path and query of u with secret-looking values
// replaced.
func redactedURL(u *url.URL) string {
	s := u.EscapedPath()
	if u.RawQuery == "" {
		return s
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return s + "?REDACTED"
	}
	for k := range q {
		lk := strings.ToLower(k)
		for _, w := range []string{"token", "secret", "password", "code", "assertion", "key"} {
			if strings.Contains(lk, w) {
				q[k] = []string{"REDACTED"}
				break
			}
		}
	}
	return s + "?" + q.Encode()
}
