package sandbox

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options tune a Server for tests and benchmarks.
type Options struct {
	// Latency delays every API request, without serializing concurrent
	// ones. Token requests and /_sandbox routes are never delayed.
	Latency time.Duration
	// RateLimit is the number of requests per minute each access token may
	// make (a token bucket holding one second's worth, at least 1); 0 means
	// unlimited.
	RateLimit int
	// FaultRate is the probability (0..1) that an API request fails with a
	// 502, 503 or 504; half the faulted writes commit first.
	FaultRate float64
	// FaultSeed seeds the fault draws: the same seed and the same sequence
	// of requests give the same faults.
	FaultSeed int64
	// StatePath is the state file: "" keeps everything in memory; else it
	// is loaded at start when it exists and rewritten atomically after each
	// mutation. The Server holds an exclusive lock on StatePath+".lock"
	// from New until Close, so that two processes never share the file.
	StatePath string
	// LockWait is how long New waits for another process to release the
	// state file's lock: 0 means DefaultLockWait, a negative value not at
	// all.
	LockWait time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is an in-memory, multi-org emulator of the Genesys Cloud
// organization authorization API. It is an http.Handler; every method is
// safe for concurrent use.
type Server struct {
	opts  Options
	now   func() time.Time
	api   *http.ServeMux
	admin *http.ServeMux
	// sleep waits out the latency; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// writeFile writes the state file (writeState); tests replace it to
	// hold or fail the disk.
	writeFile func(path string, chunks ...[]byte) error

	mu      sync.Mutex
	st      *store
	stats   Stats
	buckets map[string]*bucket
	rng     *rand.Rand
	faults  []*Fault

	// writeMu serializes the changes that a state file keeps: each runs on
	// a copy of the store, is written to the file without mu (so reads
	// carry on), and replaces the store only once saved. It guards enc,
	// lock and closed; mu may be taken while it is held, never the other
	// way round.
	writeMu sync.Mutex
	enc     stateEncoder
	lock    *stateLock
	closed  bool
}

// OrgInfo describes one org of the sandbox.
type OrgInfo struct {
	ID, Name string
	Care     bool
	Clients  []ClientCredentials
}

// Stats counts what the sandbox answered, as GET /_sandbox/stats shows it.
type Stats struct {
	// Requests counts every answered API request, including 401s, 429s
	// and faults.
	Requests int64 `json:"requests"`
	// Writes counts committed mutations, including those whose answer a
	// fault lost.
	Writes int64 `json:"writes"`
	// TokenRequests counts POST /oauth/token requests (not in Requests).
	TokenRequests int64 `json:"tokenRequests"`
	// ByRoute counts API requests by "METHOD /path/{template}".
	ByRoute map[string]int64 `json:"byRoute"`
	// ByStatus counts API requests by HTTP status ("200", "429", ...).
	ByStatus map[string]int64 `json:"byStatus"`
}

// Fault is a scripted failure, for tests of code that talks to the sandbox.
type Fault struct {
	// Method matches the request method; "" matches any.
	Method string
	// Path is the exact URL path to match; "" matches any API path (not
	// /oauth/token, which only an explicit Path matches).
	Path string
	// Query is a substring the raw query must contain; "" matches any.
	Query string
	// Status is the HTTP status to answer, e.g. 429, 500, 502, 503, 504.
	Status int
	// RetryAfter is the Retry-After of a 429, in seconds (default 1).
	RetryAfter int
	// Commit makes a write take effect before the fault answers, so that
	// only the answer is lost.
	Commit bool
	// Times is how many matching requests fail (default 1).
	Times int
}

// bucket is the rate-limit token bucket of one access token.
type bucket struct {
	tokens float64
	last   time.Time
}

const (
	tokenLifetime = 24 * time.Hour
	// PairingTTL is how long a pairing can be used after it was created,
	// in sandbox time.
	PairingTTL    = 48 * time.Hour
	maxBodyBytes  = 1 << 20
	apiPrefix     = "/api/v2/"
	oauthPath     = "/oauth/token"
	sandboxPrefix = "/_sandbox"
)

// New builds a Server from a fixture, or from the state file when
// opts.StatePath names one that exists.
func New(fx *Fixture, opts Options) (*Server, error) {
	if opts.FaultRate < 0 || opts.FaultRate > 1 || math.IsNaN(opts.FaultRate) {
		return nil, fmt.Errorf("sandbox: fault rate must be between 0 and 1, got %v", opts.FaultRate)
	}
	if opts.RateLimit < 0 {
		return nil, fmt.Errorf("sandbox: rate limit must not be negative, got %d", opts.RateLimit)
	}
	if opts.Latency < 0 {
		return nil, fmt.Errorf("sandbox: latency must not be negative, got %v", opts.Latency)
	}
	s := &Server{
		opts:      opts,
		now:       opts.Now,
		sleep:     sleepCtx,
		writeFile: writeState,
		buckets:   map[string]*bucket{},
		rng:       rand.New(rand.NewPCG(uint64(opts.FaultSeed), 0x7275737473796e63)),
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.stats = Stats{ByRoute: map[string]int64{}, ByStatus: map[string]int64{}}

	if opts.StatePath != "" {
		wait := opts.LockWait
		if wait == 0 {
			wait = DefaultLockWait
		}
		lock, err := acquireStateLock(opts.StatePath, max(wait, 0))
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		s.lock = lock
	}
	if err := s.load(fx); err != nil {
		return nil, errors.Join(fmt.Errorf("sandbox: %w", err), s.releaseLock())
	}
	s.routes()
	return s, nil
}

// ErrStateInUse is the error New wraps when another process holds the
// state file for longer than Options.LockWait.
var ErrStateInUse = errors.New("sandbox state in use")

// inUseError says which state file is in use; it is ErrStateInUse.
type inUseError string

func (e inUseError) Error() string        { return string(e) }
func (e inUseError) Is(target error) bool { return target == ErrStateInUse }

// DefaultLockWait is how long New waits, by default, for another process
// to release the state file.
const DefaultLockWait = 30 * time.Second

// load fills the store from the state file when there is one, else from
// fx (writing the state file when there is a path).
func (s *Server) load(fx *Fixture) error {
	if s.opts.StatePath != "" {
		st, err := loadStore(s.opts.StatePath)
		switch {
		case err == nil:
			s.st = st
			return nil
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
	}
	if fx == nil {
		return errors.New("no fixture (use DemoFixture for the demo orgs)")
	}
	if err := fx.validate(); err != nil {
		return fmt.Errorf("invalid fixture: %w", err)
	}
	s.st = newStore(fx, s.clock())
	if s.opts.StatePath != "" {
		return s.flush()
	}
	return nil
}

// releaseLock lets other processes use the state file.
func (s *Server) releaseLock() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.release()
	s.lock = nil
	return err
}

// clock returns the current time at the API's millisecond precision.
func (s *Server) clock() time.Time {
	return s.now().UTC().Truncate(time.Millisecond)
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Orgs lists the orgs in fixture order; the first is the home org.
func (s *Server) Orgs() []OrgInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OrgInfo, 0, len(s.st.Orgs))
	for _, o := range s.st.Orgs {
		out = append(out, OrgInfo{ID: o.ID, Name: o.Name, Care: o.Care, Clients: append([]ClientCredentials(nil), o.Clients...)})
	}
	return out
}

// Stats returns the request counters (a copy).
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statsLocked()
}

