package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hostileServer serves a token endpoint that hands out tokens "tok-1",
// "tok-2", ... and passes every API request to api.
type hostileServer struct {
	*httptest.Server
	tokens atomic.Int64
	api    atomic.Int64 // API requests seen
}

func newHostile(t *testing.T, api http.HandlerFunc) *hostileServer {
	t.Helper()
	h := &hostileServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			n := h.tokens.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":"tok-%d-0123456789abcdef","token_type":"bearer","expires_in":86400}`, n)
			return
		}
		h.api.Add(1)
		w.Header().Set("inin-correlation-id", "corr-"+strconv.FormatInt(h.api.Load(), 10))
		api(w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

// client returns a client of the server on a fake clock (waits cost no
// time) with deterministic jitter.
func (h *hostileServer) client(t *testing.T, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{APIURL: h.URL, ClientID: "hostile-client", ClientSecret: "hostile-secret", MaxAttempts: 3, Deadline: 10 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	c.now, c.sleep = clock.Now, clock.Sleep
	c.jitter = func(d time.Duration) time.Duration { return d }
	return c
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// TestStrictDecoding: a 2xx answer that is not the operation's documented
// shape is an error naming the operation, status and correlation id,
// never a zero value.
func TestStrictDecoding(t *testing.T) {
	ops := map[string]struct {
		path string
		call func(context.Context, *Client) error
	}{
		"me":       {"/api/v2/organizations/me", func(ctx context.Context, c *Client) error { _, err := c.GetOrganizationMe(ctx); return err }},
		"trustees": {trusteesPath, func(ctx context.Context, c *Client) error { _, err := c.ListTrustees(ctx); return err }},
		"roles of a user": {trusteesPath + "/t/users/u/roles", func(ctx context.Context, c *Client) error {
			_, err := c.GetTrusteeUserRoles(ctx, "t", "u")
			return err
		}},
		"pairing": {"/api/v2/orgauthorization/pairings/p", func(ctx context.Context, c *Client) error { _, err := c.GetPairing(ctx, "p"); return err }},
		"care":    {trusteesPath + "/care", func(ctx context.Context, c *Client) error { _, err := c.ListCareTrustees(ctx); return err }},
		"trustee groups": {trusteesPath + "/t/groups", func(ctx context.Context, c *Client) error {
			_, err := c.ListTrusteeGroups(ctx, "t")
			return err
		}},
	}
	bodies := []struct {
		name, body, contentType string
		status                  int
		want                    string
	}{
		{"empty", "", "application/json", 200, "the body is empty"},
		{"204", "", "", 204, "the body is empty"},
		{"null", "null", "application/json", 200, "the body is null"},
		{"array", "[]", "application/json", 200, "not a JSON object"},
		{"html", "<html><body>Service OK</body></html>", "text/html", 200, "content type text/html"},
		{"truncated", `{"id":"a","entities":[{"id":"x"`, "application/json", 200, "truncated JSON"},
		{"wrong type", `{"id":5,"entities":"all","roles":{},"total":"3"}`, "application/json", 200, "want"},
		{"members missing", `{"name":"x"}`, "application/json", 200, ""},
	}
	for opName, op := range ops {
		for _, b := range bodies {
			t.Run(opName+"/"+b.name, func(t *testing.T) {
				h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != op.path {
						http.NotFound(w, r)
						return
					}
					if b.contentType != "" {
						w.Header().Set("Content-Type", b.contentType)
					}
					w.WriteHeader(b.status)
					_, _ = w.Write([]byte(b.body))
				})
				err := op.call(ctxT(t), h.client(t, nil))
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("err = %v, want a *DecodeError", err)
				}
				if de.Path != op.path || de.Method != http.MethodGet || de.Status != b.status || de.CorrelationID != "corr-1" {
					t.Errorf("DecodeError = %+v, want GET %s, status %d, correlation id corr-1", de, op.path, b.status)
				}
				for _, want := range []string{op.path, strconv.Itoa(b.status), "[correlation id corr-1]", b.want} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("err = %q, want it to contain %q", err, want)
					}
				}
				if n := h.api.Load(); n != 1 {
					t.Errorf("%d requests, want 1: a bad body is not retried", n)
				}
			})
		}
	}
}

