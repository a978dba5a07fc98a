package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// wireLog records the correlation id the sandbox put on each API answer, as
// it went on the wire, in the order the answers were completed.
type wireLog struct {
	mu  sync.Mutex
	ids []string
	// strip lists request paths whose answers lose the correlation id
	// header on the way out.
	strip map[string]bool
}

func (l *wireLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		sw := &headerWriter{ResponseWriter: w, strip: l.strip[r.URL.Path]}
		next.ServeHTTP(sw, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.ids = append(l.ids, sw.sent)
	})
}

func (l *wireLog) IDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ids)
}

// headerWriter notes the correlation id header an answer is sent with,
// deleting it first when strip is set.
type headerWriter struct {
	http.ResponseWriter
	strip       bool
	wroteHeader bool
	sent        string
}

func (w *headerWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if w.strip {
		w.Header().Del("inin-correlation-id")
	}
	w.sent = w.Header().Get("inin-correlation-id")
	w.ResponseWriter.WriteHeader(status)
}

func (w *headerWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// TestCorrelationRecorder: a recorder sees the id of every answer to
// requests made with its context, successes, retried attempts and errors
// alike, exactly as the service sent them; requests with a plain context
// record nothing.
func TestCorrelationRecorder(t *testing.T) {
	wire := &wireLog{}
	env := newEnv(t, sandbox.Options{}, wire.wrap)
	c := env.client(t, nil)
	plain := ctxT(t)

	// A plain context before any recorder exists: nothing to record into.
	if _, err := c.GetOrganizationMe(plain); err != nil {
		t.Fatalf("GetOrganizationMe: %v", err)
	}
	skip := len(wire.IDs())

	var rec CorrelationRecorder
	if ids := rec.IDs(); ids != nil {
		t.Fatalf("new recorder IDs = %q, want nil", ids)
	}
	ctx := WithCorrelationRecorder(plain, &rec)
	// A success.
	if _, err := c.GetTrustee(ctx, bluebird); err != nil {
		t.Fatalf("GetTrustee: %v", err)
	}
	// A read retried after a 503: both attempts' answers.
	env.srv.Inject(sandbox.Fault{Method: "GET", Path: trusteesPath + "/" + bluebird + "/users/" + bo + "/roles", Status: http.StatusServiceUnavailable})
	if _, err := c.GetTrusteeUserRoles(ctx, bluebird, bo); err != nil {
		t.Fatalf("GetTrusteeUserRoles after a 503: %v", err)
	}
	// A request of the same client with the plain context meanwhile.
	if _, err := c.ListTrustees(plain); err != nil {
		t.Fatalf("ListTrustees: %v", err)
	}
	plainIdx := len(wire.IDs()) - 1
	// A write, then an error answer.
	if _, err := c.SetTrusteeUserRoles(ctx, bluebird, bo, []string{roleReportingViewer}); err != nil {
		t.Fatalf("SetTrusteeUserRoles: %v", err)
	}
	env.srv.Inject(sandbox.Fault{Method: "GET", Path: trusteesPath + "/" + bluebird + "/users/" + bo, Status: http.StatusForbidden})
	_, err := c.GetTrusteeUser(ctx, bluebird, bo)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden || apiErr.CorrelationID == "" {
		t.Fatalf("GetTrusteeUser = %v, want a 403 with a correlation id", err)
	}

	sent := wire.IDs()
	want := slices.Delete(slices.Clone(sent[skip:]), plainIdx-skip, plainIdx-skip+1)
	got := rec.IDs()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded ids differ from the answers sent (-sent +recorded):\n%s", diff)
	}
	if len(got) != 5 {
		t.Errorf("recorded %d ids, want 5 (success, 503, its retry, write, 403): %q", len(got), got)
	}
	requireDistinctIDs(t, got)
	if last := got[len(got)-1]; last != apiErr.CorrelationID {
		t.Errorf("last recorded id %s, want the 403's %s", last, apiErr.CorrelationID)
	}
	if slices.Contains(got, sent[plainIdx]) || slices.Contains(got, sent[skip-1]) {
		t.Errorf("ids of plain-context requests were recorded: %q", got)
	}

	// IDs returns a copy.
	got[0] = "changed"
	if rec.IDs()[0] == "changed" {
		t.Error("IDs shares its slice with the recorder")
	}
}

