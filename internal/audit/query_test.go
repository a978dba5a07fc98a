package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustsync/trustsync/internal/audit"
	"github.com/trustsync/trustsync/internal/client"
)

func TestFetchSandbox(t *testing.T) {
	c := startSandbox(t)
	writeSome(t, c)
	res, err := audit.Fetch(context.Background(), c, audit.Query{Home: homeID, TrusteeIDs: []string{blueID}, TrustorIDs: []string{copperID}})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	type row struct {
		Object, Action, Trustee, Trustor, User, By, Kind string
	}
	var got []row
	for i, e := range res.Entries {
		if e.At.IsZero() || e.ID == "" {
			t.Errorf("entry %d has no time or id: %+v", i, e)
		}
		if i > 0 && e.At.After(res.Entries[i-1].At) {
			t.Errorf("entry %d is newer than the one before it", i)
		}
		got = append(got, row{e.Object, e.Action, e.TrusteeID, e.TrustorID, e.UserID, e.By, e.ByKind})
	}
	want := []row{
		{audit.ObjectUser, "DELETE", homeID, copperID, userNadia, homeClient, audit.ByClient},
		{audit.ObjectRoles, "UPDATE", blueID, homeID, userBo, homeClient, audit.ByClient},
		{audit.ObjectTrust, "UPDATE", blueID, homeID, "", homeClient, audit.ByClient},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	roles := res.Entries[1].Changes
	if len(roles) != 1 || roles[0].Property != "roleIds" || len(roles[0].New) != 1 {
		t.Errorf("role change = %+v", roles)
	}

	// --since after every entry: none; one trust only: its entries only
	res, err = audit.Fetch(context.Background(), c, audit.Query{Home: homeID, TrusteeIDs: []string{blueID}, Since: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)})
	if err != nil || len(res.Entries) != 0 {
		t.Errorf("Fetch since later = %+v, %v; want nothing", res, err)
	}
}

// pagedServer answers both audit queries from entries, pageSize at a time,
// and counts the requests.
func pagedServer(t *testing.T, entries []map[string]any, status int) (*client.Client, *int) {
	t.Helper()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"t","token_type":"bearer","expires_in":86400}`)
			return
		}
		calls++
		w.Header().Set("Content-Type", "application/json")
		if status != http.StatusOK {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"status":%d,"code":"missing.permissions","message":"Unable to perform the requested action. You are missing the following permission(s): [authorization:audit:view]"}`, status)
			return
		}
		n, _ := strconv.Atoi(r.URL.Query().Get("pageNumber"))
		size, _ := strconv.Atoi(r.URL.Query().Get("pageSize"))
		from, to := (n-1)*size, n*size
		from, to = min(from, len(entries)), min(to, len(entries))
		pageCount := (len(entries) + size - 1) / size
		_ = json.NewEncoder(w).Encode(map[string]any{"pageNumber": n, "pageSize": size, "total": len(entries), "pageCount": pageCount, "entities": entries[from:to]})
	}))
	t.Cleanup(srv.Close)
	return newClient(t, srv.URL, "id", "secret"), &calls
}

func TestFetchPagesAndToleratesMissingFields(t *testing.T) {
	var entries []map[string]any
	base := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for i := range 250 {
		entries = append(entries, map[string]any{
			"id":        fmt.Sprintf("e%03d", i),
			"eventDate": base.Add(-time.Duration(i) * time.Minute).Format(time.RFC3339),
			"client":    map[string]any{"id": "nw-ops"},
		})
	}
	// entries missing nearly everything, or with unfamiliar shapes
	entries = append(entries,
		map[string]any{},
		map[string]any{"id": "odd", "entityType": "SomethingElse", "context": map[string]any{"trusteeOrganizationId": blueID, "n": 3}, "user": map[string]any{"id": "u1"}},
		map[string]any{"id": "e001", "client": map[string]any{"id": "repeated"}},
	)
	c, calls := pagedServer(t, entries, http.StatusOK)
	res, err := audit.Fetch(context.Background(), c, audit.Query{Home: homeID, TrusteeIDs: []string{blueID}})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if *calls != 3 || res.Queries != 3 || len(res.Entries) != 252 || res.Truncated {
		t.Fatalf("calls %d, queries %d, entries %d, truncated %v; want 3 pages of 252 entries", *calls, res.Queries, len(res.Entries), res.Truncated)
	}
	if e := res.Entries[0]; e.ID != "e000" || e.By != "nw-ops" || e.ByKind != audit.ByClient || e.TrusteeID != blueID {
		t.Errorf("newest entry = %+v", e)
	}
	odd := res.Entries[len(res.Entries)-1]
	if odd.ID != "odd" || odd.By != "u1" || odd.ByKind != audit.ByUser || odd.Object != "" || odd.TrusteeID != blueID {
		t.Errorf("entry without a time = %+v; want it last, by user u1, about Bluebird", odd)
	}

	res, err = audit.Fetch(context.Background(), c, audit.Query{Home: homeID, TrusteeIDs: []string{blueID}, MaxPages: 2})
	if err != nil || !res.Truncated || len(res.Entries) != 200 {
		t.Errorf("MaxPages 2: %d entries, truncated %v, %v", len(res.Entries), res.Truncated, err)
	}
}

func TestFetchForbidden(t *testing.T) {
	c, _ := pagedServer(t, nil, http.StatusForbidden)
	_, err := audit.Fetch(context.Background(), c, audit.Query{Home: homeID, TrustorIDs: []string{copperID}})
	var fe *audit.ForbiddenError
	if !errors.As(err, &fe) {
		t.Fatalf("Fetch error = %v; want a ForbiddenError", err)
	}
}