// TestStrictDecodingAccepts: the documented shapes decode, empty lists
// included.
func TestStrictDecodingAccepts(t *testing.T) {
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case trusteesPath + "/care":
			writeJSON(w, 200, `{"entities":[]}`)
		case trusteesPath + "/t/users/u/roles":
			writeJSON(w, 200, `{"roles":[],"permissions":["a:b:c"],"extra":{"unknown":true}}`)
		case trusteesPath:
			writeJSON(w, 200, `{"entities":[],"pageSize":100,"pageNumber":1,"total":0,"pageCount":0}`)
		default:
			http.NotFound(w, r)
		}
	})
	c := h.client(t, nil)
	ctx := ctxT(t)
	if ids, err := c.ListCareTrustees(ctx); err != nil || ids == nil || len(ids) != 0 {
		t.Errorf("ListCareTrustees = %v, %v; want an empty list", ids, err)
	}
	if a, err := c.GetTrusteeUserRoles(ctx, "t", "u"); err != nil || a.Roles == nil || len(a.Roles) != 0 {
		t.Errorf("GetTrusteeUserRoles = %+v, %v; want no roles", a, err)
	}
	if ts, err := c.ListTrustees(ctx); err != nil || ts == nil || len(ts) != 0 {
		t.Errorf("ListTrustees = %v, %v; want an empty list", ts, err)
	}
}

