package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// wantStateFile is what the state file holds for st: the store as
// json.MarshalIndent writes it, plus a newline.
func wantStateFile(t *testing.T, st *store) []byte {
	t.Helper()
	cp := *st
	cp.Audit = nonNil(cp.Audit)
	data, err := json.MarshalIndent(&cp, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(data, '\n')
}

// joinChunks concatenates what stateEncoder.encode returned.
func joinChunks(t *testing.T, chunks [][]byte, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Join(chunks, nil)
}

// try sends an API request with a JSON body ("" for none) and returns the
// status; unlike do it is safe to call from any goroutine.
func (h *harness) try(tok, method, path, body string) (int, error) {
	req, err := http.NewRequest(method, h.ts.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := h.ts.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// TestStateEncoder checks that the incremental encoding is the store's
// full encoding, whatever order the snapshots come in.
func TestStateEncoder(t *testing.T) {
	st := newStore(DemoFixture(), time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	c := &call{st: st, now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), org: st.orgByID[northwind], clientID: "northwind-demo-client"}
	var snaps []*stateSnapshot
	var wants [][]byte
	take := func() {
		snap, err := st.snapshot()
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, snap)
		wants = append(wants, wantStateFile(t, st))
	}
	take() // no audit entries
	tr := st.findTrust(northwind, bluebird)
	c.audit(entityTrusteeUser, actionCreate, tr, ctxUserID, userBianca, roleChange(nil, []string{roleClaimsAgent}))
	take()
	tr.Enabled = false
	c.audit(entityTrustee, actionUpdate, tr, "", "", []PropertyChange{change("enabled", []string{"true"}, []string{"false"})})
	c.audit(entityTrusteeUser, actionDelete, tr, ctxUserID, userBianca, roleChange([]string{roleClaimsAgent}, nil))
	take()

	var enc stateEncoder
	for _, i := range []int{0, 1, 2, 2, 1, 0, 2} {
		chunks, err := enc.encode(snaps[i])
		got := joinChunks(t, chunks, err)
		if !bytes.Equal(got, wants[i]) {
			t.Fatalf("snapshot %d encodes as\n%s\nwant\n%s", i, got, wants[i])
		}
		var back store
		if err := json.Unmarshal(got, &back); err != nil || len(back.Audit) != len(snaps[i].audit) {
			t.Fatalf("snapshot %d does not read back: %v (%d audit entries)", i, err, len(back.Audit))
		}
	}
	// A snapshot is not changed by what happens to the store after it.
	tr.Enabled = true
	if chunks, err := enc.encode(snaps[2]); !bytes.Equal(joinChunks(t, chunks, err), wants[2]) {
		t.Error("a later change leaked into an earlier snapshot")
	}
}

// TestStateFileMatchesStore checks the file after each answered write
// through the API: it holds exactly the store.
func TestStateFileMatchesStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	h := newHarness(t, nil, Options{StatePath: path})
	check := func(what string) {
		t.Helper()
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		h.s.mu.Lock()
		want := wantStateFile(t, h.s.st)
		h.s.mu.Unlock()
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the state file is not the store:\n%s\nwant\n%s", what, got, want)
		}
	}
	check("at start")
	nw := h.login("northwind")
	check("after a token")
	users := oa + "/trustees/" + bluebird + "/users"
	h.do(nw, http.MethodPost, users, map[string]any{"id": userBianca, "roleIds": []string{roleClaimsAgent}}).want(t, http.StatusOK)
	check("after an add")
	h.do(nw, http.MethodDelete, users+"/"+userBianca, nil).want(t, http.StatusNoContent)
	check("after a remove")
	h.s.Inject(Fault{Method: http.MethodPost, Status: http.StatusBadGateway, Commit: true})
	h.do(nw, http.MethodPost, users, map[string]any{"id": userBianca}).want(t, http.StatusBadGateway)
	check("after a committed write whose answer was lost")
	if !h.inTrust(northwind, bluebird, userBianca) {
		t.Error("the faulted write was not committed")
	}
}

