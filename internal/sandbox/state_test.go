package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
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
		snap, err := st.snapshot(uint64(len(snaps) + 1))
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, snap)
		wants = append(wants, wantStateFile(t, st))
	}
	take() // no audit entries
	tr := st.findTrust(northwind, bluebird)
	c.audit(entityTrusteeUser, actionCreate, tr, userBianca, roleChange(nil, []string{roleClaimsAgent}))
	take()
	tr.Enabled = false
	c.audit(entityTrustee, actionUpdate, tr, "", []PropertyChange{change("enabled", []string{"true"}, []string{"false"})})
	c.audit(entityTrusteeUser, actionDelete, tr, userBianca, roleChange([]string{roleClaimsAgent}, nil))
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
// disk would) and checks that readers carry on and see the change, that
// the writers' answers wait for the file, and that the file then holds
// every change.
func TestStateWriteDoesNotBlockReaders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	h := newHarness(t, nil, Options{StatePath: path})
	nw := h.login("northwind")
	cf := h.login("copperfield")
	users := oa + "/trustees/" + bluebird + "/users"

	h.s.persistMu.Lock() // the disk is busy
	locked := true
	defer func() {
		if locked {
			h.s.persistMu.Unlock()
		}
	}()
	var wg sync.WaitGroup
	answers := make(chan int, 2)
	for _, w := range []struct{ tok, trustor, trustee, user string }{
		{nw, northwind, bluebird, userBianca},
		{cf, copperfield, northwind, userPriya},
	} {
		wg.Go(func() {
			st, err := h.try(w.tok, http.MethodPost, oa+"/trustees/"+w.trustee+"/users", `{"id":"`+w.user+`"}`)
			if err != nil {
				t.Error(err)
			}
			answers <- st
		})
		for !h.inTrust(w.trustor, w.trustee, w.user) {
			time.Sleep(time.Millisecond) // until the change is committed
		}
	}
	// Readers are not held up by the pending writes, and see the changes.
	if got := h.list(nw, users).ids(); !slices.Contains(got, userBianca) {
		t.Errorf("users while the file is being written = %v", got)
	}
	if got := h.list(nw, oa+"/trustors/"+copperfield+"/users").ids(); !slices.Contains(got, userPriya) {
		t.Errorf("trustor users while the file is being written = %v", got)
	}
	h.do(nw, http.MethodGet, "/api/v2/organizations/me", nil).want(t, http.StatusOK)
	// The writers answer only once their change is on disk.
	select {
	case st := <-answers:
		t.Fatalf("a write answered %d before its change was on disk", st)
	default:
	}
	h.s.persistMu.Unlock()
	locked = false
	wg.Wait()
	close(answers)
	for st := range answers {
		if st != http.StatusOK {
			t.Errorf("write answered %d", st)
		}
	}
	loaded, err := loadStore(path)
	if err != nil {
		t.Fatal(err)
	}
	nb, cn := loaded.findTrust(northwind, bluebird), loaded.findTrust(copperfield, northwind)
	if nb == nil || nb.member(userBianca) == nil || cn == nil || cn.member(userPriya) == nil || len(loaded.Audit) != 2 {
		t.Errorf("the state file misses a change: %+v, %+v, %d audit entries", nb, cn, len(loaded.Audit))
	}
	h.s.mu.Lock()
	gen := h.s.gen
	h.s.mu.Unlock()
	h.s.persistMu.Lock()
	written := h.s.written
	h.s.persistMu.Unlock()
	if written != gen {
		t.Errorf("written generation %d, store generation %d", written, gen)
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
	if len(loaded.Audit) != 40 || len(loaded.Pairings) != 10 {
		t.Errorf("state file holds %d audit entries and %d pairings, want 40 and 10", len(loaded.Audit), len(loaded.Pairings))
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

// TestStateOlderSnapshotNeverWins checks that a snapshot taken before a
// change that is already on disk is not written over it.
func TestStateOlderSnapshotNeverWins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	h := newHarness(t, nil, Options{StatePath: path})
	nw := h.login("northwind")
	h.s.mu.Lock()
	old, err := h.s.st.snapshot(h.s.gen)
	h.s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	h.do(nw, http.MethodDelete, oa+"/trustees/"+bluebird, nil).want(t, http.StatusNoContent)
	if err := h.s.persistSnapshot(old); err != nil {
		t.Fatal(err)
	}
	loaded, err := loadStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.findTrust(northwind, bluebird) != nil || len(loaded.Audit) != 1 {
		t.Errorf("an older snapshot replaced the newer state: %d audit entries", len(loaded.Audit))
	}
	// The current state may be written again (Close does).
	if err := h.s.Close(); err != nil {
		t.Fatal(err)
	}
	if loaded, err = loadStore(path); err != nil || loaded.findTrust(northwind, bluebird) != nil {
		t.Errorf("after Close: %v", err)
	}
}