// TestAnswerForAnotherOrg: a trust whose organization is not the org its
// id names is refused.
func TestAnswerForAnotherOrg(t *testing.T) {
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"id":"`+bluebird+`","enabled":true,"organization":{"id":"`+copperfield+`","name":"Copperfield"}}`)
	})
	_, err := h.client(t, nil).GetTrustee(ctxT(t), bluebird)
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "names organization "+copperfield) {
		t.Errorf("err = %v, want a *DecodeError naming the other org", err)
	}
}

// pagedServer answers a listing of ids with pages the test shapes: page
// returns the entities, total and pageCount of page n on read r (a read
// starts again at page 1).
func pagedServer(t *testing.T, page func(read, n, size int) (ids []string, total, pageCount int)) (*hostileServer, *atomic.Int64) {
	t.Helper()
	var reads, requests atomic.Int64
	var mu sync.Mutex
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		n, _ := strconv.Atoi(r.URL.Query().Get("pageNumber"))
		size, _ := strconv.Atoi(r.URL.Query().Get("pageSize"))
		mu.Lock()
		if n == 1 {
			reads.Add(1)
		}
		ids, total, pageCount := page(int(reads.Load()), n, size)
		mu.Unlock()
		ents := make([]map[string]string, 0, len(ids))
		for _, id := range ids {
			ents = append(ents, map[string]string{"id": id, "name": "Role " + id})
		}
		b, _ := json.Marshal(map[string]any{"entities": ents, "pageSize": size, "pageNumber": n, "total": total, "pageCount": pageCount})
		writeJSON(w, 200, string(b))
	})
	return h, &requests
}

// idRange returns ids from..to-1.
func idRange(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("r%04d", i))
	}
	return out
}

// consistent pages a listing of total ids.
func consistent(total int) func(read, n, size int) ([]string, int, int) {
	return func(_, n, size int) ([]string, int, int) {
		from := (n - 1) * size
		return idRange(from, min(from+size, total)), total, (total + size - 1) / size
	}
}

func TestListingConsistency(t *testing.T) {
	tests := []struct {
		name     string
		page     func(read, n, size int) ([]string, int, int)
		want     string // "" means success
		requests int64
	}{
		{"consistent", consistent(250), "", 3},
		{"empty", consistent(0), "", 1},
		{"exactly one page", consistent(100), "", 1},
		{"pageCount lies low", func(_, n, size int) ([]string, int, int) {
			ids, total, _ := consistent(250)(0, n, size)
			return ids, total, 1
		}, "page 1 says 1 pages for a total of 250", 3},
		{"empty middle page", func(_, n, size int) ([]string, int, int) {
			ids, total, pc := consistent(250)(0, n, size)
			if n == 2 {
				ids = nil
			}
			return ids, total, pc
		}, "page 2 of 3 has 0 entities, want 100", 6},
		{"short last page", func(_, n, size int) ([]string, int, int) {
			ids, total, pc := consistent(250)(0, n, size)
			if n == 3 {
				ids = ids[:10]
			}
			return ids, total, pc
		}, "page 3 of 3 has 10 entities, want 50", 9},
		{"duplicates", func(_, n, size int) ([]string, int, int) {
			ids, total, pc := consistent(200)(0, n, size)
			if n == 2 {
				ids[5] = "r0007"
			}
			return ids, total, pc
		}, "id r0007 is on page 1 and again on page 2", 6},
		{"an entity deleted while reading, then stable", func(read, n, size int) ([]string, int, int) {
			if read == 1 && n == 2 {
				// r0000 went: every later entity moved up by one.
				return idRange(101, 200), 199, 2
			}
			if read == 1 {
				return consistent(200)(0, n, size)
			}
			from := (n-1)*size + 1
			return idRange(from, min(from+size, 200)), 199, 2
		}, "", 4},
		{"keeps growing", func(_, n, size int) ([]string, int, int) {
			// Every page says there is one more.
			return idRange((n-1)*size, n*size), n*size + 1, n + 1
		}, "page 2 says a total of 201 in 3 pages, page 1 said 101 in 2", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, requests := pagedServer(t, tt.page)
			roles, err := h.client(t, nil).ListRoles(ctxT(t))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ListRoles: %v", err)
			case tt.want == "":
				seen := map[string]bool{}
				for _, r := range roles {
					if seen[r.ID] {
						t.Errorf("id %s twice", r.ID)
					}
					seen[r.ID] = true
				}
			case err == nil:
				t.Fatalf("ListRoles = %d roles, want an error containing %q", len(roles), tt.want)
			case roles != nil:
				t.Errorf("a failed listing returned %d roles", len(roles))
			case !strings.Contains(err.Error(), tt.want):
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
			if tt.want != "" {
				var le *ListingError
				if !errors.As(err, &le) || le.Reads != 3 || le.Path != rolesPath {
					t.Errorf("err = %#v, want a *ListingError after 3 reads of %s", err, rolesPath)
				}
			}
			if got := requests.Load(); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
		})
	}
}

// TestListingPageSize: listings ask for pages of 100, the maximum.
func TestListingPageSize(t *testing.T) {
	var sizes []string
	var mu sync.Mutex
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sizes = append(sizes, r.URL.Query().Get("pageSize"))
		mu.Unlock()
		writeJSON(w, 200, `{"entities":[],"pageSize":100,"pageNumber":1,"total":0,"pageCount":0}`)
	})
	c := h.client(t, nil)
	ctx := ctxT(t)
	calls := []func() error{
		func() error { _, err := c.ListRoles(ctx); return err },
		func() error { _, err := c.ListTrustees(ctx); return err },
		func() error { _, err := c.ListTrusteeUsers(ctx, "t"); return err },
		func() error { _, err := c.ListTrusteeGroups(ctx, "t"); return err },
		func() error { _, err := c.ListTrustors(ctx); return err },
		func() error { _, err := c.ListTrustorUsers(ctx, "t"); return err },
		func() error { _, err := c.ListTrustorGroups(ctx, "t"); return err },
		func() error { _, err := c.GetUsersByID(ctx, []string{"u"}); return err },
	}
	for _, call := range calls {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range sizes {
		if s != "100" {
			t.Errorf("pageSize %q, want 100", s)
		}
	}
}

// TestUsersByIDBatches: ids go 100 to a request, repeats once.
func TestUsersByIDBatches(t *testing.T) {
	var batches []int
	var mu sync.Mutex
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		ids := r.URL.Query()["id"]
		mu.Lock()
		batches = append(batches, len(ids))
		mu.Unlock()
		// Echo back every other id as existing.
		var ents []string
		for i, id := range ids {
			if i%2 == 0 {
				ents = append(ents, `{"id":"`+id+`"}`)
			}
		}
		writeJSON(w, 200, fmt.Sprintf(`{"entities":[%s],"pageSize":100,"pageNumber":1,"total":%d,"pageCount":1}`, strings.Join(ents, ","), len(ents)))
	})
	var ids []string
	for i := range 230 {
		ids = append(ids, fmt.Sprintf("u%03d", i))
	}
	users, err := h.client(t, nil).GetUsersByID(ctxT(t), append(ids, ids[:10]...))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(batches) != "[100 100 30]" {
		t.Errorf("batches = %v, want [100 100 30]", batches)
	}
	if len(users) != 115 {
		t.Errorf("%d users found, want 115", len(users))
	}
}

// TestRedactsEchoedCredentials: a service that echoes the request (the
// Authorization header, the Basic header of the token request, the form)
// never gets a credential into an error or a debug line.
func TestRedactsEchoedCredentials(t *testing.T) {
	const id, secret = "echo client", "s3cr/t+&=ü-NOT-A-REAL-SECRET"
	echo := func(w http.ResponseWriter, r *http.Request, status int) {
		_ = r.ParseForm()
		body, _ := json.Marshal(map[string]any{
			"message":       "rejected " + r.Header.Get("Authorization") + " form " + r.PostForm.Encode(),
			"code":          "echo",
			"messageParams": map[string]any{"header": r.Header.Get("Authorization"), "n": 3},
			"details":       []map[string]string{{"errorCode": r.Header.Get("Authorization")}},
		})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
	var tokenCalls atomic.Int64
	var seenTokens sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			if tokenCalls.Add(1) > 1 {
				// The second token request: an OAuth error echoing the
				// Basic header and the form.
				_ = r.ParseForm()
				b, _ := json.Marshal(map[string]string{
					"error":             "invalid_client",
					"error_description": "bad credentials in " + r.Header.Get("Authorization") + " / " + r.PostForm.Encode(),
				})
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write(b)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"tok-ABCDEFGHIJKLMNOP","token_type":"bearer","expires_in":86400}`))
			return
		}
		seenTokens.Store(r.Header.Get("Authorization"), true)
		switch r.URL.Path {
		case "/api/v2/organizations/me":
			echo(w, r, http.StatusBadRequest)
		case "/api/v2/authorization/roles":
			// 200 with the token in a name.
			writeJSON(w, 200, `{"entities":[{"id":"r1","name":"`+r.Header.Get("Authorization")+`"}],"pageSize":100,"pageNumber":1,"total":1,"pageCount":1}`)
		default:
			// Rejects the token: the client fetches a new one once.
			echo(w, r, http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	var debug syncBuffer
	c, err := New(Config{APIURL: srv.URL, ClientID: id, ClientSecret: secret, MaxAttempts: 2, Debug: &debug})
	if err != nil {
		t.Fatal(err)
	}
	c.sleep = func(context.Context, time.Duration) error { return nil }
	ctx := ctxT(t)
	var texts []string
	_, err = c.GetOrganizationMe(ctx)
	if err == nil {
		t.Fatal("GetOrganizationMe succeeded")
	}
	texts = append(texts, err.Error())
	var ae *APIError
	if errors.As(err, &ae) {
		texts = append(texts, string(ae.Body), fmt.Sprint(ae.Details))
	}
	if !strings.Contains(err.Error(), "rejected Bearer [redacted]") {
		t.Errorf("err = %q, want the echoed token redacted", err)
	}
	roles, err := c.ListRoles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	texts = append(texts, roles[0].Name)
	_, err = c.GetTrustee(ctx, "x")
	if err == nil {
		t.Fatal("GetTrustee succeeded")
	}
	texts = append(texts, err.Error())
	var te *TokenError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want the second token request's error", err)
	}
	texts = append(texts, te.Description, errors.Unwrap(te).Error())
	if !strings.Contains(te.Description, "bad credentials in Basic [redacted]") {
		t.Errorf("token error = %q, want the Basic header redacted", te.Description)
	}
	texts = append(texts, debug.String())

	b64 := func(s string) string { return strings.TrimRight(base64Std(s), "=") }
	forbidden := []string{
		secret, urlQueryEscape(secret), b64(id + ":" + secret), b64(urlQueryEscape(id) + ":" + urlQueryEscape(secret)),
		"tok-ABCDEFGHIJKLMNOP",
	}
	for _, text := range texts {
		for _, f := range forbidden {
			if strings.Contains(text, f) {
				t.Errorf("%q leaks %q", text, f)
			}
		}
	}
	if _, ok := seenTokens.Load("Bearer tok-ABCDEFGHIJKLMNOP"); !ok {
		t.Error("the server never saw the token: the test proves nothing")
	}
}

