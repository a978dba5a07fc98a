package run_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/run"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// demoConfig changes the demo org in 7 ways: Bo's roles are reduced and
// extended, Bella loses a role, Ben is removed, Bianca is added; Oscar
// leaves the Copperfield trustor and Priya joins it.
const demoConfig = `version: 1
organization:
  id: a0000000-0000-4000-8000-000000000001
trustees:
  - id: b0000000-0000-4000-8000-000000000002
    expires: 2027-03-31
    users:
      - {id: b2000000-0000-4000-8000-000000000001, roles: ["Claims Supervisor", "Quality Evaluator"]}
      - {id: b2000000-0000-4000-8000-000000000002, roles: ["Claims Agent"]}
      - {id: b2000000-0000-4000-8000-000000000004, roles: ["Claims Agent"]}
trustors:
  - id: c0000000-0000-4000-8000-000000000003
    users:
      - a2000000-0000-4000-8000-000000000001
      - a2000000-0000-4000-8000-000000000003
`

// env is a demo sandbox over HTTP and a target managing its home org.
type env struct {
	t   *testing.T
	srv *sandbox.Server
	ts  *httptest.Server
	dir string
	// inFlight and peak count the API requests the sandbox is serving.
	inFlight, peak atomic.Int64
}

func newEnv(t *testing.T, opts sandbox.Options) *env {
	t.Helper()
	srv, err := sandbox.New(sandbox.DemoFixture(), opts)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: srv, dir: t.TempDir()}
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			n := e.inFlight.Add(1)
			defer e.inFlight.Add(-1)
			for {
				p := e.peak.Load()
				if n <= p || e.peak.CompareAndSwap(p, n) {
					break
				}
			}
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		e.ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
	})
	if err := os.WriteFile(filepath.Join(e.dir, "trusts.yaml"), []byte(demoConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// target manages the home org through a client admitting concurrency
// requests at a time.
func (e *env) target(concurrency int) run.Target {
	home := e.srv.Orgs()[0].Clients[0]
	return run.Target{
		Files: []string{"trusts.yaml"},
		Dir:   e.dir,
		Connect: func(context.Context, string) (*run.Conn, error) {
			c, err := client.New(client.Config{
				APIURL: e.ts.URL, LoginURL: e.ts.URL,
				ClientID: home.ID, ClientSecret: home.Secret,
				Concurrency: concurrency, MaxAttempts: 3, Deadline: 30 * time.Second,
			})
			if err != nil {
				return nil, err
			}
			return &run.Conn{Client: c, Close: func() error { c.CloseIdleConnections(); return nil }}, nil
		},
	}
}

// reporter collects what run reports; onEnd, when set, is called as each
// change ends, with how many have ended.
type reporter struct {
	mu    sync.Mutex
	diags config.Diagnostics
	reads int
	ended []apply.ChangeResult
	onEnd func(n int, r apply.ChangeResult)
}

func (r *reporter) Loaded(d config.Diagnostics) { r.diags = d }
func (r *reporter) Reading(live.Progress)       {}
func (r *reporter) Read(run.ReadStats)          { r.reads++ }
func (r *reporter) ChangeEnded(res apply.ChangeResult) {
	r.mu.Lock()
	r.ended = append(r.ended, res)
	n := len(r.ended)
	r.mu.Unlock()
	if r.onEnd != nil {
		r.onEnd(n, res)
	}
}

func planned(t *testing.T, e *env, tg run.Target, rep run.Reporter) *run.Planned {
	t.Helper()
	p, err := run.Plan(context.Background(), tg, run.PlanOptions{}, rep)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func TestPlanApplyVerifyRecord(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	rep := &reporter{}
	p := planned(t, e, e.target(4), rep)
	if rep.reads != 1 || len(p.Plan.Changes) != 7 {
		t.Fatalf("%d reads reported, %d changes; want 1 and 7", rep.reads, len(p.Plan.Changes))
	}
	path := filepath.Join(e.dir, "record.json")
	// Whenever a change ends, the record on disk is a valid, incomplete
	// record (written before the first write), holding some of the changes
	// that ended before it (the background writer may lag) and never
	// fewer than an earlier look showed.
	// What a crash at this moment would leave: every change it calls ok is
	// in the audit log already.
	seen := 0
	auditStart := len(e.srv.AuditLog())
	rep.onEnd = func(n int, _ apply.ChangeResult) {
		rec := readRecord(t, path)
		s := rec.Summary
		if rec.Complete || s.OK > n || s.OK < seen || s.OK+s.Pending != 7 {
			t.Errorf("record when change %d ended: complete %t, summary %+v (earlier %d ok)", n, rec.Complete, s, seen)
		}
		seen = s.OK
		entries := e.srv.AuditLog()[auditStart:]
		for i, rc := range rec.Changes {
			c := p.Plan.Changes[i]
			if rc.Status == "ok" && !slices.ContainsFunc(entries, func(m sandbox.AuditLogMessage) bool {
				return sameObject(m, c.TrustorID, c.TrusteeID, c.UserID)
			}) {
				t.Errorf("record when change %d ended calls %s ok, but the audit log has no write to it", n, rc.Address)
			}
		}
	}
	got, err := p.Apply(context.Background(), run.ApplyOptions{Record: path, TrustsyncVersion: "test"}, rep)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if !got.Result.Succeeded() || !got.Verification.Ran || !got.Verification.Clean || len(got.Remaining) != 0 {
		t.Fatalf("result %+v, verification %+v", got.Result.Counts(), got.Verification)
	}
	rec := readRecord(t, path)
	if !rec.Complete || rec.Interrupted || rec.Summary != (apply.RecordSummary{OK: 7}) || !rec.Verification.Clean {
		t.Errorf("final record: complete %t, interrupted %t, summary %+v, verification %+v", rec.Complete, rec.Interrupted, rec.Summary, rec.Verification)
	}

	// Nothing left: Apply writes a clean, complete record and no change.
	again := planned(t, e, e.target(4), &reporter{})
	e.srv.ResetStats()
	got, err = again.Apply(context.Background(), run.ApplyOptions{Record: path}, &reporter{})
	if err != nil || got.Result != nil || !got.Verification.Clean {
		t.Fatalf("apply with no changes: %+v, %v", got, err)
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Errorf("%d writes with no changes", w)
	}
	if rec := readRecord(t, path); !rec.Complete || len(rec.Changes) != 0 {
		t.Errorf("record with no changes: %+v", rec)
	}
}

// TestConcurrencyBoundsEveryRequest: the client's limit is the one bound on
// requests in flight, for plan reads, apply writes and read-backs, and
// verification alike.
func TestConcurrencyBoundsEveryRequest(t *testing.T) {
	for _, n := range []int{1, 3} {
		e := newEnv(t, sandbox.Options{Latency: 2 * time.Millisecond})
		p := planned(t, e, e.target(n), &reporter{})
		if _, err := p.Apply(context.Background(), run.ApplyOptions{}, &reporter{}); err != nil {
			t.Fatal(err)
		}
		if peak := e.peak.Load(); peak > int64(n) || peak < 1 {
			t.Errorf("concurrency %d: %d requests were in flight at once", n, peak)
		}
	}
}

// TestApplyStartsChangesFreely: apply keeps no limit of its own, so as many
// independent writes are in flight at once as the client admits. The
// sandbox holds each write of the narrowing stage until that many have
// arrived together.
func TestApplyStartsChangesFreely(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	p := planned(t, e, e.target(1), &reporter{})
	independent := 0
	for _, c := range p.Plan.Changes {
		if c.Effect.String() == "narrow" && len(c.DependsOn) == 0 {
			independent++
		}
	}
	if independent < 3 {
		t.Fatalf("the plan has %d independent narrowing changes; the test needs 3", independent)
	}
	const want = 3
	var mu sync.Mutex
	arrived := 0
	together := make(chan struct{})
	bound := time.NewTimer(20 * time.Second)
	defer bound.Stop()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/") {
			mu.Lock()
			arrived++
			if arrived == want {
				close(together)
			}
			mu.Unlock()
			select {
			case <-together:
			case <-bound.C:
				t.Errorf("only %d writes were in flight together, want %d", arrived, want)
			}
		}
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	home := e.srv.Orgs()[0].Clients[0]
	c, err := client.New(client.Config{APIURL: ts.URL, LoginURL: ts.URL, ClientID: home.ID, ClientSecret: home.Secret, Concurrency: want})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	p.Client = c
	got, err := p.Apply(context.Background(), run.ApplyOptions{}, &reporter{})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Result.Succeeded() {
		t.Errorf("counts %+v", got.Result.Counts())
	}
}

// TestInterruptedApplyMatchesAudit stops an apply at several points
// against a sandbox with latency, gracefully (Stop: the writes in flight
// finish) and at once (the context), and compares the record with the
// sandbox's audit log: every change recorded ok was written, every write
// belongs to a change recorded ok or unknown, and nothing is recorded
// failed.
func TestInterruptedApplyMatchesAudit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after int  // stop when this many changes have ended
		hard  bool // also cancel the context
	}{
		{"graceful at start", 0, false},
		{"graceful after 1", 1, false},
		{"graceful after 3", 3, false},
		{"graceful after 5", 5, false},
		{"at once after 1", 1, true},
		{"at once after 4", 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{Latency: 15 * time.Millisecond})
			rep := &reporter{}
			p := planned(t, e, e.target(2), rep)
			path := filepath.Join(e.dir, "record.json")
			stop := make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var once sync.Once
			halt := func() {
				once.Do(func() {
					close(stop)
					if tc.hard {
						cancel()
					}
				})
			}
			if tc.after == 0 {
				halt()
			}
			rep.onEnd = func(n int, _ apply.ChangeResult) {
				if n == tc.after {
					halt()
				}
			}
			auditStart := len(e.srv.AuditLog())
			got, err := p.Apply(ctx, run.ApplyOptions{Record: path, Stop: stop}, rep)
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if !got.Result.Interrupted || got.Verification.Ran {
				t.Errorf("interrupted %t, verification ran %t; want interrupted, not verified", got.Result.Interrupted, got.Verification.Ran)
			}
			rec := readRecord(t, path)
			if !rec.Complete || !rec.Interrupted || rec.Summary.Pending != 0 || rec.Summary.Failed != 0 {
				t.Fatalf("record: complete %t, interrupted %t, summary %+v", rec.Complete, rec.Interrupted, rec.Summary)
			}
			t.Logf("record summary: %+v", rec.Summary)
			if tc.after == 0 && rec.Summary.Skipped != len(rec.Changes) {
				t.Errorf("stopped before the start: summary %+v, want everything skipped", rec.Summary)
			}
			if !tc.hard && rec.Summary.Unknown != 0 {
				t.Errorf("graceful stop left %d changes unknown", rec.Summary.Unknown)
			}
			for i, c := range got.Result.Changes {
				if c.Status == apply.StatusSkipped && tc.after > 0 && !errors.Is(c.Err, apply.ErrInterrupted) &&
					!strings.Contains(c.Err.Error(), "no widening change runs") && !strings.Contains(c.Err.Error(), "prerequisite") {
					t.Errorf("change %d skipped for %v", i, c.Err)
				}
			}

			entries := e.srv.AuditLog()[auditStart:]
			for i, rc := range rec.Changes {
				c := p.Plan.Changes[i]
				written := false
				for _, m := range entries {
					if sameObject(m, c.TrustorID, c.TrusteeID, c.UserID) {
						written = true
					}
				}
				switch {
				case rc.Status == "ok" && !written:
					t.Errorf("%s recorded ok, but the audit log has no write to it", rc.Address)
				case (rc.Status == "skipped" || rc.Status == "failed") && written && !splitHalf(p, i, rec):
					t.Errorf("%s recorded %s (%s), but the audit log shows a write to it", rc.Address, rc.Status, rc.Error)
				}
			}
			for _, m := range entries {
				explained := false
				for i, rc := range rec.Changes {
					c := p.Plan.Changes[i]
					if (rc.Status == "ok" || rc.Status == "unknown") && sameObject(m, c.TrustorID, c.TrusteeID, c.UserID) {
						explained = true
					}
				}
				if !explained {
					t.Errorf("audit entry %s %s %v belongs to no change recorded ok or unknown", m.Action, m.EntityType, m.Context)
				}
			}
		})
	}
}

// sameObject reports whether an audit entry is about the object of a change
// with these ids.
func sameObject(m sandbox.AuditLogMessage, trustor, trustee, user string) bool {
	return m.Context["trustorOrgId"] == trustor && m.Context["trusteeOrgId"] == trustee && m.Context["userId"] == user
}

// splitHalf reports whether change i is one half of a change split in two
// whose other half the record shows ok or unknown: the audit log cannot tell the
// halves apart by object.
func splitHalf(p *run.Planned, i int, rec *apply.Record) bool {
	c := p.Plan.Changes[i]
	for j, o := range p.Plan.Changes {
		if j != i && o.Kind == c.Kind && o.TrusteeID == c.TrusteeID && o.TrustorID == c.TrustorID && o.UserID == c.UserID && (rec.Changes[j].Status == "ok" || rec.Changes[j].Status == "unknown") {
			return true
		}
	}
	return false
}

func readRecord(t *testing.T, path string) *apply.Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read record: %v", err)
	}
	var rec apply.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("record is not valid JSON: %v", err)
	}
	return &rec
}
