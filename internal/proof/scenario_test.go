package proof

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// maxRuns is how many applies a scenario may take to succeed.
const maxRuns = 5

// inFlight is how many seeds run at once. Their time goes mostly to
// waiting (latency, backoff, rate-limit pauses), so more run than there are
// CPUs; -parallel does not bound them.
const inFlight = 20

// eachSeed runs fn as a subtest "seed=N" for every seed, inFlight at a
// time, and returns when all have finished. Subtests started this way are
// not paused by t.Parallel's limit, which counts CPUs.
func eachSeed(t *testing.T, seeds []int64, fn func(t *testing.T, seed int64)) {
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	for _, seed := range seeds {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { fn(t, seed) })
		})
	}
	wg.Wait()
}

// seeds returns the seeds of a soak or crash test: short ones by default,
// many more with TRUSTSYNC_SOAK=long.
func seeds(t *testing.T, short, long int) []int64 {
	n := short
	switch mode := os.Getenv("TRUSTSYNC_SOAK"); mode {
	case "", "short":
	case "long":
		n = long
	default:
		t.Fatalf("TRUSTSYNC_SOAK=%q: want short or long", mode)
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

// faulty are the sandbox options of the soak: 30 % of requests fail with a
// 502, 503 or 504, half the faulted writes committing before the answer is
// lost, every request is delayed, and each token may make 3000 requests a
// minute (a bucket of 50), which the bursts of reads and writes exceed.
func faulty(seed int64) sandbox.Options {
	return sandbox.Options{FaultRate: 0.3, FaultSeed: seed, Latency: time.Millisecond, RateLimit: 1200}
}

// scenario is one seeded world served by a sandbox, with its desired
// state written and loaded.
type scenario struct {
	t   *testing.T
	w   *world
	svc *service
	// base is the length of the audit log once the pairings were made:
	// the entries from base on are the runs'.
	base int
	cfg  *config.Config
	file string
	// concurrency bounds the requests in flight of each run's client
	// (and so how many changes run at once); 0 is the harness's default.
	concurrency int
}

// newScenario generates the world of seed, serves it with opts, creates
// the pairings its new trusts need, and writes and loads the desired state.
func newScenario(t *testing.T, seed int64, opts sandbox.Options) *scenario {
	t.Helper()
	return newScenarioOf(t, newWorld(seed), opts)
}

// newScenarioOf is newScenario for a world the caller has adjusted.
func newScenarioOf(t *testing.T, w *world, opts sandbox.Options) *scenario {
	t.Helper()
	seed := w.seed
	dir := t.TempDir()
	svc := startService(t, w.fx, opts)
	pairings := map[trustKey]string{}
	for _, k := range w.creates {
		api := newClient(t, svc.ts.URL, w.creds(k.Trustee), &http.Client{Transport: patient{}}, 0)
		users, groups := w.want[k].members()
		id, err := createPairing(context.Background(), api, users, groups)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		pairings[k] = id
		api.CloseIdleConnections()
	}
	setup := svc.audit()
	for i, m := range setup {
		if m.EntityType != "ORG_TRUST_PAIRING" {
			t.Fatalf("seed %d: setting up made audit entry %d about more than a pairing: %s", seed, i, describeEntry(m))
		}
	}
	s := &scenario{t: t, w: w, svc: svc, base: len(setup), file: filepath.Join(dir, "trusts.yaml")}
	if err := os.WriteFile(s.file, []byte(w.desiredYAML(pairings)), 0o600); err != nil {
		t.Fatal(err)
	}
	s.cfg = loadDesired(t, s.file)
	return s
}

// patient is a transport that retries an answer lost to a sandbox fault
// (502, 503, 504) up to 40 times, for the harness's own requests that
// must get through: creating pairings (a repeated one is merely unused)
// and reading the end state. With a fault rate of 0.3 the chance that all
// 40 attempts fail is below 1e-20.
type patient struct{}

func (patient) RoundTrip(r *http.Request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		req := r
		if r.GetBody != nil {
			body, err := r.GetBody()
			if err != nil {
				return nil, err
			}
			req = r.Clone(r.Context())
			req.Body = body
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil || attempt == 40 {
			return resp, err
		}
		switch resp.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			continue
		}
		return resp, nil
	}
}

// runReport is what one run did.
type runReport struct {
	planned   bool // the plan could be computed
	changes   int
	succeeded bool
}

// run plans and applies once, through transport (nil: the default one),
// and checks the run's audit entries: each is about an object the plan
// names, and none widens access after a narrowing change failed or before
// every narrowing change had finished. arm, when set, is called with the
// plan and the run's cancel func before apply starts.
func (s *scenario) run(label string, transport http.RoundTripper, arm func(p *plan.Plan, cancel context.CancelFunc)) runReport {
	t := s.t
	t.Helper()
	from := len(s.svc.audit())
	api := newClient(t, s.svc.ts.URL, s.w.creds(s.w.home), &http.Client{Transport: transport}, s.concurrency)
	defer api.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var rep runReport
	p, err := computePlan(ctx, api, s.cfg)
	if err != nil {
		t.Logf("%s: %v", label, err)
		if n := len(s.svc.audit()); n != from {
			t.Errorf("%s: planning made %d audit entries", label, n-from)
		}
		return rep
	}
	rep.planned, rep.changes = true, len(p.Changes)
	if !p.HasChanges() {
		rep.succeeded = true
		return rep
	}
	if arm != nil {
		arm(p, cancel)
	}
	var (
		mu           sync.Mutex
		narrowEnd    = from
		narrowFailed []string
	)
	progress := func(r apply.ChangeResult) {
		if r.Change.Effect != plan.Narrow {
			return
		}
		n := len(s.svc.audit())
		mu.Lock()
		defer mu.Unlock()
		narrowEnd = max(narrowEnd, n)
		if r.Status != apply.StatusOK {
			narrowFailed = append(narrowFailed, r.Change.Address)
		}
	}
	res, err := runApply(ctx, api, p, []string{s.w.care}, progress)
	if err != nil {
		t.Errorf("%s: apply refused the plan: %v", label, err)
		return rep
	}
	rep.succeeded = res.Succeeded()

	// A killed run may have left writes in flight: let them land, so that
	// they count in this run.
	s.svc.settle()
	steps, err := replayAll(s.w.old, s.svc.audit()[s.base:], s.base)
	if err != nil {
		t.Errorf("%s: %v", label, err)
		return rep
	}
	mu.Lock()
	defer mu.Unlock()
	for _, st := range steps[from-s.base:] {
		if !covered(p, st.entry) {
			t.Errorf("%s: audit entry %d is about an object the plan does not name: %s", label, st.index, describeEntry(st.entry))
		}
		switch {
		case !st.widen:
		case len(narrowFailed) > 0:
			t.Errorf("%s: audit entry %d widens access although narrowing changes failed (%s): %s",
				label, st.index, strings.Join(narrowFailed, ", "), describeEntry(st.entry))
		case st.index < narrowEnd:
			t.Errorf("%s: audit entry %d widens access before the narrowing changes had finished (the last ended after entry %d): %s",
				label, st.index, narrowEnd-1, describeEntry(st.entry))
		}
	}
	return rep
}

// converge runs apply until it succeeds, at most maxRuns times, and
// returns how many runs it took (0: it never succeeded).
func (s *scenario) converge(prefix string) int {
	for n := 1; n <= maxRuns; n++ {
		if s.run(fmt.Sprintf("seed %d %srun %d", s.w.seed, prefix, n), nil, nil).succeeded {
			return n
		}
	}
	s.t.Errorf("seed %d: apply did not succeed in %d runs", s.w.seed, maxRuns)
	return 0
}

// verify checks the end state, reading it through a transport that
// outlasts the sandbox's faults: a fresh plan has no changes, replaying the whole audit log over the old
// state gives the desired state, and no state along the way held access
// that neither the old nor the desired state grants.
func (s *scenario) verify() {
	t := s.t
	t.Helper()
	api := newClient(t, s.svc.ts.URL, s.w.creds(s.w.home), &http.Client{Transport: patient{}}, 0)
	defer api.CloseIdleConnections()
	p, err := computePlan(context.Background(), api, s.cfg)
	switch {
	case err != nil:
		t.Errorf("seed %d: final plan: %v", s.w.seed, err)
	case p.HasChanges():
		var b strings.Builder
		for _, c := range p.Changes {
			fmt.Fprintf(&b, "\n  %s %s", c.Action, c.Address)
		}
		t.Errorf("seed %d: live state does not match the file; a fresh plan has changes:%s", s.w.seed, b.String())
	}
	steps, err := replayAll(s.w.old, s.svc.audit()[s.base:], s.base)
	if err != nil {
		t.Errorf("seed %d: %v", s.w.seed, err)
		return
	}
	final := s.w.old
	for _, st := range steps {
		if v := boundViolations(st.after, s.w.old, s.w.want); len(v) > 0 {
			t.Errorf("seed %d: after audit entry %d (%s) the org held more access than the old or the new state grants: %s",
				s.w.seed, st.index, describeEntry(st.entry), strings.Join(v, "; "))
		}
		final = st.after
	}
	if diff := cmp.Diff(s.w.want.String(), final.String()); diff != "" {
		t.Errorf("seed %d: the audit log replayed over the old state is not the desired state (-want +got):\n%s", s.w.seed, diff)
	}
}

// tally collects how many runs each seed needed, and what the sandboxes
// answered.
type tally struct {
	mu       sync.Mutex
	runs     map[int64]int
	requests int64
	byStatus map[string]int64
	// groupSeeds counts the seeds whose desired state manages groups;
	// trusteeGroupWrites and trustorGroupWrites the audit entries of their
	// runs about trustee groups and about our groups in trustor trusts.
	groupSeeds                             int
	trusteeGroupWrites, trustorGroupWrites int
}

func (t *tally) add(seed int64, runs int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.runs == nil {
		t.runs = map[int64]int{}
	}
	t.runs[seed] = runs
}

// count adds what the sandbox of s answered and the group writes of its
// runs.
func (t *tally) count(s *scenario) {
	st := s.svc.srv.Stats()
	entries := s.svc.audit()[s.base:]
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.w.manageGroups {
		t.groupSeeds++
	}
	for _, m := range entries {
		switch {
		case m.Context["groupId"] == "":
		case m.Context["trusteeOrgId"] == s.w.home:
			t.trustorGroupWrites++
		default:
			t.trusteeGroupWrites++
		}
	}
	if t.byStatus == nil {
		t.byStatus = map[string]int64{}
	}
	t.requests += st.Requests
	for k, n := range st.ByStatus {
		t.byStatus[k] += n
	}
}

// report logs the runs per seed and the worst case.
func (t *tally) report(tb testing.TB, what string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	worst, worstSeed := -1, int64(0)
	rank := func(n int) int { // a seed that never converged is the worst
		if n == 0 {
			return maxRuns + 1
		}
		return n
	}
	for _, seed := range slices.Sorted(maps.Keys(t.runs)) {
		n := t.runs[seed]
		parts = append(parts, fmt.Sprintf("%d:%d", seed, n))
		if worst < 0 || rank(n) > rank(worst) {
			worst, worstSeed = n, seed
		}
	}
	tb.Logf("%s: runs needed per seed (seed:runs, 0 = did not converge): %s", what, strings.Join(parts, " "))
	tb.Logf("%s: worst case %d runs (seed %d), of at most %d", what, worst, worstSeed, maxRuns)
	faults := t.byStatus["502"] + t.byStatus["503"] + t.byStatus["504"]
	tb.Logf("%s: the sandboxes answered %d API requests: %d faults (502, 503, 504), %d rate-limited (429)",
		what, t.requests, faults, t.byStatus["429"])
	if faults == 0 {
		tb.Errorf("%s: no request met a fault; the soak proved nothing", what)
	}
	tb.Logf("%s: %d seeds managed groups: %d audit entries about trustee groups, %d about our groups in trustor trusts",
		what, t.groupSeeds, t.trusteeGroupWrites, t.trustorGroupWrites)
	if t.groupSeeds > 0 && (t.trusteeGroupWrites == 0 || t.trustorGroupWrites == 0) {
		tb.Errorf("%s: the seeds that manage groups wrote no trustee group or no trustor group; the groups were not proved", what)
	}
}