// TestCorrelationRecorderErrorBodyID: an error answer without the header
// is recorded with the id its body names, as APIError has it; a success
// without the header records nothing.
func TestCorrelationRecorderErrorBodyID(t *testing.T) {
	userPath := trusteesPath + "/" + bluebird + "/users/" + bo
	wire := &wireLog{strip: map[string]bool{userPath: true}}
	env := newEnv(t, sandbox.Options{}, wire.wrap)
	c := env.client(t, nil)
	var rec CorrelationRecorder
	ctx := WithCorrelationRecorder(ctxT(t), &rec)

	if _, err := c.GetTrusteeUser(ctx, bluebird, bo); err != nil {
		t.Fatalf("GetTrusteeUser: %v", err)
	}
	if ids := rec.IDs(); ids != nil {
		t.Errorf("a success without a correlation id recorded %q", ids)
	}
	env.srv.Inject(sandbox.Fault{Method: "GET", Path: userPath, Status: http.StatusForbidden})
	_, err := c.GetTrusteeUser(ctx, bluebird, bo)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.CorrelationID == "" {
		t.Fatalf("GetTrusteeUser = %v, want an API error naming its body's correlation id", err)
	}
	if ids := rec.IDs(); !slices.Equal(ids, []string{apiErr.CorrelationID}) {
		t.Errorf("recorded %q, want [%s]", ids, apiErr.CorrelationID)
	}
	if sent := wire.IDs(); !slices.Equal(sent, []string{"", ""}) {
		t.Errorf("the wrapper let a correlation id header through: %q", sent)
	}
}

// TestCorrelationRecorderNested: a recorder attached inside another's
// context records only its own requests while the outer one records all;
// attaching a recorder twice records each answer once.
func TestCorrelationRecorderNested(t *testing.T) {
	wire := &wireLog{}
	env := newEnv(t, sandbox.Options{}, wire.wrap)
	c := env.client(t, nil)
	var outer, inner CorrelationRecorder
	octx := WithCorrelationRecorder(ctxT(t), &outer)
	octx = WithCorrelationRecorder(octx, &outer)
	ictx := WithCorrelationRecorder(octx, &inner)
	if WithCorrelationRecorder(octx, nil) != octx {
		t.Error("a nil recorder changed the context")
	}

	for _, ctx := range []context.Context{octx, ictx, octx, ictx} {
		if _, err := c.GetTrustee(ctx, bluebird); err != nil {
			t.Fatalf("GetTrustee: %v", err)
		}
	}
	sent := wire.IDs()
	sent = sent[len(sent)-4:]
	if got := outer.IDs(); !slices.Equal(got, sent) {
		t.Errorf("outer recorded %q, want every answer %q", got, sent)
	}
	if got, want := inner.IDs(), []string{sent[1], sent[3]}; !slices.Equal(got, want) {
		t.Errorf("inner recorded %q, want its own answers %q", got, want)
	}
}

// TestCorrelationRecorderConcurrent: callers sharing a client, each with
// its own recorder and all with a shared one, under random faults; every
// caller gets exactly the ids of its own answers.
func TestCorrelationRecorderConcurrent(t *testing.T) {
	wire := &wireLog{}
	env := newEnv(t, sandbox.Options{FaultRate: 0.2, FaultSeed: 5}, wire.wrap)
	c := env.client(t, func(cfg *Config) { cfg.Concurrency = 3; cfg.MaxAttempts = 20 })
	var shared CorrelationRecorder
	base := WithCorrelationRecorder(ctxT(t), &shared)
	// The token request and its answer happen before the callers start.
	if _, err := c.GetOrganizationMe(ctxT(t)); err != nil {
		t.Fatalf("GetOrganizationMe: %v", err)
	}
	before := len(wire.IDs())

	const callers, calls = 8, 6
	own := make([]CorrelationRecorder, callers)
	var wg sync.WaitGroup
	errs := make(chan error, callers*calls)
	for i := range callers {
		wg.Go(func() {
			ctx := WithCorrelationRecorder(base, &own[i])
			for j := range calls {
				var err error
				if (i+j)%2 == 0 {
					_, err = c.GetTrustee(ctx, bluebird)
				} else {
					_, err = c.GetTrusteeUserRoles(ctx, bluebird, bo)
				}
				if err != nil {
					errs <- fmt.Errorf("caller %d call %d: %w", i, j, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	sent := wire.IDs()[before:]
	all := shared.IDs()
	requireDistinctIDs(t, all)
	if diff := cmp.Diff(sorted(sent), sorted(all)); diff != "" {
		t.Errorf("shared recorder differs from the answers sent (-sent +recorded):\n%s", diff)
	}
	var union []string
	for i := range own {
		ids := own[i].IDs()
		if len(ids) < calls {
			t.Errorf("caller %d recorded %d ids for %d calls", i, len(ids), calls)
		}
		union = append(union, ids...)
	}
	if diff := cmp.Diff(sorted(all), sorted(union)); diff != "" {
		t.Errorf("callers' recorders do not split the shared one (-shared +callers):\n%s", diff)
	}
	if len(sent) == callers*calls {
		t.Error("no request was retried; the test proves nothing about attempts")
	}
}

func sorted(ids []string) []string {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}

// requireDistinctIDs fails unless every id is non-empty and unique.
func requireDistinctIDs(t *testing.T, ids []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Errorf("ids %q: want each non-empty and unique", ids)
			return
		}
		seen[id] = true
	}
}
