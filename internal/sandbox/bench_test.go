package sandbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchAuditEntries is how many audit entries the benchmarks' store holds
// before they start: a sandbox that has run for a while.
const benchAuditEntries = 10000

// benchServer is a demo sandbox with a state file, a history of
// benchAuditEntries audit entries and a Northwind token.
func benchServer(b *testing.B) (*Server, string) {
	b.Helper()
	s, err := New(DemoFixture(), Options{StatePath: filepath.Join(b.TempDir(), "sandbox.json")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Error(err)
		}
	})
	s.mu.Lock()
	now := s.clock()
	for i := range benchAuditEntries {
		s.st.Audit = append(s.st.Audit, AuditLogMessage{
			ID: newUUID(), UserHomeOrgID: northwind, Client: &AuditClient{ID: "northwind-demo-client"},
			ServiceName: "OrgAuthorization", Level: "USER", EventDate: formatTime(now.Add(time.Duration(i) * time.Millisecond)),
			Action: actionCreate, Entity: &AuditEntity{ID: userBianca, Name: "Bianca Blue"}, EntityType: entityTrusteeUser, Status: "SUCCESS",
			Context:         map[string]string{ctxTrustorOrgID: northwind, ctxTrusteeOrgID: bluebird, ctxUserID: userBianca},
			PropertyChanges: []PropertyChange{change("roleIds", nil, []string{roleClaimsAgent})},
		})
	}
	s.mu.Unlock()

	c := demoClients["northwind"]
	req := httptest.NewRequest(http.MethodPost, oauthPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ID, c.Secret)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := decodeJSON(rec.Body.Bytes(), &tr); err != nil {
		b.Fatal(err)
	}
	return s, tr.AccessToken
}

// benchDo sends one API request straight to the handler and checks the
// status.
func benchDo(s *Server, tok, method, path, body string, want int) error {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != want {
		return fmt.Errorf("%s %s: %d, want %d: %s", method, path, rec.Code, want, rec.Body)
	}
	return nil
}

// benchPair adds Bianca to the Northwind -> Bluebird trust and removes her
// again: two committed mutations, each written to the state file.
func benchPair(s *Server, tok string) error {
	users := oa + "/trustees/" + bluebird + "/users"
	if err := benchDo(s, tok, http.MethodPost, users, `{"id":"`+userBianca+`","roleIds":["`+roleClaimsAgent+`"]}`, http.StatusOK); err != nil {
		return err
	}
	return benchDo(s, tok, http.MethodDelete, users+"/"+userBianca, "", http.StatusNoContent)
}

// BenchmarkWriteWithState measures one trust-user add/remove pair with a
// state file: each op is two committed mutations and two state writes.
func BenchmarkWriteWithState(b *testing.B) {
	s, tok := benchServer(b)
	b.ResetTimer()
	for range b.N {
		if err := benchPair(s, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadDuringWritesWithState measures GET /trustees while another
// goroutine keeps adding and removing a trust user with a state file: how
// long readers wait behind the writes.
func BenchmarkReadDuringWritesWithState(b *testing.B) {
	s, tok := benchServer(b)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var werr error
	var pairs atomic.Int64
	wg.Go(func() {
		for !stop.Load() {
			if err := benchPair(s, tok); err != nil {
				werr = err
				return
			}
			pairs.Add(1)
		}
	})
	var slowest atomic.Int64 // the longest read, in nanoseconds
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			start := time.Now()
			if err := benchDo(s, tok, http.MethodGet, oa+"/trustees", "", http.StatusOK); err != nil {
				b.Error(err)
				return
			}
			d := int64(time.Since(start))
			for cur := slowest.Load(); d > cur && !slowest.CompareAndSwap(cur, d); cur = slowest.Load() {
			}
		}
	})
	b.StopTimer()
	stop.Store(true)
	wg.Wait()
	if werr != nil {
		b.Fatal(werr)
	}
	b.ReportMetric(float64(pairs.Load()), "writepairs")
	b.ReportMetric(float64(slowest.Load())/1e6, "max-read-ms")
}

// BenchmarkGenerateLarge builds the 400-trustee org of the scale targets
// and the sandbox on it.
func BenchmarkGenerateLarge(b *testing.B) {
	for range b.N {
		fx, err := Generate(GenerateSpec{Trustees: 400, Users: 25, Trustors: 100, Roles: 20, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := New(fx, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
