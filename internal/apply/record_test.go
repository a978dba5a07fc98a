package apply_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/sandbox"
	"github.com/trustsync/trustsync/internal/version"
)

func TestRecord(t *testing.T) {
	p := &plan.Plan{
		Organization: plan.Org{ID: northwind, Name: "Northwind Insurance"},
		Changes: []plan.Change{
			{Action: plan.Delete, Kind: plan.KindTrusteeUser, Address: "trustee[B].user[Ben]", TrusteeID: bluebird, TrustorID: northwind, UserID: benBaker, Effect: plan.Narrow, Reason: "not in configuration"},
			{Action: plan.Create, Kind: plan.KindTrustorUser, Address: "trustor[C].user[Priya]", TrusteeID: northwind, TrustorID: copperfield, UserID: priyaPatel, Effect: plan.Widen, Reason: "in configuration, not live"},
		},
	}
	plan.Link(p.Changes)
	ended := []apply.ChangeResult{
		{Index: 0, Change: p.Changes[0], Status: apply.StatusFailed, Err: errors.New("remove user: 403 Forbidden [correlation id c-1]"),
			Duration: 1500 * time.Millisecond, Attempts: 1, CorrelationIDs: []string{"c-1"}},
		{Index: 1, Change: p.Changes[1], Status: apply.StatusSkipped, Err: errors.New("a narrowing change did not succeed, so no widening change runs")},
	}
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	rec := apply.NewRecord(p, ended, apply.RecordMeta{
		Start: start, TrustsyncVersion: "1.2.3", GitCommit: "abc123", Complete: true,
		Build:       version.Info{Version: "1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", GoVersion: "go1.26.0", Platform: "linux/amd64"},
		ConfigFiles: []string{"trusts.yaml"}, ConfigDigest: "cd", PlanDigest: "pd", LiveFingerprint: "lf",
		Verification: apply.Verification{Ran: true, Remaining: []string{"trustee[B].user[Ben]"}},
	})
	path := filepath.Join(t.TempDir(), "record.json")
	if err := rec.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("record is not JSON: %v", err)
	}
	delete(got, "duration_ms") // wall time since start
	want := map[string]any{
		"record_version":    "2",
		"complete":          true,
		"interrupted":       false,
		"time":              "2026-03-01T09:00:00Z",
		"trustsync_version": "1.2.3",
		"trustsync": map[string]any{"version": "1.2.3", "commit": "0123456789abcdef0123456789abcdef01234567",
			"go_version": "go1.26.0", "platform": "linux/amd64"},
		"git_commit":       "abc123",
		"organization":     map[string]any{"id": northwind, "name": "Northwind Insurance"},
		"config_files":     []any{"trusts.yaml"},
		"config_digest":    "cd",
		"plan_digest":      "pd",
		"live_fingerprint": "lf",
		"summary":          map[string]any{"ok": 0.0, "failed": 1.0, "skipped": 1.0, "unknown": 0.0, "pending": 0.0},
		"changes": []any{
			map[string]any{
				"key": "trustee_user/" + bluebird + "/" + benBaker, "depends_on": []any{}, "requires": []any{}, "before": nil, "after": nil,
				"address": "trustee[B].user[Ben]", "action": "delete", "kind": "trustee_user", "effect": "narrow",
				"reason": "not in configuration", "trustee_id": bluebird, "trustor_id": northwind, "user_id": benBaker,
				"status": "failed", "duration_ms": 1500.0, "attempts": 1.0, "correlation_ids": []any{"c-1"}, "notes": []any{},
				"error": "remove user: 403 Forbidden [correlation id c-1]",
			},
			map[string]any{
				"key": "trustor_user/" + copperfield + "/" + priyaPatel, "depends_on": []any{}, "requires": []any{}, "before": nil, "after": nil,
				"address": "trustor[C].user[Priya]", "action": "create", "kind": "trustor_user", "effect": "widen",
				"reason": "in configuration, not live", "trustee_id": northwind, "trustor_id": copperfield, "user_id": priyaPatel,
				"status": "skipped", "duration_ms": 0.0, "attempts": 0.0, "correlation_ids": []any{}, "notes": []any{},
				"error": "a narrowing change did not succeed, so no widening change runs",
			},
		},
		"verification": map[string]any{"ran": true, "clean": false, "remaining": []any{"trustee[B].user[Ben]"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}

	// Written before the first change ends: every change is pending.
	rec = apply.NewRecord(p, nil, apply.RecordMeta{Start: start})
	if rec.Complete || rec.Summary != (apply.RecordSummary{Pending: 2}) || rec.Changes[0].Status != apply.StatusPending || rec.Changes[1].Status != apply.StatusPending {
		t.Errorf("record before any change ended: complete %t, summary %+v, changes %+v", rec.Complete, rec.Summary, rec.Changes)
	}

	// Nothing to apply: an empty, clean record; no temporary files left.
	rec = apply.NewRecord(&plan.Plan{Organization: p.Organization}, nil, apply.RecordMeta{Start: start, Complete: true, Verification: apply.Verification{Ran: true, Clean: true}})
	if err := rec.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if rec.Changes == nil || len(rec.Changes) != 0 || rec.Verification.Remaining == nil || rec.GitCommit != "" {
		t.Errorf("empty record: %+v", rec)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after two writes, want just the record", len(entries))
	}
	if err := rec.WriteFile(filepath.Join(t.TempDir(), "missing", "record.json")); err == nil {
		t.Error("writing into a missing directory did not fail")
	}
}

// wireAnswer is an API answer as the sandbox sent it.
type wireAnswer struct {
	method, path string
	status       int
	correlation  string
}

// wireLog wraps the sandbox handler and notes every API answer it sends,
// with the inin-correlation-id header the sandbox set on it.
type wireLog struct {
	mu      sync.Mutex
	answers []wireAnswer
}

func (l *wireLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.answers = append(l.answers, wireAnswer{r.Method, r.URL.Path, sw.status, w.Header().Get("inin-correlation-id")})
	})
}