// TestHostileAnswers: each ends in a clear error within the configured
// attempts and timeouts.
func TestHostileAnswers(t *testing.T) {
	t.Run("huge body", func(t *testing.T) {
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"` + strings.Repeat("x", 4<<10) + `"}`))
		})
		c := h.client(t, nil)
		c.maxBody = 1 << 10
		_, err := c.GetOrganizationMe(ctxT(t))
		if err == nil || !strings.Contains(err.Error(), "body larger than 1024 bytes") || !strings.Contains(err.Error(), "corr-") {
			t.Errorf("err = %v, want the bound named with the correlation id", err)
		}
	})
	t.Run("slow body", func(t *testing.T) {
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":`))
			w.(http.Flusher).Flush()
			<-r.Context().Done() // never finishes the body
		})
		c := h.client(t, func(cfg *Config) { cfg.MaxAttempts = 2 })
		c.attemptTimeout = 50 * time.Millisecond
		_, err := c.GetOrganizationMe(ctxT(t))
		if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "gave up after 2 attempts") {
			t.Errorf("err = %v, want the attempt timeout after 2 attempts", err)
		}
	})
	t.Run("redirect to another host", func(t *testing.T) {
		var elsewhere atomic.Int64
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
		t.Cleanup(other.Close)
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
		})
		_, err := h.client(t, nil).ListTrustees(ctxT(t))
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusFound || !strings.Contains(err.Error(), "redirect not followed (to "+other.URL+"/steal)") {
			t.Errorf("err = %v, want the 302 refused, naming where it pointed", err)
		}
		if n := elsewhere.Load(); n != 0 {
			t.Errorf("the other host got %d requests", n)
		}
	})
	t.Run("token revoked mid-run", func(t *testing.T) {
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v2/organizations/me" {
				writeJSON(w, 200, `{"id":"o"}`)
				return
			}
			writeJSON(w, 401, `{"message":"token revoked","code":"bad.credentials","status":401}`)
		})
		c := h.client(t, nil)
		ctx := ctxT(t)
		if _, err := c.GetOrganizationMe(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := c.ListTrustees(ctx)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 401 || !strings.Contains(err.Error(), "token revoked") {
			t.Errorf("err = %v, want the 401", err)
		}
		if n := h.tokens.Load(); n != 2 {
			t.Errorf("%d token requests, want 2 (one refresh after the 401)", n)
		}
	})
	t.Run("429 storm", func(t *testing.T) {
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "2")
			writeJSON(w, 429, `{"message":"Rate limit exceeded","code":"too.many.requests.retry.after","status":429}`)
		})
		_, err := h.client(t, nil).ListTrustees(ctxT(t))
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 429 || !strings.Contains(err.Error(), "gave up after 3 attempts") {
			t.Errorf("err = %v, want the 429 after 3 attempts", err)
		}
		if n := h.api.Load(); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
	t.Run("5xx storm", func(t *testing.T) {
		statuses := []int{500, 502, 503, 504, 507}
		var i atomic.Int64
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			s := statuses[int(i.Add(1)-1)%len(statuses)]
			writeJSON(w, s, `{"message":"down","status":`+strconv.Itoa(s)+`}`)
		})
		_, err := h.client(t, func(cfg *Config) { cfg.MaxAttempts = 5 }).ListTrustees(ctxT(t))
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 507 || !strings.Contains(err.Error(), "gave up after 5 attempts") {
			t.Errorf("err = %v, want the last 5xx after 5 attempts", err)
		}
	})
	t.Run("501 not retried", func(t *testing.T) {
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 501, `{"message":"not here"}`)
		})
		_, err := h.client(t, nil).ListTrustees(ctxT(t))
		if !hasStatus(err, 501) || h.api.Load() != 1 {
			t.Errorf("err = %v after %d requests, want the 501 after 1", err, h.api.Load())
		}
	})
	t.Run("500 on a POST that may have arrived", func(t *testing.T) {
		h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 500, `{"message":"boom"}`)
		})
		_, _, err := h.client(t, nil).AddTrusteeGroup(ctxT(t), "t", TrustMemberCreate{ID: "g"})
		if !hasStatus(err, 500) || h.api.Load() != 1 {
			t.Errorf("err = %v after %d requests, want the 500 after 1 (a POST that arrived is not repeated)", err, h.api.Load())
		}
	})
}