func (s *Server) statsLocked() Stats {
	out := s.stats
	out.ByRoute = make(map[string]int64, len(s.stats.ByRoute))
	for k, v := range s.stats.ByRoute {
		out.ByRoute[k] = v
	}
	out.ByStatus = make(map[string]int64, len(s.stats.ByStatus))
	for k, v := range s.stats.ByStatus {
		out.ByStatus[k] = v
	}
	return out
}

// ResetStats zeroes the request counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{ByRoute: map[string]int64{}, ByStatus: map[string]int64{}}
}

// AuditLog returns every audit entry, oldest first.
func (s *Server) AuditLog() []AuditLogMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AuditLogMessage, len(s.st.Audit))
	for i, m := range s.st.Audit {
		out[i] = cloneAudit(m)
	}
	return out
}

// Inject scripts a failure: the next f.Times requests that match f fail
// with f.Status. Scripted faults are checked in the order injected, before
// the rate limit and the random faults.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	if f.Status == http.StatusTooManyRequests && f.RetryAfter <= 0 {
		f.RetryAfter = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Close writes the state file (when there is one) and releases its lock.
// The server keeps answering reads afterwards, but a change it would have
// to save is refused with 500: another process may own the file now.
// Close may be called more than once.
func (s *Server) Close() error {
	if s.opts.StatePath == "" {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.st != nil {
		err = s.flushLocked()
	}
	return errors.Join(err, s.releaseLock())
}

// flush writes the whole store to the state file.
func (s *Server) flush() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.flushLocked()
}

