package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	h := newHarness(t, nil, Options{RateLimit: 60}) // 1 per second, bucket of 1
	nw := h.login("northwind")
	other := h.login("northwind")
	path := oa + "/trustees"

	h.do(nw, http.MethodGet, path, nil).want(t, http.StatusOK)
	r := h.do(nw, http.MethodGet, path, nil)
	eb := r.wantError(t, http.StatusTooManyRequests)
	if eb.Code != "too.many.requests.retry.after" || r.header.Get("Retry-After") != "1" {
		t.Errorf("429: code %q Retry-After %q", eb.Code, r.header.Get("Retry-After"))
	}
	// Each token has its own bucket; token requests are never limited.
	h.do(other, http.MethodGet, path, nil).want(t, http.StatusOK)
	for range 3 {
		h.login("northwind")
	}
	h.clock.Advance(500 * time.Millisecond)
	h.do(nw, http.MethodGet, path, nil).want(t, http.StatusTooManyRequests)
	h.clock.Advance(500 * time.Millisecond)
	h.do(nw, http.MethodGet, path, nil).want(t, http.StatusOK)
	// The bucket holds one second's worth: a long pause does not bank more.
	h.clock.Advance(time.Hour)
	h.do(nw, http.MethodGet, path, nil).want(t, http.StatusOK)
	h.do(nw, http.MethodGet, path, nil).want(t, http.StatusTooManyRequests)

	st := h.s.Stats()
	if st.ByStatus["429"] != 3 || st.ByStatus["200"] != 4 || st.ByRoute["GET "+path] != 7 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRateLimitBucketAndRetryAfter(t *testing.T) {
	h := newHarness(t, nil, Options{RateLimit: 600}) // 10 per second, bucket of 10
	nw := h.login("northwind")
	for i := range 10 {
		if r := h.do(nw, http.MethodGet, "/api/v2/organizations/me", nil); r.status != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	h.do(nw, http.MethodGet, "/api/v2/organizations/me", nil).want(t, http.StatusTooManyRequests)

	slow := newHarness(t, nil, Options{RateLimit: 12}) // one every 5 seconds
	tok := slow.login("bluebird")
	slow.do(tok, http.MethodGet, "/api/v2/users", nil).want(t, http.StatusOK)
	r := slow.do(tok, http.MethodGet, "/api/v2/users", nil).want(t, http.StatusTooManyRequests)
	if got := r.header.Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After %q, want 5", got)
	}
	slow.clock.Advance(2 * time.Second)
	r = slow.do(tok, http.MethodGet, "/api/v2/users", nil).want(t, http.StatusTooManyRequests)
	if got := r.header.Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After %q, want 3", got)
	}
	slow.clock.Advance(3 * time.Second)
	slow.do(tok, http.MethodGet, "/api/v2/users", nil).want(t, http.StatusOK)
}

// faultRun makes the same sequence of requests against a fresh sandbox
// and returns the statuses and which of the writes took effect.
func faultRun(t *testing.T, seed int64) (statuses []int, committed []bool, st Stats) {
	h := newHarness(t, nil, Options{FaultRate: 0.5, FaultSeed: seed})
	nw := h.login("northwind")
	users := []string{userBianca, userBo, userBella, userBen}
	for i := range 40 {
		switch i % 4 {
		case 0:
			statuses = append(statuses, h.do(nw, http.MethodGet, oa+"/trustees", nil).status)
		case 1:
			// Add (or, when present, remove) a user: a write.
			u := users[(i/4)%len(users)]
			before := h.inTrust(northwind, bluebird, u)
			var r response
			if before {
				r = h.do(nw, http.MethodDelete, oa+"/trustees/"+bluebird+"/users/"+u, nil)
			} else {
				r = h.do(nw, http.MethodPost, oa+"/trustees/"+bluebird+"/users", map[string]any{"id": u})
			}
			after := h.inTrust(northwind, bluebird, u)
			statuses = append(statuses, r.status)
			committed = append(committed, before != after)
			if r.status < 300 && before == after {
				t.Errorf("request %d answered %d but changed nothing", i, r.status)
			}
		case 2:
			statuses = append(statuses, h.do(nw, http.MethodGet, "/api/v2/users", nil).status)
		case 3:
			statuses = append(statuses, h.do(nw, http.MethodPut, oa+"/trustees/"+bluebird, map[string]any{"enabled": i%8 == 3}).status)
		}
	}
	return statuses, committed, h.s.Stats()
}

