package proof

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/trustsync/trustsync/internal/plan"
)

// killSwitch sits in front of a sandbox and sends SIGKILL to the trustsync
// process at its n-th API write: before the write reaches the sandbox, or
// after it committed and before its answer leaves. It answers only once
// the process is gone, so the kill point is exact whatever the timing.
type killSwitch struct {
	next http.Handler

	mu     sync.Mutex
	at     int  // the write that kills, from 1
	after  bool // the write commits first
	writes int
	proc   *os.Process
	exited chan struct{} // closed once the process has been waited for
	killed bool
}

func (k *killSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	kill := false
	if isWrite(r) && !k.killed {
		k.writes++
		kill = k.writes == k.at
		k.killed = kill
	}
	proc, exited := k.proc, k.exited
	k.mu.Unlock()
	if !kill {
		k.next.ServeHTTP(w, r)
		return
	}
	if k.after {
		k.next.ServeHTTP(httptest.NewRecorder(), r)
	}
	_ = proc.Kill()
	<-exited
	http.Error(w, "killed", http.StatusServiceUnavailable)
}

// TestCrashKill9 runs the real binary's apply against the faulty sandbox
// and kills it with SIGKILL at a seeded write, before or after the write
// committed. The killed run's audit entries must be about objects the plan
// names, with no narrowing entry after a widening one; the record it left
// must be valid, say it is incomplete, name every change of the plan and
// call ok only changes the audit log shows; the next apply must converge; and replaying the audit log must never show more access than
// the old or the new state grants (see scenario.verify). The in-process
// TestCrash covers many more points; this one proves the same of the
// process as shipped.
func TestCrashKill9(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	var runs tally
	var kills atomic.Int64
	eachSeed(t, seeds(t, 4, 40), func(t *testing.T, seed int64) {
		s := newScenario(t, seed, faulty(seed))
		rng := rand.New(rand.NewPCG(uint64(seed), 0x6b396b39))
		api := newClient(t, s.svc.ts.URL, s.w.creds(s.w.home), &http.Client{Transport: patient{}}, 0)
		p, err := computePlan(context.Background(), api, s.cfg)
		api.CloseIdleConnections()
		if err != nil {
			t.Fatalf("seed %d: plan: %v", seed, err)
		}
		if !p.HasChanges() {
			t.Fatalf("seed %d: the plan has no changes, so there is nothing to kill", seed)
		}
		ks := &killSwitch{next: s.svc.ts.Config.Handler, at: 1 + rng.IntN(len(p.Changes)), after: rng.IntN(2) == 0}
		front := httptest.NewServer(ks)
		defer front.Close()

		creds := s.w.creds(s.w.home)
		env := []string{"TRUSTSYNC_API_URL=" + front.URL, "GENESYSCLOUD_OAUTHCLIENT_ID=" + creds.ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET=" + creds.Secret}
		cmd := cliCommand(bin, filepath.Dir(s.file), env,
			"apply", "-f", "trusts.yaml", "--auto-approve", "--allow-removals", "--concurrency", "1", "--record", "record.json")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		from := len(s.svc.audit())
		ks.mu.Lock()
		if err := cmd.Start(); err != nil {
			ks.mu.Unlock()
			t.Fatal(err)
		}
		ks.proc, ks.exited = cmd.Process, make(chan struct{})
		ks.mu.Unlock()
		werr := cmd.Wait()
		close(ks.exited)
		s.svc.settle()

		ks.mu.Lock()
		killed := ks.killed
		ks.mu.Unlock()
		if killed {
			kills.Add(1)
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Errorf("seed %d: trustsync was not ended by SIGKILL: %v\n%s", seed, werr, out.String())
			}
		} else {
			t.Logf("seed %d: apply ended before write %d (%v)", seed, ks.at, werr)
		}
		steps, err := replayAll(s.w.old, s.svc.audit()[s.base:], s.base)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		widened := -1
		for _, st := range steps[from-s.base:] {
			if !covered(p, st.entry) {
				t.Errorf("seed %d: audit entry %d is about an object the plan does not name: %s", seed, st.index, describeEntry(st.entry))
			}
			if st.narrow && widened >= 0 {
				t.Errorf("seed %d: audit entry %d narrows access after entry %d widened it: %s", seed, st.index, widened, describeEntry(st.entry))
			}
			if st.widen && widened < 0 {
				widened = st.index
			}
		}
		if killed {
			checkPartialRecord(t, seed, filepath.Join(filepath.Dir(s.file), "record.json"), p, steps[from-s.base:])
		}
		runs.add(seed, s.converge("after kill -9 "))
		s.verify()
		runs.count(s)
	})
	runs.report(t, "kill -9")
	t.Logf("kill -9: %d processes killed", kills.Load())
	if kills.Load() == 0 {
		t.Error("kill -9: no process was killed; the test proved nothing")
	}
}

// checkPartialRecord checks the record a killed apply left at path: valid
// JSON, marked incomplete, naming every change of p in order, and calling ok
// only changes that one of the run's audit entries shows. (Changes that
// ended after the record's last rewrite are pending in it, so a change the
// run printed as ok may be pending; it may never be ok without the write.)
func checkPartialRecord(t *testing.T, seed int64, path string, p *plan.Plan, run []step) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("seed %d: the killed apply left no record: %v", seed, err)
		return
	}
	var rec struct {
		RecordVersion string `json:"record_version"`
		Complete      *bool  `json:"complete"`
		Changes       []struct {
			Address string `json:"address"`
			Status  string `json:"status"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Errorf("seed %d: the record the killed apply left is not valid JSON: %v\n%s", seed, err, data)
		return
	}
	if rec.RecordVersion == "" || rec.Complete == nil || *rec.Complete {
		t.Errorf("seed %d: the killed apply's record has record_version %q and complete %v, want a version and false", seed, rec.RecordVersion, rec.Complete)
	}
	// Addresses need not be unique (the two halves of a role change share
	// one), so the record's changes are matched to the plan's by position:
	// it lists them in plan order.
	if len(rec.Changes) != len(p.Changes) {
		t.Errorf("seed %d: the record names %d changes, the plan has %d", seed, len(rec.Changes), len(p.Changes))
		return
	}
	counts := map[string]int{}
	defer func() { t.Logf("seed %d: the killed apply's record: %v", seed, counts) }()
	for i, rc := range rec.Changes {
		counts[rc.Status]++
		c := p.Changes[i]
		if rc.Address != c.Address {
			t.Errorf("seed %d: the record's change %d is %s, the plan's %s", seed, i, rc.Address, c.Address)
			continue
		}
		one := &plan.Plan{Changes: []plan.Change{c}}
		if rc.Status == "ok" && !slices.ContainsFunc(run, func(st step) bool { return covered(one, st.entry) }) {
			t.Errorf("seed %d: the record calls change %d (%s) ok, but no audit entry of the run shows it", seed, i, rc.Address)
		}
	}
}