func (s *Server) flushLocked() error {
	s.mu.Lock()
	snap, err := s.st.snapshot()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.writeSnapshot(snap)
}

// save writes work, a changed copy of the store, to the state file. The
// caller holds writeMu, not mu. On success the caller replaces the store
// with work; on failure the file and the encoder are as they were.
func (s *Server) save(work *store) error {
	if s.closed {
		return errors.New("the sandbox has been closed")
	}
	snap, err := work.snapshot()
	if err != nil {
		return err
	}
	return s.writeSnapshot(snap)
}

// writeSnapshot encodes snap and writes it to the state file atomically,
// forgetting what it encoded when the write fails. The caller holds
// writeMu.
func (s *Server) writeSnapshot(snap *stateSnapshot) error {
	mark := s.enc.mark()
	chunks, err := s.enc.encode(snap)
	if err == nil {
		err = s.writeFile(s.opts.StatePath, chunks...)
	}
	if err != nil {
		s.enc.reset(mark)
		return err
	}
	return nil
}

// ServeHTTP answers the whole API: /api/v2/..., POST /oauth/token and the
// /_sandbox control routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == oauthPath:
		s.serveToken(w, r)
	case r.URL.Path == sandboxPrefix || strings.HasPrefix(r.URL.Path, sandboxPrefix+"/"):
		w.Header().Set("inin-correlation-id", newUUID())
		s.admin.ServeHTTP(w, r)
	default:
		s.api.ServeHTTP(w, r)
	}
}

// handlerFunc is the body of one API operation. It runs with the store
// locked and returns the status and the value to answer with, or an
// *apiError.
type handlerFunc func(c *call) (int, any, error)

// call is one authenticated API request being handled.
type call struct {
	st       *store
	r        *http.Request
	body     []byte
	now      time.Time
	org      *orgRec
	clientID string
	// mutated is set by a handler that committed a change.
	mutated bool
}

// op is one API operation: its route pattern, what it needs and its body.
type op struct {
	pattern string
	perms   permRule
	fn      handlerFunc
}

// route returns the http.Handler of one API operation.
func (s *Server) route(o op) http.Handler {
	method, _, _ := strings.Cut(o.pattern, " ")
	// The audit queries are POSTs that change nothing.
	write := o.pattern != "" && method != http.MethodGet && !strings.HasSuffix(o.pattern, "/audits")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveAPI(w, r, o, write)
	})
}

// serveAPI answers one API request: latency, auth, scripted faults, rate
// limit, random faults, permissions, then the operation. With a state
// file, a write runs on a copy of the store that replaces it only once
// saved: a change that cannot be saved is not made (500, nothing changed).
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, o op, write bool) {
	corr := newUUID()
	w.Header().Set("inin-correlation-id", corr)
	if s.opts.Latency > 0 {
		if err := s.sleep(r.Context(), s.opts.Latency); err != nil {
			return // the client went away
		}
	}
	body, rerr := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if rerr == nil && len(body) > maxBodyBytes {
		rerr = fmt.Errorf("request body is larger than %d bytes", maxBodyBytes)
	}

	persisting := write && s.opts.StatePath != ""
	if persisting {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	s.mu.Lock()
	work := s.st
	if persisting {
		work = s.st.clone()
	}
	a := s.handleLocked(r, o, write, body, rerr, work)
	if a.mutated && !persisting {
		s.stats.Writes++
	}
	s.mu.Unlock()

	if a.mutated && persisting {
		if err := s.save(work); err != nil {
			a.status, a.val, a.retryAfter = http.StatusInternalServerError, internalError(fmt.Errorf("the change was not made: the sandbox could not save its state file: %w", err)), 0
		} else {
			s.mu.Lock()
			s.st = work
			s.stats.Writes++
			s.mu.Unlock()
		}
	}
	route := o.pattern
	if route == "" {
		route = r.Method + " (unmatched)"
	}
	s.mu.Lock()
	s.stats.Requests++
	s.stats.ByRoute[route]++
	s.stats.ByStatus[strconv.Itoa(a.status)]++
	s.mu.Unlock()
	if a.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(a.retryAfter))
	}
	s.answer(w, corr, a.status, a.val)
}