func TestRandomFaultsAreDeterministic(t *testing.T) {
	s1, c1, st1 := faultRun(t, 7)
	s2, c2, st2 := faultRun(t, 7)
	if !slices.Equal(s1, s2) || !slices.Equal(c1, c2) {
		t.Fatalf("same seed, different runs:\n%v %v\n%v %v", s1, c1, s2, c2)
	}
	s3, _, _ := faultRun(t, 8)
	if slices.Equal(s1, s3) {
		t.Errorf("seeds 7 and 8 gave the same faults: %v", s1)
	}
	faults, lostCommits := 0, 0
	for i, s := range s1 {
		switch s {
		case http.StatusOK, http.StatusNoContent:
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			faults++
			if i%4 == 1 && c1[i/4] {
				lostCommits++
			}
		default:
			t.Errorf("request %d: unexpected status %d", i, s)
		}
	}
	if faults < 10 || faults > 30 {
		t.Errorf("%d of 40 requests faulted at rate 0.5", faults)
	}
	if lostCommits == 0 {
		t.Errorf("no faulted write was committed: statuses %v committed %v", s1, c1)
	}
	if st1.Writes != st2.Writes || st1.Requests != 40 {
		t.Errorf("stats %+v vs %+v", st1, st2)
	}
}

func TestFaultRateOneFailsEveryRequest(t *testing.T) {
	h := newHarness(t, nil, Options{FaultRate: 1, FaultSeed: 3})
	nw := h.login("northwind") // token requests never fault
	committed := 0
	for i := range 20 {
		r := h.do(nw, http.MethodPost, oa+"/trustees/"+bluebird+"/users", map[string]any{"id": userBianca})
		if r.status < 502 || r.status > 504 {
			t.Fatalf("request %d: %d", i, r.status)
		}
		if h.inTrust(northwind, bluebird, userBianca) {
			committed++
			h.s.mu.Lock()
			tr := h.s.st.findTrust(northwind, bluebird)
			tr.Users = slices.DeleteFunc(tr.Users, func(m *memberRec) bool { return m.ID == userBianca })
			h.s.mu.Unlock()
		}
	}
	if committed == 0 || committed == 20 {
		t.Errorf("%d of 20 faulted writes committed, want some but not all", committed)
	}
	if got := h.s.Stats().Writes; got != int64(committed) {
		t.Errorf("writes = %d, committed = %d", got, committed)
	}
	if n := len(h.s.AuditLog()); n != committed {
		t.Errorf("%d audit entries for %d committed writes", n, committed)
	}
	h.do("", http.MethodGet, "/_sandbox/stats", nil).want(t, http.StatusOK)
}

