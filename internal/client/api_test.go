package client

import (
	"errors"
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustsync/trustsync/internal/sandbox"
)

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, id(it))
	}
	sort.Strings(out)
	return out
}

func trustUserID(u TrustUser) string { return u.ID }

func TestReadOperations(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	ctx := ctxT(t)

	me, err := c.GetOrganizationMe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != northwind || me.Name != "Northwind Insurance" {
		t.Errorf("GetOrganizationMe = %+v", me)
	}

	roles, err := c.ListRoles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 6 || roles[0].Name == "" {
		t.Errorf("ListRoles: got %d roles: %+v", len(roles), roles)
	}
	// Users asked for by id: those of another org, unknown ones and
	// repeats are not returned.
	users, err := c.GetUsersByID(ctx, []string{priya, nadia, bo, "a2000000-0000-4000-8000-00000000ffff", nadia})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(users, func(u User) string { return u.ID }); !slices.Equal(got, []string{nadia, priya}) {
		t.Errorf("GetUsersByID ids = %v", got)
	}
	u, err := c.GetUser(ctx, nadia)
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Nadia North" || u.Email != "nadia@northwind.example" {
		t.Errorf("GetUser = %+v", u)
	}
	if _, err := c.GetUser(ctx, bo); !IsNotFound(err) {
		t.Errorf("GetUser of another org's user: err = %v, want a 404", err)
	}

	careIDs, err := c.ListCareTrustees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(careIDs, []string{care}) {
		t.Errorf("ListCareTrustees = %v", careIDs)
	}

	trustees, err := c.ListTrustees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(trustees, func(t Trustee) string { return t.ID }); !slices.Equal(got, []string{bluebird, care}) {
		t.Errorf("ListTrustees ids = %v", got)
	}
	tr, err := c.GetTrustee(ctx, bluebird)
	if err != nil {
		t.Fatal(err)
	}
	wantExp := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	if !tr.Enabled || tr.DateExpired == nil || !tr.DateExpired.Equal(wantExp) || tr.Organization == nil || tr.Organization.Name != "Bluebird Outsourcing" {
		t.Errorf("GetTrustee(bluebird) = %+v", tr)
	}
	tusers, err := c.ListTrusteeUsers(ctx, bluebird)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(tusers, trustUserID); !slices.Equal(got, []string{bo, bella, ben}) {
		t.Errorf("ListTrusteeUsers(bluebird) = %v", got)
	}
	tu, err := c.GetTrusteeUser(ctx, bluebird, bo)
	if err != nil {
		t.Fatal(err)
	}
	if tu.Name != "Bo Blue" || tu.TrustUserDetails == nil || tu.TrustUserDetails.DateCreated == nil {
		t.Errorf("GetTrusteeUser = %+v", tu)
	}
	ua, err := c.GetTrusteeUserRoles(ctx, bluebird, bo)
	if err != nil {
		t.Fatal(err)
	}
	gotRoles := ua.RoleIDs()
	sort.Strings(gotRoles)
	if !slices.Equal(gotRoles, []string{roleClaimsSupervisor, roleReportingViewer}) {
		t.Errorf("GetTrusteeUserRoles(bo) = %v", gotRoles)
	}

	trustors, err := c.ListTrustors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(trustors, func(t Trustor) string { return t.ID }); !slices.Equal(got, []string{copperfield}) {
		t.Errorf("ListTrustors = %v", got)
	}
	tor, err := c.GetTrustor(ctx, copperfield)
	if err != nil {
		t.Fatal(err)
	}
	if !tor.Enabled || tor.Organization == nil || tor.Organization.ID != copperfield {
		t.Errorf("GetTrustor = %+v", tor)
	}
	torUsers, err := c.ListTrustorUsers(ctx, copperfield)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(torUsers, trustUserID); !slices.Equal(got, []string{nadia, oscar}) {
		t.Errorf("ListTrustorUsers = %v", got)
	}
	tou, err := c.GetTrustorUser(ctx, copperfield, oscar)
	if err != nil {
		t.Fatal(err)
	}
	if tou.Name != "Oscar Ortega" {
		t.Errorf("GetTrustorUser = %+v", tou)
	}

	_, err = c.GetTrustee(ctx, copperfield)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound || ae.Code == "" || ae.CorrelationID == "" ||
		ae.Method != http.MethodGet || ae.Path != trusteesPath+"/"+copperfield || len(ae.Body) == 0 {
		t.Errorf("GetTrustee(not a trustee): err = %#v", err)
	}
	if want := "get trustee " + copperfield + ": 404 Not Found (not.found): "; err == nil || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error text = %q, want prefix %q", err, want)
	}
}