// TestTolerantErrorBody: an error body keeps what it can when members have
// unexpected types.
func TestTolerantErrorBody(t *testing.T) {
	body := `{"message":"You are missing the following permission(s): [authorization:orgTrusteeUser:add, authorization:orgTrustee:add]",
		"code":"missing.permissions","status":"403","messageParams":{"permissions":["authorization:orgTrusteeUser:add","authorization:orgTrustee:add"],"count":2,"nested":{"a":1}},
		"details":[{"errorCode":7},{"errorCode":"x","fieldName":"f"}],"errors":[{"message":"inner"},5],"limit":{"key":"k","value":3},"unknown":[1,2]}`
	e := newAPIError("POST", "/api/v2/orgauthorization/trustees", answer(403, map[string]string{"inin-correlation-id": "c-1"}), []byte(body))
	if e.Code != "missing.permissions" || !strings.HasPrefix(e.Message, "You are missing") {
		t.Errorf("APIError = %+v, want the code and message kept", e)
	}
	if got := e.MissingPermissions(); fmt.Sprint(got) != "[authorization:orgTrusteeUser:add authorization:orgTrustee:add]" {
		t.Errorf("MissingPermissions = %q", got)
	}
	if len(e.Details) != 2 || e.Details[1].FieldName != "f" {
		t.Errorf("Details = %+v, want both entries, the bad member dropped", e.Details)
	}
	var eb ErrorBody
	if err := json.Unmarshal([]byte(body), &eb); err != nil {
		t.Fatal(err)
	}
	if eb.Status != 403 || eb.MessageParams["count"] != "2" || eb.MessageParams["nested"] != `{"a":1}` || len(eb.Errors) != 1 {
		t.Errorf("ErrorBody = %+v", eb)
	}
}