// TestStateWriteDoesNotBlockReaders holds the state file writer (as a slow
// disk would) and checks that readers carry on meanwhile and still see the
// state before the change (it is applied only once saved), that the
// writer's answer waits for the file, and that the change then shows.
func TestStateWriteDoesNotBlockReaders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	h := newHarness(t, nil, Options{StatePath: path})
	nw := h.login("northwind")
	users := oa + "/trustees/" + bluebird + "/users"

	entered := make(chan struct{})
	release := make(chan struct{})
	h.s.writeMu.Lock()
	var once sync.Once
	h.s.writeFile = func(path string, chunks ...[]byte) error {
		once.Do(func() {
			close(entered)
			<-release // the disk is busy
		})
		return writeState(path, chunks...)
	}
	h.s.writeMu.Unlock()
	answer := make(chan int, 1)
	go func() {
		st, err := h.try(nw, http.MethodPost, users, `{"id":"`+userBianca+`"}`)
		if err != nil {
			t.Error(err)
		}
		answer <- st
	}()
	<-entered
	// Readers are not held up by the pending write and see the state
	// before it.
	if got := h.list(nw, users).ids(); slices.Contains(got, userBianca) {
		t.Errorf("users while the change is being saved = %v, want it not applied yet", got)
	}
	h.do(nw, http.MethodGet, "/api/v2/organizations/me", nil).want(t, http.StatusOK)
	select {
	case st := <-answer:
		t.Fatalf("the write answered %d before its change was on disk", st)
	default:
	}
	close(release)
	if st := <-answer; st != http.StatusOK {
		t.Fatalf("write answered %d", st)
	}
	if got := h.list(nw, users).ids(); !slices.Contains(got, userBianca) {
		t.Errorf("users after the save = %v", got)
	}
	loaded, err := loadStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if nb := loaded.findTrust(northwind, bluebird); nb == nil || nb.member(userBianca) == nil || len(loaded.Audit) != 1 {
		t.Errorf("the state file misses the change")
	}
}

// TestStateUnsavedChangeIsNotMade makes the state path unwritable (a
// directory stands where the file goes, which stops even root) and checks
// that a write answers 500 with nothing changed, in memory and on disk,
// and that the sandbox carries on once the path is writable again.
func TestStateUnsavedChangeIsNotMade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	h := newHarness(t, nil, Options{StatePath: path})
	nw := h.login("northwind")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".saved"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path, "blocker"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.s.ResetStats()
	users := oa + "/trustees/" + bluebird + "/users"
	h.do(nw, http.MethodPost, users, map[string]any{"id": userBianca}).wantError(t, http.StatusInternalServerError, "the change was not made")
	h.do(nw, http.MethodDelete, oa+"/trustees/"+bluebird, nil).wantError(t, http.StatusInternalServerError, "the change was not made")
	h.tokenRequest(demoClients["bluebird"].ID, demoClients["bluebird"].Secret, "client_credentials").want(t, http.StatusInternalServerError)
	if got := h.list(nw, users).ids(); slices.Contains(got, userBianca) || len(got) != 3 {
		t.Errorf("users after failed saves = %v", got)
	}
	if n := len(h.s.AuditLog()); n != 0 {
		t.Errorf("%d audit entries after failed saves", n)
	}
	if st := h.s.Stats(); st.Writes != 0 || st.ByStatus["500"] != 2 {
		t.Errorf("stats after failed saves: %+v", st)
	}

	// Writable again: the next change is saved with the rest, and no
	// trace of the failed ones.
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".saved", path); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, before) {
		t.Fatal("the state file changed")
	}
	h.do(nw, http.MethodPut, oa+"/trustees/"+bluebird+"/users/"+userBo+"/roles", []string{roleMasterAdmin}).want(t, http.StatusOK)
	loaded, err := loadStore(path)
	if err != nil {
		t.Fatal(err)
	}
	nb := loaded.findTrust(northwind, bluebird)
	if nb == nil || nb.member(userBianca) != nil || !slices.Equal(nb.member(userBo).RoleIDs, []string{roleMasterAdmin}) || len(loaded.Audit) != 1 {
		t.Errorf("state after recovery: %+v, %d audit entries", nb, len(loaded.Audit))
	}
	got, _ := os.ReadFile(path)
	h.s.mu.Lock()
	want := wantStateFile(t, h.s.st)
	h.s.mu.Unlock()
	if !bytes.Equal(got, want) {
		t.Errorf("the state file is not the store after recovery:\n%s\nwant\n%s", got, want)
	}
}