func TestInject(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	list := oa + "/trustees"

	h.s.Inject(Fault{Method: "GET", Path: list, Status: 503, Times: 2})
	h.do(nw, http.MethodGet, list, nil).want(t, http.StatusServiceUnavailable)
	h.do(nw, http.MethodPost, oa+"/trustees/audits", map[string]any{"trusteeOrganizationIds": []string{}, "trusteeUserIds": []string{}}).want(t, http.StatusOK)
	h.do(nw, http.MethodGet, list, nil).want(t, http.StatusServiceUnavailable)
	h.do(nw, http.MethodGet, list, nil).want(t, http.StatusOK)

	// Query matching and 429 with Retry-After.
	h.s.Inject(Fault{Query: "pageNumber=2", Status: 429, RetryAfter: 7})
	h.do(nw, http.MethodGet, list+"?pageNumber=1", nil).want(t, http.StatusOK)
	r := h.do(nw, http.MethodGet, list+"?pageSize=1&pageNumber=2", nil).want(t, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "7" || r.errBody(t).Code != "too.many.requests.retry.after" {
		t.Errorf("injected 429: %v %s", r.header, r.body)
	}
	h.s.Inject(Fault{Status: 429})
	if r := h.do(nw, http.MethodGet, list, nil); r.header.Get("Retry-After") != "1" {
		t.Errorf("default Retry-After %q", r.header.Get("Retry-After"))
	}

	// A lost answer: the write is committed, the caller sees 502, a retry 409.
	add := oa + "/trustees/" + bluebird + "/users"
	h.s.Inject(Fault{Method: "POST", Path: add, Status: 502, Commit: true})
	h.do(nw, http.MethodPost, add, map[string]any{"id": userBianca}).want(t, http.StatusBadGateway)
	h.do(nw, http.MethodPost, add, map[string]any{"id": userBianca}).want(t, http.StatusConflict)
	// Without Commit, nothing happens.
	h.s.Inject(Fault{Method: "DELETE", Status: 504})
	h.do(nw, http.MethodDelete, add+"/"+userBianca, nil).want(t, http.StatusGatewayTimeout)
	h.do(nw, http.MethodGet, add+"/"+userBianca, nil).want(t, http.StatusOK)
	// A committed delete whose answer is lost: the retry sees 404.
	h.s.Inject(Fault{Method: "DELETE", Status: 500, Commit: true})
	h.do(nw, http.MethodDelete, add+"/"+userBianca, nil).want(t, http.StatusInternalServerError)
	h.do(nw, http.MethodDelete, add+"/"+userBianca, nil).want(t, http.StatusNotFound)
	if w := h.s.Stats().Writes; w != 2 {
		t.Errorf("writes = %d, want 2 (both committed faults)", w)
	}

	// The token endpoint faults only for an explicit path.
	h.s.Inject(Fault{Status: 503})
	h.login("northwind")
	h.s.Inject(Fault{Path: "/oauth/token", Status: 503})
	c := demoClients["northwind"]
	var te tokenError
	h.tokenRequest(c.ID, c.Secret, "client_credentials").want(t, http.StatusServiceUnavailable).decode(t, &te)
	if te.Error != "server_error" || te.Code != "service.unavailable" {
		t.Errorf("token fault body %+v", te)
	}
	h.login("northwind")
	h.do(nw, http.MethodGet, list, nil).want(t, http.StatusServiceUnavailable) // the Status 503 fault above
	h.do(nw, http.MethodGet, list, nil).want(t, http.StatusOK)
}

func TestStatsRoutes(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	h.do(nw, http.MethodGet, oa+"/trustees", nil).want(t, http.StatusOK)
	h.do(nw, http.MethodGet, oa+"/trustees/"+bluebird, nil).want(t, http.StatusOK)
	h.do(nw, http.MethodGet, oa+"/trustees/"+copperfield, nil).want(t, http.StatusNotFound)
	h.do(nw, http.MethodPut, oa+"/trustees/"+bluebird, map[string]any{"enabled": false}).want(t, http.StatusOK)
	h.do(nw, http.MethodPost, oa+"/trustees/audits", map[string]any{"trusteeOrganizationIds": []string{}, "trusteeUserIds": []string{}}).want(t, http.StatusOK)
	h.do("", http.MethodGet, oa+"/trustees", nil).want(t, http.StatusUnauthorized)

	var st map[string]any
	h.do("", http.MethodGet, "/_sandbox/stats", nil).want(t, http.StatusOK).decode(t, &st)
	want := map[string]any{
		"requests": 6.0, "writes": 1.0, "tokenRequests": 1.0,
		"byRoute": map[string]any{
			"GET " + oa + "/trustees":                2.0,
			"GET " + oa + "/trustees/{trusteeOrgId}": 2.0,
			"PUT " + oa + "/trustees/{trusteeOrgId}": 1.0,
			"POST " + oa + "/trustees/audits":        1.0,
		},
		"byStatus": map[string]any{"200": 4.0, "404": 1.0, "401": 1.0},
	}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Errorf("stats:\n%v\nwant\n%v", st, want)
	}
	if got := h.s.Stats(); got.Requests != 6 || got.ByRoute["GET "+oa+"/trustees"] != 2 {
		t.Errorf("Stats() = %+v", got)
	}
	h.do("", http.MethodPost, "/_sandbox/stats/reset", nil).want(t, http.StatusOK)
	h.do("", http.MethodGet, "/_sandbox/stats", nil).decode(t, &st)
	if st["requests"] != 0.0 || len(st["byRoute"].(map[string]any)) != 0 {
		t.Errorf("after reset: %v", st)
	}
	h.do("", http.MethodGet, "/_sandbox/stats/reset", nil).want(t, http.StatusMethodNotAllowed)
	h.do(nw, http.MethodGet, oa+"/trustees", nil)
	h.s.ResetStats()
	if got := h.s.Stats(); got.Requests != 0 || got.ByStatus == nil {
		t.Errorf("after ResetStats: %+v", got)
	}
}