// outcome is what handleLocked decided: the answer, a Retry-After (0 =
// none) and whether the store was changed.
type outcome struct {
	status     int
	val        any
	retryAfter int
	mutated    bool
}

// handleLocked runs the checks and the handler of one API request on st
// with s.mu held.
func (s *Server) handleLocked(r *http.Request, o op, write bool, body []byte, readErr error, st *store) outcome {
	now := s.clock()
	org, clientID, token, aerr := s.authenticate(r, now)
	if aerr != nil {
		return outcome{status: aerr.Status, val: aerr}
	}
	c := &call{st: st, r: r, body: body, now: now, org: org, clientID: clientID}
	run := func() (int, any) {
		if missing := o.perms.missing(s.st.clientByID[clientID].client.Permissions); len(missing) > 0 {
			ae := missingPermissions(missing)
			return ae.Status, ae
		}
		if readErr != nil {
			return http.StatusBadRequest, badRequest("read request body: %v", readErr)
		}
		st, v, err := o.fn(c)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				ae = internalError(err)
			}
			return ae.Status, ae
		}
		return st, v
	}

	if f := s.takeFault(r); f != nil {
		if write && f.Commit {
			run()
		}
		fe := faultError(f.Status, f.RetryAfter)
		return outcome{fe.Status, fe, fe.RetryAfter, c.mutated}
	}
	if s.opts.RateLimit > 0 {
		if ok, wait := s.allow(token, now); !ok {
			fe := faultError(http.StatusTooManyRequests, wait)
			return outcome{status: fe.Status, val: fe, retryAfter: wait}
		}
	}
	if s.opts.FaultRate > 0 && s.rng.Float64() < s.opts.FaultRate {
		status := []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}[s.rng.IntN(3)]
		commit := s.rng.IntN(2) == 0
		if write && commit {
			run()
		}
		fe := faultError(status, 0)
		return outcome{fe.Status, fe, 0, c.mutated}
	}
	status, v := run()
	return outcome{status: status, val: v, mutated: c.mutated}
}

// takeFault returns the first scripted fault matching r, counting it used.
func (s *Server) takeFault(r *http.Request) *Fault {
	for i, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if f.Path == "" && !strings.HasPrefix(r.URL.Path, apiPrefix) {
			continue
		}
		if f.Path != "" && f.Path != r.URL.Path {
			continue
		}
		if f.Query != "" && !strings.Contains(r.URL.RawQuery, f.Query) {
			continue
		}
		out := *f
		f.Times--
		if f.Times <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return &out
	}
	return nil
}