// byCorrelation returns the answers by correlation id, failing the test if
// an answer has none or shares one.
func (l *wireLog) byCorrelation(t *testing.T) map[string]wireAnswer {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[string]wireAnswer{}
	for _, a := range l.answers {
		if _, dup := m[a.correlation]; dup || a.correlation == "" {
			t.Fatalf("sandbox answer %+v: correlation id missing or not unique", a)
		}
		m[a.correlation] = a
	}
	return m
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// writeRequest is the method and path of the API write that executes c.
func writeRequest(c plan.Change) (method, path string) {
	const api = "/api/v2/orgauthorization"
	switch c.Kind {
	case plan.KindTrustee:
		switch c.Action {
		case plan.Create:
			return "POST", api + "/trustees"
		case plan.Update:
			return "PUT", api + "/trustees/" + c.TrusteeID
		}
		return "DELETE", api + "/trustees/" + c.TrusteeID
	case plan.KindTrusteeUser:
		if c.Action == plan.Create {
			return "POST", api + "/trustees/" + c.TrusteeID + "/users"
		}
		return "DELETE", api + "/trustees/" + c.TrusteeID + "/users/" + c.UserID
	case plan.KindTrusteeUserRoles:
		if c.Action == plan.Delete || c.After == nil || len(c.After.Roles) == 0 {
			return "DELETE", api + "/trustees/" + c.TrusteeID + "/users/" + c.UserID + "/roles"
		}
		return "PUT", api + "/trustees/" + c.TrusteeID + "/users/" + c.UserID + "/roles"
	case plan.KindTrustor:
		return "DELETE", api + "/trustors/" + c.TrustorID
	case plan.KindTrustorUser:
		if c.Action == plan.Create {
			return "PUT", api + "/trustors/" + c.TrustorID + "/users/" + c.UserID
		}
		return "DELETE", api + "/trustors/" + c.TrustorID + "/users/" + c.UserID
	}
	return "", ""
}

// TestRecordCarriesAnswerCorrelationIDs: the record written after a real
// apply lists, for each successful change, the correlation id the sandbox
// put on its write's answer, followed by those of its read-backs, and
// every API answer of the run appears under exactly one change.
func TestRecordCarriesAnswerCorrelationIDs(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	cfg := h.load(fmt.Sprintf(everyKind, h.pairing(copperfield, coraCopper)))
	p := h.plan(h.home, cfg)

	wire := &wireLog{}
	ts := httptest.NewServer(wire.wrap(h.srv))
	t.Cleanup(ts.Close)
	api := h.client(northwind, client.Config{APIURL: ts.URL, LoginURL: ts.URL})
	t.Cleanup(api.CloseIdleConnections)
	res, err := apply.Run(context.Background(), api, p, apply.Options{AllowRemovals: true})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	requireOK(t, res)

	path := filepath.Join(t.TempDir(), "record.json")
	if err := apply.NewRecord(p, res.Changes, apply.RecordMeta{Start: time.Now(), Complete: true}).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec apply.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("record: %v", err)
	}
	if len(rec.Changes) != len(p.Changes) {
		t.Fatalf("record has %d changes, the plan %d", len(rec.Changes), len(p.Changes))
	}

	answers := wire.byCorrelation(t)
	listed := map[string]string{}
	for i, rc := range rec.Changes {
		c := p.Changes[i]
		if rc.Status != "ok" || len(rc.CorrelationIDs) == 0 {
			t.Errorf("%s: status %s, correlation ids %q; want ok with its answers' ids", rc.Address, rc.Status, rc.CorrelationIDs)
			continue
		}
		method, wpath := writeRequest(c)
		if a, ok := answers[rc.CorrelationIDs[0]]; !ok || a.method != method || a.path != wpath || a.status >= 300 {
			t.Errorf("%s: first correlation id %s belongs to answer %+v, want the 2xx answer to %s %s",
				rc.Address, rc.CorrelationIDs[0], a, method, wpath)
		}
		for _, id := range rc.CorrelationIDs[1:] {
			a, ok := answers[id]
			if !ok || a.method != "GET" || !strings.HasPrefix(a.path, wpath) {
				t.Errorf("%s: correlation id %s belongs to answer %+v, want a read-back under %s", rc.Address, id, a, wpath)
			}
		}
		// Roles are always read back (one GET); nothing else is after
		// a plain success.
		want := 1
		if c.Kind == plan.KindTrusteeUserRoles {
			want = 2
		}
		if len(rc.CorrelationIDs) != want {
			t.Errorf("%s: %d correlation ids %q; want the write's, and for roles their read-back's", rc.Address, len(rc.CorrelationIDs), rc.CorrelationIDs)
		}
		for _, id := range rc.CorrelationIDs {
			if prev, dup := listed[id]; dup {
				t.Errorf("correlation id %s is listed for %s and %s", id, prev, rc.Address)
			}
			listed[id] = rc.Address
		}
	}
	for id, a := range answers {
		if _, ok := listed[id]; !ok {
			t.Errorf("the answer to %s %s (%d, correlation id %s) is in no change's record", a.method, a.path, a.status, id)
		}
	}
}