func TestWriteOperations(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	ctx := ctxT(t)

	// Roles of a trustee user: set, read back, delete.
	ua, err := c.SetTrusteeUserRoles(ctx, bluebird, bella, []string{roleClaimsAgent, roleReportingViewer})
	if err != nil {
		t.Fatal(err)
	}
	got := ua.RoleIDs()
	sort.Strings(got)
	if !slices.Equal(got, []string{roleClaimsAgent, roleReportingViewer}) {
		t.Errorf("SetTrusteeUserRoles = %v", got)
	}
	if o, err := c.DeleteTrusteeUserRoles(ctx, bluebird, bella); err != nil || o != Applied {
		t.Fatalf("DeleteTrusteeUserRoles = %v, %v", o, err)
	}
	ua, err = c.GetTrusteeUserRoles(ctx, bluebird, bella)
	if err != nil {
		t.Fatal(err)
	}
	if len(ua.Roles) != 0 {
		t.Errorf("roles after delete = %v", ua.RoleIDs())
	}
	if _, err := c.SetTrusteeUserRoles(ctx, bluebird, bella, nil); err != nil {
		t.Errorf("SetTrusteeUserRoles(nil) = %v", err)
	}

	// Trustee users: remove, add back, add again (a conflict).
	if o, err := c.DeleteTrusteeUser(ctx, bluebird, ben); err != nil || o != Applied {
		t.Fatalf("DeleteTrusteeUser = %v, %v", o, err)
	}
	if _, err := c.GetTrusteeUser(ctx, bluebird, ben); !IsNotFound(err) {
		t.Errorf("GetTrusteeUser after delete: %v", err)
	}
	if o, err := c.DeleteTrusteeUser(ctx, bluebird, ben); !IsNotFound(err) || o != Applied {
		t.Errorf("second DeleteTrusteeUser (not retried) = %v, %v; want a 404 error", o, err)
	}
	tu, o, err := c.AddTrusteeUser(ctx, bluebird, TrustMemberCreate{ID: ben, RoleIDs: []string{roleQualityEvaluator}})
	if err != nil || o != Applied || tu == nil || tu.ID != ben {
		t.Fatalf("AddTrusteeUser = %+v, %v, %v", tu, o, err)
	}
	if _, o, err := c.AddTrusteeUser(ctx, bluebird, TrustMemberCreate{ID: ben}); !IsConflict(err) || o != Applied {
		t.Errorf("second AddTrusteeUser (not retried) = %v, %v; want a 409 error", o, err)
	}

	// Trustee: disable and drop the expiry.
	tr, err := c.UpdateTrustee(ctx, bluebird, TrustUpdate{Enabled: false})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Enabled || tr.DateExpired != nil {
		t.Errorf("UpdateTrustee = %+v", tr)
	}
	exp := time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC)
	tr, err = c.UpdateTrustee(ctx, bluebird, TrustUpdate{Enabled: true, DateExpired: &exp})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Enabled || tr.DateExpired == nil || !tr.DateExpired.Equal(exp) {
		t.Errorf("UpdateTrustee with expiry = %+v", tr)
	}

	// Trustor side: remove one of our users, add another.
	if o, err := c.DeleteTrustorUser(ctx, copperfield, oscar); err != nil || o != Applied {
		t.Fatalf("DeleteTrustorUser = %v, %v", o, err)
	}
	tu, o, err = c.AddTrustorUser(ctx, copperfield, priya)
	if err != nil || o != Applied || tu.ID != priya {
		t.Fatalf("AddTrustorUser = %+v, %v, %v", tu, o, err)
	}
	if _, _, err := c.AddTrustorUser(ctx, copperfield, priya); !IsConflict(err) {
		t.Errorf("second AddTrustorUser: %v, want a 409 error", err)
	}

	// Pairing: Copperfield (the trustee) pairs, Northwind creates the trust.
	cc := env.clientAs(t, copperClient, copperSecret, nil)
	pr, err := cc.CreatePairing(ctx, TrustRequestCreate{UserIDs: []string{cora}})
	if err != nil {
		t.Fatal(err)
	}
	if pr.ID == "" || len(pr.Users) != 1 || pr.Users[0].ID != cora {
		t.Errorf("CreatePairing = %+v", pr)
	}
	pr2, err := c.GetPairing(ctx, pr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pr2.ID != pr.ID || pr2.Trustee == nil || pr2.Trustee.ID != copperfield {
		t.Errorf("GetPairing = %+v", pr2)
	}
	created, o, err := c.CreateTrustee(ctx, TrustCreate{
		PairingID: pr.ID, Enabled: true,
		Users: &[]TrustMemberCreate{{ID: cora, RoleIDs: []string{roleClaimsAgent}}},
	})
	if err != nil || o != Applied || created.ID != copperfield {
		t.Fatalf("CreateTrustee = %+v, %v, %v", created, o, err)
	}
	if _, _, err := c.CreateTrustee(ctx, TrustCreate{PairingID: pr.ID, Enabled: true}); !IsConflict(err) {
		t.Errorf("CreateTrustee with a used pairing: %v, want a 409", err)
	}

	// Audits of what happened.
	ap, err := c.QueryTrusteeAudits(ctx, TrusteeAuditQuery{TrusteeOrganizationIDs: []string{bluebird}}, AuditPageOptions{PageSize: 5, SortOrder: "descending", SortBy: "timestamp"})
	if err != nil {
		t.Fatal(err)
	}
	if ap.Total == 0 || len(ap.Entities) == 0 || len(ap.Entities) > 5 || ap.Entities[0].ID == "" {
		t.Errorf("QueryTrusteeAudits = %+v", ap)
	}
	tap, err := c.QueryTrustorAudits(ctx, TrustorAuditQuery{TrustorOrganizationID: northwind}, AuditPageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tap.PageNumber != 1 {
		t.Errorf("QueryTrustorAudits page = %+v", tap)
	}

	// Deleting trusts, both directions.
	if o, err := c.DeleteTrustee(ctx, copperfield); err != nil || o != Applied {
		t.Fatalf("DeleteTrustee = %v, %v", o, err)
	}
	if o, err := c.DeleteTrustor(ctx, copperfield); err != nil || o != Applied {
		t.Fatalf("DeleteTrustor = %v, %v", o, err)
	}
	if _, err := c.GetTrustor(ctx, copperfield); !IsNotFound(err) {
		t.Errorf("GetTrustor after delete: %v", err)
	}
}

// TestListFollowsPages lists with one entry a page and compares with a
// one-page listing.
func TestListFollowsPages(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, nil)
	ctx := ctxT(t)
	whole, err := c.ListRoles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env.srv.ResetStats()
	c.pageSize = 1
	paged, err := c.ListRoles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(whole, paged); diff != "" {
		t.Errorf("paged listing differs (-whole +paged):\n%s", diff)
	}
	if n := env.routeCount("GET " + rolesPath); n != 6 {
		t.Errorf("requests for 6 roles at 1 a page = %d, want 6", n)
	}
	users, err := c.ListTrusteeUsers(ctx, bluebird)
	if err != nil || len(users) != 3 {
		t.Errorf("ListTrusteeUsers at 1 a page = %d users, %v", len(users), err)
	}
}