// allow takes one request from token's bucket. When the bucket is empty it
// returns false and the whole seconds until a request is allowed again.
func (s *Server) allow(token string, now time.Time) (bool, int) {
	rate := float64(s.opts.RateLimit) / 60 // per second
	capacity := math.Max(1, rate)
	b := s.buckets[token]
	if b == nil {
		b = &bucket{tokens: capacity, last: now}
		s.buckets[token] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(capacity, b.tokens+elapsed*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := int(math.Ceil((1 - b.tokens) / rate))
	return false, max(wait, 1)
}

// authenticate resolves the bearer token of r.
func (s *Server) authenticate(r *http.Request, now time.Time) (*orgRec, string, string, *apiError) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(tok) == "" {
		return nil, "", "", &apiError{Status: http.StatusUnauthorized, Code: "authentication.required",
			Message: "No authentication bearer token specified in authorization header."}
	}
	tok = strings.TrimSpace(tok)
	rec := s.st.tokenByVal[tok]
	if rec == nil || !rec.Expires.After(now) {
		return nil, "", "", &apiError{Status: http.StatusUnauthorized, Code: "bad.credentials",
			Message: "Invalid login credentials."}
	}
	return s.st.orgByID[rec.OrgID], rec.ClientID, tok, nil
}

// answer writes an API answer: JSON for a value, nothing for 204, and an
// ErrorBody carrying the correlation id for an *apiError.
func (s *Server) answer(w http.ResponseWriter, corr string, status int, val any) {
	if ae, ok := val.(*apiError); ok {
		if len(ae.Allow) > 0 {
			w.Header().Set("Allow", strings.Join(ae.Allow, ", "))
		}
		val = ae.body(corr)
	}
	if status == http.StatusNoContent || val == nil {
		w.WriteHeader(status)
		return
	}
	data, err := encodeJSON(val)
	if err != nil {
		data, _ = encodeJSON(internalError(err).body(corr))
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// encodeJSON encodes v as the API does: without escaping &, < and > (the
// listings' URIs hold literal "&").
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// routes registers every operation of apiOps.
func (s *Server) routes() {
	s.api = http.NewServeMux()
	for _, o := range apiOps() {
		s.api.Handle(o.pattern, s.route(o))
	}
	s.api.Handle("/", s.route(op{fn: s.handleUnknown}))

	s.admin = http.NewServeMux()
	s.admin.HandleFunc("GET /_sandbox/stats", func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, w.Header().Get("inin-correlation-id"), http.StatusOK, s.Stats())
	})
	s.admin.HandleFunc("POST /_sandbox/stats/reset", func(w http.ResponseWriter, r *http.Request) {
		s.ResetStats()
		s.answer(w, w.Header().Get("inin-correlation-id"), http.StatusOK, s.Stats())
	})
	s.admin.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ae := &apiError{Status: http.StatusNotFound, Code: "not.found",
			Message: fmt.Sprintf("no sandbox route %s %s (there are GET /_sandbox/stats and POST /_sandbox/stats/reset)", r.Method, r.URL.Path)}
		switch r.URL.Path {
		case sandboxPrefix + "/stats":
			ae.Status, ae.Code, ae.Allow = http.StatusMethodNotAllowed, "method.not.allowed", []string{http.MethodGet}
		case sandboxPrefix + "/stats/reset":
			ae.Status, ae.Code, ae.Allow = http.StatusMethodNotAllowed, "method.not.allowed", []string{http.MethodPost}
		}
		s.answer(w, w.Header().Get("inin-correlation-id"), ae.Status, ae)
	})
}

// handleUnknown answers a path no operation matches: 405 when another
// method would match, else 404.
func (s *Server) handleUnknown(c *call) (int, any, error) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if m == c.r.Method {
			continue
		}
		probe := c.r.Clone(context.Background())
		probe.Method = m
		if _, p := s.api.Handler(probe); p != "/" && p != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		return 0, nil, &apiError{Status: http.StatusMethodNotAllowed, Code: "method.not.allowed", Allow: allowed,
			Message: fmt.Sprintf("%s is not allowed on %s (allowed: %s)", c.r.Method, c.r.URL.Path, strings.Join(allowed, ", "))}
	}
	return 0, nil, &apiError{Status: http.StatusNotFound, Code: "not.found",
		Message: fmt.Sprintf("no API operation at %s %s", c.r.Method, c.r.URL.Path)}
}

