package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// The CLI tests here drive `trustsync apply` through runCLI() against a
// sandbox served over HTTP (--api-url), so that they can inject faults,
// pretend to be a terminal and count the sandbox's writes exactly. The
// scripts in testdata/script/apply*.txt tell the everyday stories.

const applyDemoConfig = `version: 1
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

// applySandbox is a demo sandbox over HTTP, kept in a state file so that it
// can be restarted with other options.
type applySandbox struct {
	t     *testing.T
	state string
	srv   *sandbox.Server
	ts    *httptest.Server
	// inFlight and peak count the API requests being served.
	inFlight, peak atomic.Int64
}

func newApplySandbox(t *testing.T, opts sandbox.Options) *applySandbox {
	t.Helper()
	s := &applySandbox{t: t, state: filepath.Join(t.TempDir(), "sandbox.json")}
	s.start(opts)
	t.Cleanup(s.stop)
	return s
}

func (s *applySandbox) start(opts sandbox.Options) {
	s.t.Helper()
	opts.StatePath = s.state
	srv, err := sandbox.New(sandbox.DemoFixture(), opts)
	if err != nil {
		s.t.Fatalf("start sandbox: %v", err)
	}
	s.srv = srv
	s.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			n := s.inFlight.Add(1)
			defer s.inFlight.Add(-1)
			for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
			}
		}
		srv.ServeHTTP(w, r)
	}))
}

func (s *applySandbox) stop() {
	if s.ts == nil {
		return
	}
	s.ts.Close()
	if err := s.srv.Close(); err != nil {
		s.t.Errorf("close sandbox: %v", err)
	}
	s.ts, s.srv = nil, nil
}

func (s *applySandbox) restart(opts sandbox.Options) {
	s.stop()
	s.start(opts)
}

// applyResult is one CLI run's outcome.
type applyResult struct {
	code           int
	stdout, stderr string
}

// trustsync runs the CLI in dir against the sandbox. terminal says whether
// stdin (and only stdin) is a terminal; input is what it holds.
func (s *applySandbox) trustsync(dir string, terminal bool, input string, args ...string) applyResult {
	s.t.Helper()
	return s.trustsyncWith(context.Background(), dir, terminal, strings.NewReader(input), args...)
}

// trustsyncWith is trustsync with the process context (cancelled by the
// first interrupt) and stdin given.
func (s *applySandbox) trustsyncWith(ctx context.Context, dir string, terminal bool, stdin io.Reader, args ...string) applyResult {
	s.t.Helper()
	home := s.srv.Orgs()[0].Clients[0]
	vars := map[string]string{
		envAPIURL:       s.ts.URL,
		envClientID:     home.ID,
		envClientSecret: home.Secret,
		"NO_COLOR":      "1",
	}
	var stdout, stderr bytes.Buffer
	e := &env{
		ctx:     ctx,
		stdin:   stdin,
		stdout:  &stdout,
		stderr:  &stderr,
		getenv:  func(k string) string { return vars[k] },
		version: "test",
		isTerminal: func(f any) bool {
			return terminal && f == any(stdin)
		},
		workDir: dir,
	}
	code := runCLI(ctx, args, e)
	return applyResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func applyWorkDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func requireCode(t *testing.T, r applyResult, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
}

func requireContains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, text)
		}
	}
}

var resultLineRE = regexp.MustCompile(`^(ok|failed|skipped|unknown) +(\S.*?) \([0-9.]+(µs|ms|s)\)(: .+)?$`)

// resultLines returns the per-change lines of an apply's stdout.
func resultLines(t *testing.T, stdout string) []string {
	t.Helper()
	var out []string
	for line := range strings.SplitSeq(stdout, "\n") {
		if strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "failed ") || strings.HasPrefix(line, "skipped ") || strings.HasPrefix(line, "unknown ") {
			if !resultLineRE.MatchString(line) {
				t.Errorf("malformed result line %q", line)
			}
			out = append(out, line)
		}
	}
	return out
}

func TestApplyAsksOnATerminal(t *testing.T) {
	sb := newApplySandbox(t, sandbox.Options{})
	dir := applyWorkDir(t, map[string]string{"trusts.yaml": applyDemoConfig})

	for _, answer := range []string{"no\n", "YES\n", "y\n", ""} {
		r := sb.trustsync(dir, true, answer, "apply")
		requireCode(t, r, 1)
		requireContains(t, "stderr", r.stderr, "Apply these changes? Only 'yes' is accepted", "apply cancelled; nothing was changed")
		if w := sb.srv.Stats().Writes; w != 0 {
			t.Fatalf("answer %q: %d writes", answer, w)
		}
	}

	r := sb.trustsync(dir, true, "yes\n", "apply")
	requireCode(t, r, 0)
	requireContains(t, "stdout", r.stdout, "Apply: 7 ok, 0 failed, 0 skipped", "Verified: live state matches the configuration.")
	if n := len(resultLines(t, r.stdout)); n != 7 {
		t.Errorf("%d result lines, want 7", n)
	}
	if w := sb.srv.Stats().Writes; w != 7 {
		t.Errorf("%d writes for 7 changes", w)
	}
}

// interruptedReader is a terminal on which the user presses Ctrl-C instead
// of answering: reading cancels the process context and then waits, like
// a terminal nobody types into, until the test ends.
type interruptedReader struct {
	interrupt func()
	never     chan struct{}
}

func (r *interruptedReader) Read([]byte) (int, error) {
	r.interrupt()
	<-r.never
	return 0, io.EOF
}

// TestApplyInterruptAtThePrompt: an interrupt at the confirmation prompt
// cancels at once, without waiting for Enter, and writes nothing.
func TestApplyInterruptAtThePrompt(t *testing.T) {
	sb := newApplySandbox(t, sandbox.Options{})
	dir := applyWorkDir(t, map[string]string{"trusts.yaml": applyDemoConfig})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdin := &interruptedReader{interrupt: cancel, never: make(chan struct{})}
	t.Cleanup(func() { close(stdin.never) })
	sb.srv.ResetStats()
	r := sb.trustsyncWith(ctx, dir, true, stdin, "apply")
	requireCode(t, r, 1)
	requireContains(t, "stderr", r.stderr, "Apply these changes?", "trustsync: cancelled; nothing was changed")
	if w := sb.srv.Stats().Writes; w != 0 {
		t.Fatalf("%d writes after an interrupt at the prompt", w)
	}
	if strings.Contains(r.stdout, "Apply:") {
		t.Errorf("stdout shows an apply:\n%s", r.stdout)
	}
}

// interruptingWriter is stdout that delivers an interrupt once the first
// change's line has been printed.
type interruptingWriter struct {
	bytes.Buffer
	once      sync.Once
	interrupt func()
}

func (w *interruptingWriter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if regexp.MustCompile(`(?m)^(ok|failed|skipped|unknown) `).Match(w.Buffer.Bytes()) {
		w.once.Do(w.interrupt)
	}
	return n, err
}

// TestApplyInterruptedDuringApply: an interrupt after the first change
// ended starts no new change; the summary, the record and the hint say it
// was interrupted, and the next plan shows what remains.
func TestApplyInterruptedDuringApply(t *testing.T) {
	sb := newApplySandbox(t, sandbox.Options{Latency: 10 * time.Millisecond})
	dir := applyWorkDir(t, map[string]string{"trusts.yaml": applyDemoConfig})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	home := sb.srv.Orgs()[0].Clients[0]
	vars := map[string]string{envAPIURL: sb.ts.URL, envClientID: home.ID, envClientSecret: home.Secret, "NO_COLOR": "1"}
	stdout := &interruptingWriter{interrupt: cancel}
	var stderr bytes.Buffer
	e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: stdout, stderr: &stderr,
		getenv: func(k string) string { return vars[k] }, version: "test", workDir: dir}
	code := runCLI(ctx, []string{"apply", "--auto-approve", "--concurrency", "1", "--record", "record.json"}, e)
	r := applyResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
	requireCode(t, r, 1)
	requireContains(t, "stderr", r.stderr,
		"interrupted: starting no new change",
		"apply did not complete:", "interrupted",
		"hint: run plan to see what remains")
	requireContains(t, "stdout", r.stdout, "Not verified: interrupted.")
	data, err := os.ReadFile(filepath.Join(dir, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec apply.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if !rec.Complete || !rec.Interrupted || rec.Summary.OK == 0 || rec.Summary.Skipped == 0 || rec.Summary.Failed != 0 || rec.Summary.Pending != 0 {
		t.Errorf("record: complete %t, interrupted %t, summary %+v", rec.Complete, rec.Interrupted, rec.Summary)
	}
	again := sb.trustsync(dir, false, "", "plan")
	requireCode(t, again, 0)
	if strings.Contains(again.stdout, "No changes") {
		t.Errorf("plan after the interrupted apply shows no changes:\n%s", again.stdout)
	}
}

// TestConcurrencyFlag: --concurrency is the one bound on requests in
// flight, for plan's reads and for apply's reads, writes, read-backs and
// verification alike.
func TestConcurrencyFlag(t *testing.T) {
	for _, n := range []int64{1, 2} {
		sb := newApplySandbox(t, sandbox.Options{Latency: 2 * time.Millisecond})
		dir := applyWorkDir(t, map[string]string{"trusts.yaml": applyDemoConfig})
		flag := fmt.Sprint(n)
		requireCode(t, sb.trustsync(dir, false, "", "plan", "--concurrency", flag), 0)
		if got := sb.peak.Load(); got > n {
			t.Errorf("plan --concurrency %d: %d requests in flight at once", n, got)
		}
		requireCode(t, sb.trustsync(dir, false, "", "apply", "--auto-approve", "--concurrency", flag), 0)
		if got := sb.peak.Load(); got > n {
			t.Errorf("apply --concurrency %d: %d requests in flight at once", n, got)
		}
	}
}

func TestApplyRefusalsWriteNothing(t *testing.T) {
	sb := newApplySandbox(t, sandbox.Options{})
	dir := applyWorkDir(t, map[string]string{
		"trusts.yaml": applyDemoConfig,
		"none.yaml":   "version: 1\ntrustees: []\ntrustors: []\n",
		"grow.yaml": `version: 1
