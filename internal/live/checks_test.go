package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/sandbox"
)

const (
	nadiaID = "a2000000-0000-4000-8000-000000000001"
	priyaID = "a2000000-0000-4000-8000-000000000003"
	boID    = "b2000000-0000-4000-8000-000000000001"
	bellaID = "b2000000-0000-4000-8000-000000000002"
	coraID  = "c2000000-0000-4000-8000-000000000001"
)

// TestReadPairings: the pairings the scope names are read once each, with
// the trustee org, the members offered and the creation date; an unknown
// id is recorded as not existing instead of failing the read.
func TestReadPairings(t *testing.T) {
	sb, url := serveSandbox(t, sandbox.DemoFixture(), sandbox.Options{})
	c := clientOf(t, url, sb.Orgs()[0])
	ctx := context.Background()
	pr, err := clientOf(t, url, sb.Orgs()[2]).CreatePairing(ctx, client.TrustRequestCreate{UserIDs: []string{coraID}})
	if err != nil {
		t.Fatal(err)
	}
	const unknown = "e0000000-0000-4000-8000-0000000000ff"
	rec := &recorder{API: c}
	st, err := live.Read(ctx, rec, live.Scope{PairingIDs: []string{pr.ID, unknown, strings.ToUpper(pr.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Pairings) != 2 {
		t.Fatalf("pairings = %+v, want the two distinct ids", st.Pairings)
	}
	var got, missing live.Pairing
	for _, p := range st.Pairings {
		if p.ID == unknown {
			missing = p
		} else {
			got = p
		}
	}
	if missing.Exists || missing.TrusteeOrg.ID != "" {
		t.Errorf("unknown pairing = %+v, want Exists false", missing)
	}
	if !got.Exists || got.TrusteeOrg.ID != copperID || got.DateCreated == nil {
		t.Errorf("pairing = %+v, want Copperfield's with a creation date", got)
	}
	if diff := cmp.Diff([]live.User{{ID: coraID, Name: "Cora Copper"}}, got.Users); diff != "" {
		t.Errorf("pairing users (-want +got):\n%s", diff)
	}
	if exp, ok := got.ExpiresAt(); !ok || !exp.Equal(got.DateCreated.Add(48*time.Hour)) {
		t.Errorf("ExpiresAt = %v, %v; want 48 hours after creation", exp, ok)
	}
	if n := rec.count("pairing"); n != 2 {
		t.Errorf("%d pairing reads, want 2 (one per distinct id)", n)
	}
}

// TestReadOwnUsers: the org's users named by trustors entries are checked
// in one batched read; those that exist are in OwnUsers.
func TestReadOwnUsers(t *testing.T) {
	sb, c := startSandbox(t, sandbox.Options{})
	rec := &recorder{API: c}
	st, err := live.Read(context.Background(), rec, live.Scope{OwnUserIDs: []string{priyaID, nadiaID, boID, "a2000000-0000-4000-8000-0000000000ff"}})
	if err != nil {
		t.Fatal(err)
	}
	if !st.OwnUsersRead {
		t.Error("OwnUsersRead = false")
	}
	want := []live.User{{ID: nadiaID, Name: "Nadia North"}, {ID: priyaID, Name: "Priya Patel"}}
	if diff := cmp.Diff(want, st.OwnUsers); diff != "" {
		t.Errorf("own users (-want +got):\n%s", diff)
	}
	if n := rec.count("users by id"); n != 1 {
		t.Errorf("%d user reads, want 1 batch", n)
	}
	if n := sb.Stats().ByRoute["GET /api/v2/users"]; n != 1 {
		t.Errorf("%d requests for users, want 1", n)
	}
}

// groupsServer answers the group listings and roles in front of the
// sandbox: Bluebird's trust holds one group with one role, Northwind's
// own group is in the Copperfield trust.
func groupsServer(t *testing.T, next http.Handler) http.Handler {
	t.Helper()
	listing := func(ents ...any) map[string]any {
		if ents == nil {
			ents = []any{}
		}
		return map[string]any{"entities": ents, "pageSize": 100, "pageNumber": 1, "total": len(ents), "pageCount": min(len(ents), 1)}
	}
	answers := map[string]any{
		"/api/v2/orgauthorization/trustees/" + blueID + "/groups": listing(map[string]any{"id": "b4000000-0000-4000-8000-000000000001", "name": "Bluebird Tier 2", "memberCount": 12}),
		"/api/v2/orgauthorization/trustees/" + careID + "/groups": listing(),
		"/api/v2/orgauthorization/trustees/" + blueID + "/groups/b4000000-0000-4000-8000-000000000001/roles": map[string]any{
			"roles": []any{map[string]any{"id": "a1000000-0000-4000-8000-000000000002", "name": "Claims Agent"}},
		},
		"/api/v2/orgauthorization/trustors/" + copperID + "/groups": listing(map[string]any{"id": "a4000000-0000-4000-8000-000000000001", "name": "Northwind Claims"}),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := answers[r.URL.Path]; ok && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(a)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TestReadGroups: groups and their roles are read only when the scope asks
// for them.
func TestReadGroups(t *testing.T) {
	sb, err := sandbox.New(sandbox.DemoFixture(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(groupsServer(t, sb))
	t.Cleanup(func() {
		srv.Close()
		_ = sb.Close()
	})
	home := sb.Orgs()[0]
	c, err := client.New(client.Config{APIURL: srv.URL, ClientID: home.Clients[0].ID, ClientSecret: home.Clients[0].Secret, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	plain, err := live.Read(ctx, c, live.Scope{Trustees: true, Trustors: true})
	if err != nil {
		t.Fatal(err)
	}
	if plain.TrusteeGroupsRead || plain.TrustorGroupsRead || plain.Trustees[0].Groups != nil || plain.Trustors[0].Groups != nil {
		t.Errorf("groups read without being asked for: %+v", plain)
	}
	st, err := live.Read(ctx, c, live.Scope{Trustees: true, TrusteeGroups: true, Trustors: true, TrustorGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	twelve := int64(12)
	wantBlue := []live.TrusteeGroup{{ID: "b4000000-0000-4000-8000-000000000001", Name: "Bluebird Tier 2", MemberCount: &twelve, RoleIDs: []string{"a1000000-0000-4000-8000-000000000002"}}}
	if diff := cmp.Diff(wantBlue, st.Trustees[0].Groups); diff != "" {
		t.Errorf("Bluebird groups (-want +got):\n%s", diff)
	}
	if len(st.Trustees[1].Groups) != 0 {
		t.Errorf("Customer Care groups = %+v, want none", st.Trustees[1].Groups)
	}
	if diff := cmp.Diff([]live.Group{{ID: "a4000000-0000-4000-8000-000000000001", Name: "Northwind Claims"}}, st.Trustors[0].Groups); diff != "" {
		t.Errorf("trustor groups (-want +got):\n%s", diff)
	}
	if !st.TrusteeGroupsRead || !st.TrustorGroupsRead {
		t.Error("groups read but not marked read")
	}
	if plain.Fingerprint() == st.Fingerprint() {
		t.Error("a state with groups has the fingerprint of one without")
	}
}

// TestCareListingReadStrictly: protection of Customer Care trusts depends
// on the care listing, so an answer that could stand for "none" by mistake
// fails the read instead of turning protection off.
func TestCareListingReadStrictly(t *testing.T) {
	for name, answer := range map[string]func(w http.ResponseWriter){
		"empty body":     func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) },
		"204":            func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
		"null":           func(w http.ResponseWriter) { _, _ = w.Write([]byte("null")) },
		"null entities":  func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"entities":null}`)) },
		"no entities":    func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{}`)) },
		"entity no id":   func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"entities":[{"name":"x"}]}`)) },
		"truncated":      func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"entities":[{"id":"d0`)) },
		"html":           func(w http.ResponseWriter) { _, _ = w.Write([]byte("<html><body>maintenance</body></html>")) },
		"entities a map": func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"entities":{"id":"x"}}`)) },
	} {
		t.Run(name, func(t *testing.T) {
			sb, err := sandbox.New(sandbox.DemoFixture(), sandbox.Options{})
			if err != nil {
				t.Fatal(err)
			}
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/v2/orgauthorization/trustees/care" {
					answer(w)
					return
				}
				sb.ServeHTTP(w, r)
			})
			srv := httptest.NewServer(h)
			t.Cleanup(func() {
				srv.Close()
				_ = sb.Close()
			})
			c := clientOf(t, srv.URL, sb.Orgs()[0])
			st, err := live.Read(context.Background(), c, live.Scope{Trustees: true})
			if err == nil {
				t.Fatalf("Read succeeded with Customer Care orgs %v", st.CareOrgIDs)
			}
			var de *client.DecodeError
			if !errors.As(err, &de) || de.Path != "/api/v2/orgauthorization/trustees/care" {
				t.Errorf("err = %v, want a *client.DecodeError for the care listing", err)
			}
			if !strings.Contains(err.Error(), "Customer Care") {
				t.Errorf("err = %q does not say the Customer Care listing failed", err)
			}
		})
	}
}
