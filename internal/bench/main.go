// Command bench measures trustsync against its physical bounds. It builds
// a generated org in an in-process sandbox (sandbox.Generate) with a given
// latency and optional rate limit, writes a desired-state file that
// differs from it in about 5 % of objects (sandbox.WriteDesiredState),
// plans through internal/run as `trustsync plan` does, and optionally
// applies. For each step it prints the wall time, the API calls by route
// and status as the sandbox counted them, the 429s, the minimum number of
// calls a plan needs (computed from the generated org and the file) and
// the ratio of the wall time to the bound: calls × latency ÷ concurrency,
// or calls ÷ (rate × tokens) under a rate limit, whichever is larger.
//
//	go run ./internal/bench -generate trustees=400,users=25,trustors=100,roles=20 -latency 25ms -concurrency 32
//
// docs/performance.md records the figures of this command.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/run"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// options are the command's flags.
type options struct {
	spec        string
	latency     time.Duration
	rateLimit   int
	clientLimit int
	pool        int
	concurrency int
	apply       bool
	runs        int
	seed        uint64
	cpuProfile  string
	memProfile  string
}

func main() {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.spec, "generate", "trustees=400,users=25,trustors=100,roles=20", "the org to generate: trustees=T,users=U,trustors=R,roles=N[,groups=G][,seed=S]")
	fs.DurationVar(&o.latency, "latency", 25*time.Millisecond, "sandbox latency of every API request")
	fs.IntVar(&o.rateLimit, "rate-limit", 0, "sandbox and client rate limit, requests per minute per token (0: none)")
	fs.IntVar(&o.clientLimit, "client-rate-limit", -1, "the client's --rate-limit, per token (-1: the same as -rate-limit; 0: none, so only pacing learnt from 429s holds it back)")
	fs.IntVar(&o.pool, "token-pool-size", 1, "access tokens the client takes (1 to 20)")
	fs.IntVar(&o.concurrency, "concurrency", 8, "requests in flight at most")
	fs.BoolVar(&o.apply, "apply", false, "apply the plan after it (against a fresh sandbox each run) and verify")
	fs.IntVar(&o.runs, "runs", 1, "how many times to run; the summary gives the median wall time")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the desired state's drift")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of all runs to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile after the last run to this file")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if err := benchmark(context.Background(), os.Stdout, o); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func benchmark(ctx context.Context, w io.Writer, o options) error {
	switch {
	case o.runs < 1:
		return errors.New("-runs must be at least 1")
	case o.concurrency < 1:
		return errors.New("-concurrency must be at least 1")
	case o.pool < 1 || o.pool > client.MaxTokenPoolSize:
		return fmt.Errorf("-token-pool-size must be from 1 to %d", client.MaxTokenPoolSize)
	case o.rateLimit < 0 || o.latency < 0:
		return errors.New("-rate-limit and -latency must not be negative")
	}
	if o.clientLimit < 0 {
		o.clientLimit = o.rateLimit
	}
	spec, err := sandbox.ParseGenerateSpec(o.spec)
	if err != nil {
		return err
	}
	fx, err := sandbox.Generate(spec)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "trustsync-bench-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	var ds bytes.Buffer
	if err := sandbox.WriteDesiredState(&ds, fx, o.seed); err != nil {
		return err
	}
	file := filepath.Join(dir, "trusts.yaml")
	if err := os.WriteFile(file, ds.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write the desired state: %w", err)
	}
	fmt.Fprintf(w, "org: %s (%d bytes of desired state); latency %s, sandbox rate limit %d/min per token, client rate limit %d/min per token, tokens %d, concurrency %d; %s, %d CPUs\n",
		o.spec, ds.Len(), o.latency, o.rateLimit, o.clientLimit, o.pool, o.concurrency, runtime.Version(), runtime.NumCPU())

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var walls, applyWalls []time.Duration
	for i := range o.runs {
		fmt.Fprintf(w, "\nrun %d\n", i+1)
		pw, aw, err := once(ctx, w, o, fx, file)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		walls = append(walls, pw)
		if o.apply {
			applyWalls = append(applyWalls, aw)
		}
	}
	if o.runs > 1 {
		fmt.Fprintf(w, "\nplan wall time: median %s of %d runs %v\n", median(walls).Round(time.Millisecond), o.runs, rounded(walls))
		if o.apply {
			fmt.Fprintf(w, "apply wall time: median %s of %d runs %v\n", median(applyWalls).Round(time.Millisecond), o.runs, rounded(applyWalls))
		}
	}
	if o.memProfile != "" {
		f, err := os.Create(o.memProfile)
		if err != nil {
			return fmt.Errorf("heap profile: %w", err)
		}
		defer f.Close()
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return fmt.Errorf("heap profile: %w", err)
		}
	}
	return nil
}