// TestStateConcurrentWrites runs writers in parallel (under -race): every
// answered change is in the file, and an older snapshot never replaces a
// newer one.
func TestStateConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	h := newHarness(t, nil, Options{StatePath: path})
	nw := h.login("northwind")
	bb := h.login("bluebird")
	cf := h.login("copperfield")
	var wg sync.WaitGroup
	for _, w := range []struct{ tok, trustee, user string }{{nw, bluebird, userBianca}, {cf, northwind, userPriya}} {
		wg.Go(func() {
			users := oa + "/trustees/" + w.trustee + "/users"
			for i := range 10 {
				if st, err := h.try(w.tok, http.MethodPost, users, `{"id":"`+w.user+`"}`); st != http.StatusOK {
					t.Errorf("add %s #%d: %d %v", w.user, i, st, err)
				}
				if st, err := h.try(w.tok, http.MethodDelete, users+"/"+w.user, ""); st != http.StatusNoContent {
					t.Errorf("remove %s #%d: %d %v", w.user, i, st, err)
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 10 {
			if st, err := h.try(bb, http.MethodPost, oa+"/pairings", `{"userIds":["`+userBella+`"]}`); st != http.StatusOK {
				t.Errorf("pairing #%d: %d %v", i, st, err)
			}
			if st, err := h.try(nw, http.MethodGet, oa+"/trustees", ""); st != http.StatusOK {
				t.Errorf("list #%d: %d %v", i, st, err)
			}
		}
	})
	wg.Wait()
	loaded, err := loadStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Audit) != 50 || len(loaded.Pairings) != 10 {
		t.Errorf("state file holds %d audit entries and %d pairings, want 50 and 10", len(loaded.Audit), len(loaded.Pairings))
	}
	if w := h.s.Stats().Writes; w != 50 {
		t.Errorf("writes = %d, want 50", w)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h.s.mu.Lock()
	want := wantStateFile(t, h.s.st)
	h.s.mu.Unlock()
	if !bytes.Equal(got, want) {
		t.Error("after the last answer the state file is not the store")
	}
}

// TestStateLock checks that a second sandbox on the same state file waits
// for the first, then fails with a message naming the file, and starts
// once the first is closed, with every change the first acknowledged.
func TestStateLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	h := newHarness(t, nil, Options{StatePath: path})
	nw := h.login("northwind")
	h.do(nw, http.MethodDelete, oa+"/trustees/"+bluebird, nil).want(t, http.StatusNoContent)

	_, err := New(DemoFixture(), Options{StatePath: path, LockWait: 30 * time.Millisecond})
	if !errors.Is(err, ErrStateInUse) || !strings.Contains(err.Error(), "the sandbox state "+path+" is in use by another trustsync run") {
		t.Fatalf("second sandbox: %v", err)
	}
	if err := h.s.Close(); err != nil {
		t.Fatal(err)
	}
	// After Close the first sandbox refuses changes it could not save.
	h.do(nw, http.MethodDelete, oa+"/trustees/"+care, nil).wantError(t, http.StatusInternalServerError, "closed")

	s2, err := New(DemoFixture(), Options{StatePath: path, LockWait: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s2.mu.Lock()
	gone, kept := s2.st.findTrust(northwind, bluebird) == nil, s2.st.findTrust(northwind, care) != nil
	s2.mu.Unlock()
	if !gone || !kept {
		t.Errorf("the second sandbox does not see the first's acknowledged changes (bluebird trust gone: %v, care trust kept: %v)", gone, kept)
	}
}

// TestStateLockHandsOver has a second sandbox wait for the first (as a
// second run in the same directory does), and checks that it starts as
// soon as the first closes and holds every change the first answered.
func TestStateLockHandsOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	first, err := New(DemoFixture(), Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: first, ts: httptest.NewServer(first), clock: newFakeClock()}
	defer h.ts.Close()
	nw := h.login("northwind")

	type result struct {
		s   *Server
		err error
	}
	second := make(chan result, 1)
	go func() {
		s, err := New(DemoFixture(), Options{StatePath: path, LockWait: time.Minute})
		second <- result{s, err}
	}()
	// Changes the first acknowledges while the second waits.
	h.do(nw, http.MethodDelete, oa+"/trustees/"+bluebird+"/users/"+userBo, nil).want(t, http.StatusNoContent)
	h.do(nw, http.MethodPut, oa+"/trustees/"+care, map[string]any{"enabled": false}).want(t, http.StatusOK)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	r := <-second
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.s.Close()
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	nb, nc := r.s.st.findTrust(northwind, bluebird), r.s.st.findTrust(northwind, care)
	if nb.member(userBo) != nil || nc.Enabled || len(r.s.st.Audit) != 2 {
		t.Errorf("the second sandbox lost acknowledged changes: Bo in trust %v, care enabled %v, %d audit entries", nb.member(userBo) != nil, nc.Enabled, len(r.s.st.Audit))
	}
}