func TestLatencyDelays(t *testing.T) {
	h := newHarness(t, nil, Options{Latency: 30 * time.Millisecond})
	nw := h.login("northwind")
	start := time.Now()
	h.do(nw, http.MethodGet, "/api/v2/organizations/me", nil).want(t, http.StatusOK)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("request took %v, want at least 30ms", d)
	}
}

// TestLatencyDoesNotSerialize holds one request inside its latency wait and
// checks that another request completes meanwhile.
func TestLatencyDoesNotSerialize(t *testing.T) {
	h := newHarness(t, nil, Options{Latency: time.Hour})
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	h.s.sleep = func(ctx context.Context, d time.Duration) error {
		if d != time.Hour {
			t.Errorf("sleep(%v)", d)
		}
		first := false
		once.Do(func() { first = true })
		if first {
			close(entered)
			<-release
		}
		return nil
	}
	nw := h.login("northwind")
	done := make(chan int)
	go func() {
		res, err := httpGet(h, nw, "/api/v2/users")
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	<-entered
	h.do(nw, http.MethodGet, "/api/v2/organizations/me", nil).want(t, http.StatusOK)
	close(release)
	if status := <-done; status != http.StatusOK {
		t.Errorf("held request: %d", status)
	}
}

// httpGet is a goroutine-safe GET returning only the status.
func httpGet(h *harness, tok, path string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, h.ts.URL+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := h.ts.Client().Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// TestParallel runs readers and writers of both sides of two trusts at once;
// run it with -race.
func TestParallel(t *testing.T) {
	h := newHarness(t, nil, Options{})
	tokens := map[string]string{}
	for org := range demoClients {
		tokens[org] = h.login(org)
	}
	do := func(tok, method, path string, body string) (int, error) {
		var req *http.Request
		var err error
		if body == "" {
			req, err = http.NewRequest(method, h.ts.URL+path, nil)
		} else {
			req, err = http.NewRequest(method, h.ts.URL+path, strings.NewReader(body))
		}
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := h.ts.Client().Do(req)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	worker := func(name string, steps func(i int) (int, []int, error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				status, ok, err := steps(i)
				if err != nil {
					errs <- err
					return
				}
				if !slices.Contains(ok, status) {
					errs <- fmt.Errorf("%s step %d: status %d", name, i, status)
				}
			}
		}()
	}
	// Northwind toggles Bianca in its Bluebird trust while Bluebird reads it.
	worker("northwind adds/removes", func(i int) (int, []int, error) {
		if i%2 == 0 {
			s, err := do(tokens["northwind"], "POST", oa+"/trustees/"+bluebird+"/users", `{"id":"`+userBianca+`","roleIds":["`+roleClaimsAgent+`"]}`)
			return s, []int{200}, err
		}
		s, err := do(tokens["northwind"], "DELETE", oa+"/trustees/"+bluebird+"/users/"+userBianca, "")
		return s, []int{204}, err
	})
	worker("bluebird reads", func(i int) (int, []int, error) {
		s, err := do(tokens["bluebird"], "GET", oa+"/trustors/"+northwind+"/users", "")
		return s, []int{200}, err
	})
	// Copperfield changes roles of Nadia while Northwind (trustee) reads.
	worker("copperfield roles", func(i int) (int, []int, error) {
		role := []string{roleConsultant, roleProjectLead, roleAuditor}[i%3]
		s, err := do(tokens["copperfield"], "PUT", oa+"/trustees/"+northwind+"/users/"+userNadia+"/roles", `["`+role+`"]`)
		return s, []int{200}, err
	})
	worker("northwind as trustee", func(i int) (int, []int, error) {
		if i%2 == 0 {
			s, err := do(tokens["northwind"], "PUT", oa+"/trustors/"+copperfield+"/users/"+userPriya, "")
			return s, []int{200, 409}, err
		}
		s, err := do(tokens["northwind"], "DELETE", oa+"/trustors/"+copperfield+"/users/"+userPriya, "")
		return s, []int{204, 404}, err
	})
	worker("care reads", func(i int) (int, []int, error) {
		s, err := do(tokens["care"], "GET", oa+"/trustors", "")
		return s, []int{200}, err
	})
	worker("stats", func(i int) (int, []int, error) {
		_ = h.s.Stats()
		_ = h.s.AuditLog()
		_ = h.s.Orgs()
		s, err := do("", "GET", "/_sandbox/stats", "")
		return s, []int{200}, err
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := h.s.Stats()
	if st.Requests != 200 {
		t.Errorf("requests = %d, want 200", st.Requests)
	}
	// Every committed change is audited exactly once, in order.
	log := h.s.AuditLog()
	adds, removes := 0, 0
	for _, m := range log {
		if m.Entity.ID == userBianca {
			switch m.Action {
			case actionCreate:
				adds++
			case actionDelete:
				removes++
			}
		}
	}
	if adds != 20 || removes != 20 {
		t.Errorf("Bianca added %d and removed %d times, want 20 each", adds, removes)
	}
}

func TestStatePersistence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "sandbox.json")
	clock := newFakeClock()
	h := newHarness(t, nil, Options{StatePath: path, Now: clock.Now})
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the state file is written at start: %v", err)
	}
	nw := h.login("northwind")
	bb := h.login("bluebird")
	cf := h.login("copperfield")
	pid := h.pair(bb, userBianca)
	h.do(cf, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": pid, "enabled": true, "dateExpired": "2027-01-01T00:00:00Z",
		"users": []map[string]any{{"id": userBianca}}}).want(t, http.StatusOK)
	h.do(nw, http.MethodPut, oa+"/trustees/"+bluebird+"/users/"+userBo+"/roles", []string{roleMasterAdmin}).want(t, http.StatusOK)
	spare := h.pair(bb, userBo)

	// The file is complete after every mutation, without Close.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var onDisk store
	if err := json.Unmarshal(data, &onDisk); err != nil {
		t.Fatalf("state file is not JSON: %v", err)
	}
	if len(onDisk.Trusts) != 4 || len(onDisk.Audit) != 5 || len(onDisk.Pairings) != 2 {
		t.Errorf("state file holds %d trusts, %d audit entries, %d pairings", len(onDisk.Trusts), len(onDisk.Audit), len(onDisk.Pairings))
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if e.Name() != "sandbox.json" && e.Name() != "sandbox.json.lock" {
			t.Errorf("left behind %s", e.Name())
		}
	}

	// A new sandbox on the same file carries on, tokens included; the
	// fixture is not used. The first must be closed: it holds the file.
	if err := h.s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := New(nil, Options{StatePath: path, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s2)
	t.Cleanup(ts.Close)
	h2 := &harness{t: t, s: s2, ts: ts, clock: clock}
	if got := h2.roleIDs(nw, bluebird, userBo); !slices.Equal(got, []string{roleMasterAdmin}) {
		t.Errorf("roles after restart = %v", got)
	}
	var te map[string]any
	h2.do(cf, http.MethodGet, oa+"/trustees/"+bluebird, nil).want(t, http.StatusOK).decode(t, &te)
	if te["dateExpired"] != "2027-01-01T00:00:00.000Z" || te["dateCreated"] != "2026-03-01T09:00:00.000Z" {
		t.Errorf("trust after restart = %v", te)
	}
	if !slices.Equal(summary(h2.s.AuditLog()), summary(h.s.AuditLog())) {
		t.Error("audit log differs after restart")
	}
	h2.do(cf, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": pid, "enabled": true}).want(t, http.StatusConflict)
	h2.do(nw, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": spare, "enabled": true}).want(t, http.StatusConflict) // already trusts Bluebird
	if !slices.EqualFunc(s2.Orgs(), h.s.Orgs(), func(a, b OrgInfo) bool {
		return a.ID == b.ID && a.Name == b.Name && reflect.DeepEqual(a.Clients, b.Clients)
	}) {
		t.Error("orgs differ after restart")
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"torn.json":    `{"version": 1, "orgs": [`,
		"version.json": `{"version": 99, "orgs": [{"id": "x"}]}`,
		"unknown.json": `{"version": 1, "surprise": true}`,
		"empty.json":   `{"version": 1, "orgs": []}`,
		"refs.json":    `{"version": 1, "orgs": [{"id": "o", "name": "O", "clients": [], "roles": [], "users": []}], "trusts": [{"trustor": "o", "trustee": "p", "users": []}]}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := New(DemoFixture(), Options{StatePath: path})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "delete the file") {
			t.Errorf("%s: want an error naming the file with a hint, got %v", name, err)
		}
	}
	// A state path in a directory that cannot be created fails at start.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(DemoFixture(), Options{StatePath: filepath.Join(blocker, "state.json")}); err == nil {
		t.Error("want an error for a state file under a regular file")
	}
}

// TestNoOpWrites checks that a PUT or DELETE that sets what is already
// there is answered as usual but commits nothing: no write in the stats,
// no audit entry, no state file rewrite.
func TestNoOpWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	h := newHarness(t, nil, Options{StatePath: path})
	nw := h.login("northwind")
	trust := oa + "/trustees/" + bluebird
	roles := trust + "/users/" + userBo + "/roles"
	h.do(nw, http.MethodPut, trust, map[string]any{"enabled": true, "dateExpired": "2027-06-30T00:00:00.000Z"}).want(t, http.StatusOK)
	h.do(nw, http.MethodPut, roles, []string{roleClaimsSupervisor, roleReportingViewer}).want(t, http.StatusOK)

	fileID := func() os.FileInfo {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	before, writes, audits := fileID(), h.s.Stats().Writes, len(h.s.AuditLog())
	unchanged := func(what string) {
		t.Helper()
		if w := h.s.Stats().Writes; w != writes {
			t.Errorf("%s: writes %d, want %d", what, w, writes)
		}
		if n := len(h.s.AuditLog()); n != audits {
			t.Errorf("%s: %d audit entries, want %d", what, n, audits)
		}
		if !os.SameFile(before, fileID()) {
			t.Errorf("%s: the state file was rewritten", what)
		}
	}

	var tr map[string]any
	// The same date in another zone and precision is the same value.
	h.do(nw, http.MethodPut, trust, map[string]any{"enabled": true, "dateExpired": "2027-06-30T02:00:00+02:00"}).want(t, http.StatusOK).decode(t, &tr)
	if tr["enabled"] != true || tr["dateExpired"] != "2027-06-30T00:00:00.000Z" {
		t.Errorf("no-op PUT answered %v", tr)
	}
	unchanged("PUT trustee with the same values")

	// The same role set in another order keeps the stored order.
	h.do(nw, http.MethodPut, roles, []string{roleReportingViewer, roleClaimsSupervisor, roleReportingViewer}).want(t, http.StatusOK)
	if got := h.roleIDs(nw, bluebird, userBo); !slices.Equal(got, []string{roleClaimsSupervisor, roleReportingViewer}) {
		t.Errorf("roles after a no-op PUT = %v", got)
	}
	unchanged("PUT roles with the same set")

	// Clearing roles twice: the second DELETE changes nothing.
	h.do(nw, http.MethodDelete, roles, nil).want(t, http.StatusNoContent)
	if w := h.s.Stats().Writes; w != writes+1 {
		t.Fatalf("DELETE roles: writes %d, want %d", w, writes+1)
	}
	before, writes, audits = fileID(), writes+1, audits+1
	h.do(nw, http.MethodDelete, roles, nil).want(t, http.StatusNoContent)
	h.do(nw, http.MethodPut, roles, []string{}).want(t, http.StatusOK)
	unchanged("clearing roles that are already clear")

	// A real change is a write, with its audit entry and a new file.
	h.do(nw, http.MethodPut, trust, map[string]any{"enabled": true}).want(t, http.StatusOK)
	if w := h.s.Stats().Writes; w != writes+1 {
		t.Errorf("PUT dropping the expiry: writes %d, want %d", w, writes+1)
	}
	if os.SameFile(before, fileID()) {
		t.Error("a change did not rewrite the state file")
	}
	log := h.s.AuditLog()
	if last := log[len(log)-1]; len(log) != audits+1 || last.EntityType != entityTrustee || last.Action != actionUpdate {
		t.Errorf("audit after a real PUT: %d entries, last %+v", len(log), last)
	}
}