// serveToken answers POST /oauth/token (client credentials, HTTP Basic).
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	corr := newUUID()
	w.Header().Set("inin-correlation-id", corr)
	s.mu.Lock()
	s.stats.TokenRequests++
	f := s.takeFault(r)
	s.mu.Unlock()
	if f != nil {
		fe := faultError(f.Status, f.RetryAfter)
		if fe.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(fe.RetryAfter))
		}
		oauthCode := "invalid_request"
		if fe.Status >= 500 {
			oauthCode = "server_error"
		}
		s.answer(w, corr, fe.Status, tokenError{Error: oauthCode, ErrorDescription: fe.Message, Description: fe.Message, errorBody: fe.body(corr)})
		return
	}
	fail := func(status int, code, desc string) {
		body := tokenError{Error: code, ErrorDescription: desc, Description: desc,
			errorBody: (&apiError{Status: status, Code: code, Message: desc}).body(corr)}
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="sandbox"`)
		}
		s.answer(w, corr, status, body)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(http.StatusMethodNotAllowed, "invalid_request", "use POST for /oauth/token")
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "malformed form body: "+err.Error())
		return
	}
	id, secret, err := basicClientCredentials(r)
	if err != nil {
		fail(http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	// The client is authenticated before the grant type is looked at, so
	// that a caller without valid credentials learns nothing more than 401.
	now := s.clock()
	persisting := s.opts.StatePath != ""
	if persisting {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	s.mu.Lock()
	c, known := s.st.clientByID[id]
	if !known || subtle.ConstantTimeCompare([]byte(c.client.Secret), []byte(secret)) != 1 {
		s.mu.Unlock()
		fail(http.StatusUnauthorized, "invalid_client", "client not found or wrong secret")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		s.mu.Unlock()
		fail(http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported; use client_credentials", gt))
		return
	}
	tok := &tokenRec{Token: newToken(), ClientID: id, OrgID: c.org.ID, Expires: now.Add(tokenLifetime)}
	work := s.st
	if persisting {
		work = s.st.clone()
	}
	work.addToken(tok, now)
	s.mu.Unlock()
	if persisting {
		if err := s.save(work); err != nil {
			fail(http.StatusInternalServerError, "server_error", "no token was issued: the sandbox could not save its state file: "+err.Error())
			return
		}
		s.mu.Lock()
		s.st = work
		s.mu.Unlock()
	}
	w.Header().Set("Cache-Control", "no-store")
	s.answer(w, corr, http.StatusOK, tokenResponse{AccessToken: tok.Token, TokenType: "bearer", ExpiresIn: int(tokenLifetime / time.Second)})
}

// basicClientCredentials reads the client id and secret of a token request
// from its HTTP Basic header. RFC 6749 section 2.3.1 has the client encode
// both with application/x-www-form-urlencoded before Basic encoding, as
// golang.org/x/oauth2 does; a client that sends them as they are (curl -u)
// still works for ids and secrets without '+', '%' or other reserved
// characters, which decode to themselves.
func basicClientCredentials(r *http.Request) (id, secret string, err error) {
	rawID, rawSecret, ok := r.BasicAuth()
	if !ok {
		return "", "", errors.New("client credentials are required as HTTP Basic authentication")
	}
	if id, err = url.QueryUnescape(rawID); err != nil {
		return "", "", fmt.Errorf("the client id in the Basic header is not form-urlencoded (RFC 6749 section 2.3.1): %v", err)
	}
	if secret, err = url.QueryUnescape(rawSecret); err != nil {
		// The decoder's message quotes part of the secret: leave it out.
		return "", "", errors.New("the client secret in the Basic header is not form-urlencoded (RFC 6749 section 2.3.1): each '%' must start a %XX escape")
	}
	return id, secret, nil
}

// cloneAudit deep-copies an audit entry.
func cloneAudit(m AuditLogMessage) AuditLogMessage {
	if m.User != nil {
		u := *m.User
		m.User = &u
	}
	if m.Client != nil {
		c := *m.Client
		m.Client = &c
	}
	if m.Entity != nil {
		e := *m.Entity
		m.Entity = &e
	}
	if m.Context != nil {
		ctx := make(map[string]string, len(m.Context))
		for k, v := range m.Context {
			ctx[k] = v
		}
		m.Context = ctx
	}
	pcs := make([]PropertyChange, len(m.PropertyChanges))
	for i, pc := range m.PropertyChanges {
		pcs[i] = PropertyChange{Property: pc.Property, OldValues: append([]string{}, pc.OldValues...), NewValues: append([]string{}, pc.NewValues...)}
	}
	m.PropertyChanges = pcs
	return m
}

// decodeJSON decodes a request body into v, naming the field at fault.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("a JSON request body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				return badRequest("request body: expected %s, got a JSON %s", jsonKind(te.Type.Kind().String()), te.Value)
			}
			ae := badRequest("field %s: expected %s, got a JSON %s", field, jsonKind(te.Type.Kind().String()), te.Value)
			ae.Details = []errorDetail{{ErrorCode: "invalid.value", FieldName: field}}
			return ae
		case errors.As(err, &se):
			return badRequest("malformed JSON at byte %d: %v", se.Offset, err)
		default:
			return badRequest("malformed JSON: %v", err)
		}
	}
	if dec.More() {
		return badRequest("malformed JSON: unexpected data after the request body")
	}
	return nil
}

// jsonKind names a Go kind the way a JSON user thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int", "int64", "float64":
		return "a number"
	}
	return "a " + kind
}