// once runs one plan (and apply) against a fresh sandbox and prints its
// figures.
func once(ctx context.Context, w io.Writer, o options, fx *sandbox.Fixture, file string) (planWall, applyWall time.Duration, err error) {
	srv, err := sandbox.New(fx, sandbox.Options{Latency: o.latency, RateLimit: o.rateLimit})
	if err != nil {
		return 0, 0, fmt.Errorf("start the sandbox: %w", err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, fmt.Errorf("start the sandbox: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	home := srv.Orgs()[0]
	c, err := client.New(client.Config{
		APIURL: base, ClientID: home.Clients[0].ID, ClientSecret: home.Clients[0].Secret,
		Concurrency: o.concurrency, RateLimit: o.clientLimit, TokenPoolSize: o.pool,
		UserAgent: "trustsync/bench",
	})
	if err != nil {
		return 0, 0, err
	}
	defer c.CloseIdleConnections()
	target := run.Target{
		Files: []string{file},
		Connect: func(context.Context, string) (*run.Conn, error) {
			return &run.Conn{Client: c}, nil
		},
	}
	srv.ResetStats()
	start := time.Now()
	p, err := run.Plan(ctx, target, run.PlanOptions{}, quiet{w: w})
	planWall = time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("plan: %w", err)
	}
	defer p.Close()
	st := srv.Stats()
	minimum := minimumCalls(fx, p.Config, st)
	fmt.Fprintf(w, "plan: %s, %d changes\n", planWall.Round(time.Millisecond), len(p.Plan.Changes))
	printStats(w, st, c.Stats())
	calls := st.Requests - st.ByStatus["429"]
	fmt.Fprintf(w, "  minimum calls %d (%s); made %d answered calls, %+d over the minimum\n", minimum.total, minimum.terms, calls, calls-minimum.total)
	b := bound(calls, o)
	fmt.Fprintf(w, "  bound %s (%s); wall ÷ bound = %.3f\n", b.d.Round(time.Millisecond), b.how, ratio(planWall, b.d))
	if !o.apply {
		return planWall, 0, nil
	}

	writes, readBacks := expectedApply(p.Plan)
	srv.ResetStats()
	before := c.Stats()
	start = time.Now()
	a, err := p.Apply(ctx, run.ApplyOptions{AllowRemovals: true}, quiet{})
	applyWall = time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("apply: %w", err)
	}
	after := c.Stats()
	st = srv.Stats()
	counts := map[apply.Status]int{}
	for _, r := range a.Result.Changes {
		counts[r.Status]++
	}
	fmt.Fprintf(w, "apply: %s (verification included), %d changes: %v; verification clean: %v\n",
		applyWall.Round(time.Millisecond), len(p.Plan.Changes), counts, a.Verification.Clean)
	printStats(w, st, after)
	fmt.Fprintf(w, "  writes %d (want %d, one per change); apply's requests %d = %d writes + %d read-backs (want %d read-backs: every role change); verification %d requests (the plan made %d)\n",
		st.Writes, writes, a.Requests, st.Writes, a.Requests-st.Writes, readBacks,
		after.Requests-before.Requests-a.Requests, calls)
	return planWall, applyWall, nil
}

// expectedApply counts the writes (one per change) and read-backs
// docs/apply.md names for the plan's changes when every write is answered
// 2xx: only role changes are always read back.
func expectedApply(p *plan.Plan) (writes, readBacks int) {
	for _, ch := range p.Changes {
		writes++
		if ch.Kind == plan.KindTrusteeUserRoles {
			readBacks++
		}
	}
	return writes, readBacks
}

// printStats prints the sandbox's counts by route and status and the
// client's per-token counts.
func printStats(w io.Writer, st sandbox.Stats, cs client.Stats) {
	routes := make([]string, 0, len(st.ByRoute))
	for r := range st.ByRoute {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	fmt.Fprintf(w, "  API calls %d, 429s %d (%.2f %%), token requests %d\n", st.Requests, st.ByStatus["429"], pct(st.ByStatus["429"], st.Requests), st.TokenRequests)
	for _, r := range routes {
		fmt.Fprintf(w, "    %7d  %s\n", st.ByRoute[r], r)
	}
	statuses := make([]string, 0, len(st.ByStatus))
	for s := range st.ByStatus {
		statuses = append(statuses, s)
	}
	slices.Sort(statuses)
	var parts []string
	for _, s := range statuses {
		parts = append(parts, fmt.Sprintf("%s: %d", s, st.ByStatus[s]))
	}
	fmt.Fprintf(w, "  by status: %s\n", strings.Join(parts, ", "))
	if len(cs.Tokens) > 1 {
		parts = parts[:0]
		for i, t := range cs.Tokens {
			parts = append(parts, fmt.Sprintf("%d: %d (%d 429s)", i+1, t.Requests, t.RateLimited))
		}
		fmt.Fprintf(w, "  client requests by token (all so far): %s\n", strings.Join(parts, ", "))
	}
}

// minimum is the fewest calls a plan of the configuration can make, and
// how it is made up.
type minimum struct {
	total int64
	terms string
}

// pages is the number of listing pages of n entries (one even when empty).
func pages(n int) int64 { return int64(max(1, (n+99)/100)) }

// minimumCalls is the formula for a plan: organizations/me, the
// role pages, trustees/care, the trustee pages, the user pages of each
// trust and one roles read per trust user, the trustor pages and the user
// pages of each trustor trust (for what the file manages), and one call
// per 100 of the org's own users the file names when the plan checks
// them (it did when the sandbox saw GET /api/v2/users).
func minimumCalls(fx *sandbox.Fixture, cfg *config.Config, st sandbox.Stats) minimum {
	home := fx.Orgs[0]
	var trustees, trustors []sandbox.FixtureTrust
	for _, t := range fx.Trusts {
		switch {
		case t.Trustor == home.ID:
			trustees = append(trustees, t)
		case t.Trustee == home.ID:
			trustors = append(trustors, t)
		}
	}
	var terms []string
	var total int64
	add := func(n int64, what string) {
		total += n
		terms = append(terms, fmt.Sprintf("%d %s", n, what))
	}
	add(1, "me")
	add(pages(len(home.Roles)), "role pages")
	if cfg.ManageTrustees {
		add(1, "care")
		add(pages(len(trustees)), "trustee pages")
		var userPages, users int64
		for _, t := range trustees {
			userPages += pages(len(t.Users))
			users += int64(len(t.Users))
		}
		add(userPages, "trustee user pages")
		add(users, "trustee user roles")
	}
	if cfg.ManageTrustors {
		add(pages(len(trustors)), "trustor pages")
		var userPages int64
		for _, t := range trustors {
			userPages += pages(len(t.Users))
		}
		add(userPages, "trustor user pages")
		own := map[string]bool{}
		for _, t := range cfg.Trustors {
			for _, u := range t.Users {
				own[strings.ToLower(u.ID)] = true
			}
		}
		if n := (len(own) + 99) / 100; n > 0 {
			if st.ByRoute["GET /api/v2/users"] > 0 {
				add(int64(n), "own-user pages")
			} else {
				terms = append(terms, fmt.Sprintf("own-user check of %d users not made by this plan (%d calls)", len(own), n))
			}
		}
	}
	return minimum{total: total, terms: strings.Join(terms, " + ")}
}

// span is a bound and how it was computed.
type span struct {
	d   time.Duration
	how string
}

// bound is the shortest time calls can take: calls × latency ÷
// concurrency, or calls ÷ (rate × tokens) under a rate limit, whichever
// is longer.
func bound(calls int64, o options) span {
	lat := time.Duration(calls) * o.latency / time.Duration(o.concurrency)
	out := span{d: lat, how: fmt.Sprintf("%d calls × %s ÷ %d", calls, o.latency, o.concurrency)}
	if o.rateLimit > 0 {
		perSec := float64(o.rateLimit) / 60 * float64(o.pool)
		rl := time.Duration(float64(calls) / perSec * float64(time.Second))
		if rl > lat {
			out = span{d: rl, how: fmt.Sprintf("%d calls ÷ (%d/min × %d tokens)", calls, o.rateLimit, o.pool)}
		}
	}
	return out
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func pct(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// quiet is a run.Reporter that reports only the configuration's errors
// (to w, when set).
type quiet struct{ w io.Writer }

func (q quiet) Loaded(d config.Diagnostics) {
	if q.w != nil && d.HasErrors() {
		_ = d.WriteText(q.w)
	}
}
func (quiet) Reading(live.Progress)          {}
func (quiet) Read(run.ReadStats)             {}
func (quiet) ChangeEnded(apply.ChangeResult) {}