// TestListPageFailsMidway: a page that keeps failing fails the listing; no
// partial list comes back.
func TestListPageFailsMidway(t *testing.T) {
	env := newEnv(t, sandbox.Options{}, nil)
	c := env.client(t, func(cfg *Config) { cfg.MaxAttempts = 3 })
	c.pageSize = 1
	ctx := ctxT(t)

	env.srv.Inject(sandbox.Fault{Method: "GET", Path: rolesPath, Query: "pageNumber=4", Status: http.StatusServiceUnavailable, Times: 3})
	roles, err := c.ListRoles(ctx)
	if err == nil || roles != nil {
		t.Fatalf("ListRoles = %d roles, %v; want no list and an error", len(roles), err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable {
		t.Errorf("err = %v, want the 503", err)
	}
	want := "list roles: page 4: gave up after 3 attempts: 503 Service Unavailable"
	if got := err.Error(); len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("err = %q, want prefix %q", got, want)
	}

	// A page that fails for good (a 501 is not retried) fails at once.
	env.srv.Inject(sandbox.Fault{Path: trusteesPath, Query: "pageNumber=2", Status: http.StatusNotImplemented})
	trustees, err := c.ListTrustees(ctx)
	if err == nil || trustees != nil || !errors.As(err, &ae) || ae.Status != http.StatusNotImplemented {
		t.Errorf("ListTrustees = %v, %v; want the 501", trustees, err)
	}
	if n := env.routeCount("GET " + trusteesPath); n != 2 {
		t.Errorf("requests = %d, want 2 (a 501 is not retried)", n)
	}
}