trustees:
  - id: b0000000-0000-4000-8000-000000000002
    expires: 2027-06-30
    users:
      - {id: b2000000-0000-4000-8000-000000000001, roles: ["Claims Supervisor", "Reporting Viewer"]}
      - {id: b2000000-0000-4000-8000-000000000002, roles: ["Claims Agent"]}
      - {id: b2000000-0000-4000-8000-000000000003, roles: ["Quality Evaluator"]}
      - {id: b2000000-0000-4000-8000-000000000004, roles: ["Claims Agent"]}
trustors:
  - id: c0000000-0000-4000-8000-000000000003
    users:
      - a2000000-0000-4000-8000-000000000001
      - a2000000-0000-4000-8000-000000000002
      - a2000000-0000-4000-8000-000000000003
`,
	})

	// No terminal, no --auto-approve.
	r := sb.trustsync(dir, false, "yes\n", "apply")
	requireCode(t, r, 1)
	requireContains(t, "stderr", r.stderr, "refusing to apply without confirmation")
	if w := sb.srv.Stats().Writes; w != 0 {
		t.Fatalf("refused apply made %d writes", w)
	}

	// Grow to 9 managed objects, then try to remove them all.
	requireCode(t, sb.trustsync(dir, false, "", "apply", "-f", "grow.yaml", "--auto-approve"), 0)
	sb.srv.ResetStats()
	r = sb.trustsync(dir, false, "", "apply", "-f", "none.yaml", "--auto-approve")
	requireCode(t, r, 1)
	requireContains(t, "stderr", r.stderr, "removes 9 of 9 managed live objects", "--allow-removals")
	if w := sb.srv.Stats().Writes; w != 0 {
		t.Fatalf("apply refused by the removal guard made %d writes", w)
	}
	r = sb.trustsync(dir, false, "", "apply", "-f", "none.yaml", "--auto-approve", "--allow-removals")
	requireCode(t, r, 0)
	if w := sb.srv.Stats().Writes; w != 2 {
		t.Errorf("%d writes to delete a trust and leave one", w)
	}
}

// TestApplyFailureIsReported: a narrowing change fails for good, so the
// widening ones are skipped; verification lists what is left; the record
// says so; exit code 1. A re-run converges.
func TestApplyFailureIsReported(t *testing.T) {
	sb := newApplySandbox(t, sandbox.Options{})
	dir := applyWorkDir(t, map[string]string{"trusts.yaml": applyDemoConfig})
	sb.srv.Inject(sandbox.Fault{
		Method: "DELETE",
		Path:   "/api/v2/orgauthorization/trustees/b0000000-0000-4000-8000-000000000002/users/b2000000-0000-4000-8000-000000000003",
		Status: 403,
	})
	r := sb.trustsync(dir, false, "", "apply", "--auto-approve", "--record", "record.json", "--debug")
	requireCode(t, r, 1)
	lines := resultLines(t, r.stdout)
	var failed, skipped []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "failed"):
			failed = append(failed, l)
		case strings.HasPrefix(l, "skipped"):
			skipped = append(skipped, l)
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0], "Ben Baker") || !strings.Contains(failed[0], "403 Forbidden") || !strings.Contains(failed[0], "correlation id ") {
		t.Errorf("failed lines %q, want Ben Baker's removal with the 403 and its correlation id", failed)
	}
	if len(skipped) != 3 {
		t.Errorf("skipped lines %q, want the 3 widening changes", skipped)
	}
	for _, l := range skipped {
		requireContains(t, "skipped line", l, "a narrowing change did not succeed, so no widening change runs")
	}
	requireContains(t, "stdout", r.stdout,
		"Apply: 3 ok, 1 failed, 3 skipped",
		"Verification failed: live state still differs from the configuration:",
		"  - trustee[Bluebird Outsourcing b000…].user[Ben Baker b200…]: not in configuration",
		"  + trustee[Bluebird Outsourcing b000…].user[b200…]: in configuration, not live")
	requireContains(t, "stderr", r.stderr, "apply did not complete: 1 failed, 3 skipped; live state still differs")

	data, err := os.ReadFile(filepath.Join(dir, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec apply.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("record: %v", err)
	}
	if rec.Summary != (apply.RecordSummary{OK: 3, Failed: 1, Skipped: 3}) || len(rec.Changes) != 7 {
		t.Errorf("record summary %+v with %d changes", rec.Summary, len(rec.Changes))
	}
	if rec.Verification.Clean || !rec.Verification.Ran || len(rec.Verification.Remaining) != 4 {
		t.Errorf("record verification %+v, want ran, not clean, 4 remaining", rec.Verification)
	}
	if rec.TrustsyncVersion != "test" || rec.Organization.ID != "a0000000-0000-4000-8000-000000000001" || len(rec.ConfigDigest) != 64 || len(rec.PlanDigest) != 64 {
		t.Errorf("record header %+v", rec)
	}
	i := slices.IndexFunc(rec.Changes, func(c apply.RecordChange) bool { return c.Status == "failed" })
	if i < 0 || !strings.Contains(rec.Changes[i].Error, "403") || rec.Changes[i].Effect != "narrow" {
		t.Fatalf("record of the failed change: %+v", rec.Changes)
	}
	// Each change lists the ids of the answers behind it, as the client's
	// debug log saw them on the wire: the refused delete only its 403
	// (not read back), named in its error and its result line; an ok
	// change its write's 2xx first; a skipped change none.
	answers := debugAnswers(t, r.stderr)
	listed := map[string]bool{}
	for _, c := range rec.Changes {
		for _, id := range c.CorrelationIDs {
			if id == "" || listed[id] {
				t.Errorf("%s: correlation ids %q, want each non-empty and listed once in the record", c.Address, c.CorrelationIDs)
			}
			listed[id] = true
			if _, ok := answers[id]; !ok {
				t.Errorf("%s: correlation id %s is on no answer in the debug log", c.Address, id)
			}
		}
		switch c.Status {
		case "failed":
			id := ""
			if len(c.CorrelationIDs) == 1 {
				id = c.CorrelationIDs[0]
			}
			a := answers[id]
			if id == "" || a.method != "DELETE" || !strings.HasSuffix(a.path, "/users/"+c.UserID) || a.status != "403" {
				t.Errorf("%s: correlation ids %q (answer %+v), want just the DELETE's 403", c.Address, c.CorrelationIDs, a)
			}
			requireContains(t, "record error", c.Error, "[correlation id "+id+"]")
			requireContains(t, "failed line", failed[0], "[correlation id "+id+"]")
			if strings.Count(failed[0], "correlation id") != 1 {
				t.Errorf("failed line %q names more than the failing answer's correlation id", failed[0])
			}
		case "ok":
			if len(c.CorrelationIDs) == 0 {
				t.Errorf("%s: ok without correlation ids", c.Address)
				continue
			}
			if a := answers[c.CorrelationIDs[0]]; a.method == "GET" || !strings.HasPrefix(a.status, "2") {
				t.Errorf("%s: first correlation id %s is on answer %+v, want the write's 2xx", c.Address, c.CorrelationIDs[0], a)
			}
		default:
			if len(c.CorrelationIDs) != 0 {
				t.Errorf("%s: %s with correlation ids %q", c.Address, c.Status, c.CorrelationIDs)
			}
		}
	}

	r = sb.trustsync(dir, false, "", "apply", "--auto-approve")
	requireCode(t, r, 0)
	requireContains(t, "stdout", r.stdout, "Apply: 4 ok, 0 failed, 0 skipped", "Verified")
}

// debugAnswer is an API answer as a --debug line reports it.
type debugAnswer struct{ method, path, status string }

// debugAnswers maps the correlation ids in --debug output to the answers
// that carried them.
func debugAnswers(t *testing.T, stderr string) map[string]debugAnswer {
	t.Helper()
	re := regexp.MustCompile(`(?m)^trustsync: debug: (\S+) (\S+) (\d{3}) .*\bcorrelation=(\S+)`)
	m := map[string]debugAnswer{}
	for _, g := range re.FindAllStringSubmatch(stderr, -1) {
		m[g[4]] = debugAnswer{g[1], g[2], g[3]}
	}
	if len(m) == 0 {
		t.Fatalf("no debug line with a correlation id in stderr:\n%s", stderr)
	}
	return m
}

// TestApplyUnderFaultsAndRateLimits: random faults (lost answers and
// failures without effect) end in success or a clean failure; a re-run
// converges; the Customer Care trust is never touched; within each run
// narrowing changes come first.
func TestApplyUnderFaultsAndRateLimits(t *testing.T) {
	cases := []struct {
		name string
		opts sandbox.Options
	}{
		{"faults seed 3", sandbox.Options{FaultRate: 0.2, FaultSeed: 3}},
		{"faults seed 11", sandbox.Options{FaultRate: 0.2, FaultSeed: 11}},
		{"rate limit", sandbox.Options{RateLimit: 900}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := newApplySandbox(t, tc.opts)
			dir := applyWorkDir(t, map[string]string{"trusts.yaml": applyDemoConfig})
			r := sb.trustsync(dir, false, "", "apply", "--auto-approve", "--max-attempts", "4", "--timeout", "20s")
			t.Logf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			switch r.code {
			case 0:
				requireContains(t, "stdout", r.stdout, "Verified: live state matches the configuration.")
			case 1:
				if !strings.Contains(r.stderr, "apply did not complete") && !strings.Contains(r.stderr, "read live state") {
					t.Fatalf("exit 1 without a clear reason:\n%s", r.stderr)
				}
			default:
				t.Fatalf("exit code %d", r.code)
			}
			resultLines(t, r.stdout)
			requireOrderAndScope(t, sb.srv.AuditLog())
			if tc.opts.RateLimit > 0 {
				requireCode(t, r, 0)
				if sb.srv.Stats().ByStatus["429"] == 0 {
					t.Fatal("the sandbox answered no 429")
				}
			}

			sb.restart(sandbox.Options{})
			n := len(sb.srv.AuditLog())
			r = sb.trustsync(dir, false, "", "apply", "--auto-approve")
			requireCode(t, r, 0)
			requireOrderAndScope(t, sb.srv.AuditLog()[n:])
			r = sb.trustsync(dir, false, "", "plan", "--detailed-exitcode")
			requireCode(t, r, 0)
		})
	}
}

// requireOrderAndScope checks the audit entries of one apply: nothing
// about the Customer Care trust, and no access removed after access was
// added.
func requireOrderAndScope(t *testing.T, entries []sandbox.AuditLogMessage) {
	t.Helper()
	widened := false
	for _, m := range entries {
		if m.Context["trusteeOrgId"] == "d0000000-0000-4000-8000-000000000004" {
			t.Errorf("the Customer Care trust was touched: %s %s", m.Action, m.EntityType)
		}
		narrows := m.Action == "DELETE"
		for _, pc := range m.PropertyChanges {
			if pc.Property == "roleIds" && len(pc.NewValues) < len(pc.OldValues) ||
				pc.Property == "dateExpired" && len(pc.OldValues) == 1 && len(pc.NewValues) == 1 && pc.NewValues[0] < pc.OldValues[0] {
				narrows = true
			}
		}
		switch {
		case narrows && widened:
			t.Errorf("access narrowed after it was widened: %s %s %v", m.Action, m.EntityType, m.Context)
		case !narrows:
			widened = true
		}
	}
}

func TestResultLine(t *testing.T) {
	r := apply.ChangeResult{Status: apply.StatusFailed, Duration: 1500_000_000,
		CorrelationIDs: []string{"c-1", "ok-1", "c-2"}, ErrorCorrelationIDs: []string{"c-1", "c-2"}}
	r.Change.Address = "trustee[X]"
	r.Err = fmt.Errorf("add user: 500 Internal Server Error [correlation id c-1]\nsecond line")
	got := resultLine(r)
	want := "failed  trustee[X] (1.5s): add user: 500 Internal Server Error [correlation id c-1] second line [correlation id c-2]"
	if got != want {
		t.Errorf("resultLine =\n%q, want\n%q", got, want)
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	b := &progressBar{w: &buf, total: 4, enabled: true, start: time.Now().Add(-2 * time.Second)}
	b.done()
	b.done()
	if got := buf.String(); !strings.Contains(got, "\r[===============               ] 2/4 changes\x1b[K") {
		t.Errorf("bar drew %q", got)
	}
	buf.Reset()
	b.clear()
	b.clear()
	if got := buf.String(); got != "\r\x1b[K" {
		t.Errorf("clear wrote %q, want one erase", got)
	}
	// Not on a terminal, or not yet a second into the run: no bar.
	buf.Reset()
	for _, b := range []*progressBar{
		{w: &buf, total: 4, enabled: false, start: time.Now().Add(-2 * time.Second)},
		{w: &buf, total: 4, enabled: true, start: time.Now().Add(time.Hour)},
	} {
		b.done()
		b.clear()
	}
	if buf.Len() != 0 {
		t.Errorf("bar drew %q where it should not", buf.String())
	}
}

func TestDone(t *testing.T) {
	viewer := plan.Role{ID: "r-4", Name: "Reporting Viewer"}
	claims := plan.Role{ID: "r-7", Name: "Claims Viewer"}
	super := plan.Role{ID: "r-1", Name: "Claims Supervisor"}
	on, off := true, false
	june := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	march := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		c    plan.Change
		want string
	}{
		{"create", plan.Change{Action: plan.Create, Kind: plan.KindTrusteeUser, After: &plan.Value{}}, "added"},
		{"delete", plan.Change{Action: plan.Delete, Kind: plan.KindTrustor, Before: &plan.Value{}}, "removed"},
		{"roles", plan.Change{Action: plan.Update, Kind: plan.KindTrusteeUserRoles,
			Before: &plan.Value{Roles: []plan.Role{super, viewer}}, After: &plan.Value{Roles: []plan.Role{claims, super}}},
			"roles -Reporting Viewer +Claims Viewer"},
		{"group roles narrowed", plan.Change{Action: plan.Update, Kind: plan.KindTrusteeGroupRoles,
			Before: &plan.Value{Roles: []plan.Role{super, viewer}}, After: &plan.Value{Roles: []plan.Role{super}}},
			"roles -Reporting Viewer"},
		{"expiry", plan.Change{Action: plan.Update, Kind: plan.KindTrustee,
			Before: &plan.Value{Enabled: &on, Expires: &june}, After: &plan.Value{Enabled: &on, Expires: &march}},
			"expiry → 2027-03-31"},
		{"expiry lifted", plan.Change{Action: plan.Update, Kind: plan.KindTrustee,
			Before: &plan.Value{Enabled: &on, Expires: &june}, After: &plan.Value{Enabled: &on}},
			"expiry → never"},
		{"disabled", plan.Change{Action: plan.Update, Kind: plan.KindTrustee,
			Before: &plan.Value{Enabled: &on}, After: &plan.Value{Enabled: &off}},
			"disabled"},
		{"disabled with an expiry", plan.Change{Action: plan.Update, Kind: plan.KindTrustee,
			Before: &plan.Value{Enabled: &on}, After: &plan.Value{Enabled: &off, Expires: &march}},
			"disabled, expiry → 2027-03-31"},
		{"nothing to say", plan.Change{Action: plan.Update, Kind: plan.KindTrustor,
			Before: &plan.Value{}, After: &plan.Value{}}, "updated"},
	} {
		if got := done(tc.c); got != tc.want {
			t.Errorf("%s: done = %q, want %q", tc.name, got, tc.want)
		}
	}
	ok := apply.ChangeResult{Status: apply.StatusOK, Duration: 3_000_000,
		Change: plan.Change{Action: plan.Delete, Kind: plan.KindTrusteeUser, Address: "trustee[X].user[Y]", Before: &plan.Value{}}}
	if got, want := resultLine(ok), "ok      trustee[X].user[Y]: removed (3ms)"; got != want {
		t.Errorf("resultLine = %q, want %q", got, want)
	}
}