// TestGroupOperations drives every group operation against a server that
// checks method, path and body.
func TestGroupOperations(t *testing.T) {
	type call struct{ method, path, body string }
	var mu sync.Mutex
	var calls []call
	group := `{"id":"g1","name":"Tier 2","memberCount":12,"state":"active","type":"official"}`
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 1024)
		n, _ := r.Body.Read(buf)
		mu.Lock()
		calls = append(calls, call{r.Method, r.URL.Path, string(buf[:n])})
		mu.Unlock()
		switch {
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		case strings.HasSuffix(r.URL.Path, "/roles"):
			writeJSON(w, 200, `{"roles":[{"id":"r1","name":"Claims Agent"}]}`)
		case strings.HasSuffix(r.URL.Path, "/groups") && r.Method == http.MethodGet:
			writeJSON(w, 200, `{"entities":[`+group+`],"pageSize":100,"pageNumber":1,"total":1,"pageCount":1}`)
		default:
			writeJSON(w, 200, group)
		}
	})
	c := h.client(t, nil)
	ctx := ctxT(t)
	const oa = "/api/v2/orgauthorization"
	gs, err := c.ListTrusteeGroups(ctx, "t")
	if err != nil || len(gs) != 1 || gs[0].MemberCount == nil || *gs[0].MemberCount != 12 || gs[0].Name != "Tier 2" {
		t.Fatalf("ListTrusteeGroups = %+v, %v", gs, err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = c.AddTrusteeGroup(ctx, "t", TrustMemberCreate{ID: "g1", RoleIDs: []string{"r1"}})
	must(err)
	_, err = c.GetTrusteeGroup(ctx, "t", "g1")
	must(err)
	a, err := c.GetTrusteeGroupRoles(ctx, "t", "g1")
	must(err)
	if fmt.Sprint(a.RoleIDs()) != "[r1]" {
		t.Errorf("roles = %v", a.RoleIDs())
	}
	_, err = c.SetTrusteeGroupRoles(ctx, "t", "g1", nil)
	must(err)
	_, err = c.DeleteTrusteeGroupRoles(ctx, "t", "g1")
	must(err)
	_, err = c.DeleteTrusteeGroup(ctx, "t", "g1")
	must(err)
	_, err = c.ListTrustorGroups(ctx, "o")
	must(err)
	_, err = c.GetTrustorGroup(ctx, "o", "g2")
	must(err)
	_, _, err = c.AddTrustorGroup(ctx, "o", "g2")
	must(err)
	_, err = c.DeleteTrustorGroup(ctx, "o", "g2")
	must(err)
	want := []call{
		{"GET", oa + "/trustees/t/groups", ""},
		{"POST", oa + "/trustees/t/groups", `{"id":"g1","roleIds":["r1"]}`},
		{"GET", oa + "/trustees/t/groups/g1", ""},
		{"GET", oa + "/trustees/t/groups/g1/roles", ""},
		{"PUT", oa + "/trustees/t/groups/g1/roles", `[]`},
		{"DELETE", oa + "/trustees/t/groups/g1/roles", ""},
		{"DELETE", oa + "/trustees/t/groups/g1", ""},
		{"GET", oa + "/trustors/o/groups", ""},
		{"GET", oa + "/trustors/o/groups/g2", ""},
		{"PUT", oa + "/trustors/o/groups/g2", ""},
		{"DELETE", oa + "/trustors/o/groups/g2", ""},
	}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("calls =\n%v\nwant\n%v", calls, want)
	}
}
