package sandbox

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

const (
	groupClaimsTeam  = "b3000000-0000-4000-8000-000000000001" // Bluebird, 3 members
	groupConsultants = "a3000000-0000-4000-8000-000000000001" // Northwind, 2 members
)

func TestTrusteeGroups(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	bb := h.login("bluebird")
	base := oa + "/trustees/" + bluebird + "/groups"

	if l := h.list(nw, base); l.Total != 0 || len(l.Entities) != 0 {
		t.Fatalf("fixture trust has groups: %v", l.ids())
	}
	var g map[string]any
	h.clock.Advance(time.Minute)
	h.do(nw, http.MethodPost, base, map[string]any{"id": groupClaimsTeam, "roleIds": []string{roleClaimsAgent, roleClaimsAgent}}).want(t, http.StatusOK).decode(t, &g)
	if g["id"] != groupClaimsTeam || g["name"] != "Bluebird Claims Team" || g["description"] != "Outsourced claims handlers" || g["memberCount"] != 3.0 ||
		g["state"] != "active" || g["type"] != "official" || g["dateCreated"] != "2026-03-01T09:01:00.000Z" ||
		g["createdBy"].(map[string]any)["id"] != "northwind-demo-client" || g["selfUri"] != "/api/v2/groups/"+groupClaimsTeam {
		t.Errorf("TrustGroup = %v", g)
	}
	h.do(nw, http.MethodPost, base, map[string]any{"id": groupClaimsTeam}).wantError(t, http.StatusConflict, "already")
	h.do(nw, http.MethodPost, base, map[string]any{"id": groupConsultants}).wantError(t, http.StatusBadRequest, "not a group of the trustee")
	h.do(nw, http.MethodPost, base, map[string]any{"id": groupClaimsTeam + "x"}).want(t, http.StatusBadRequest)
	h.do(nw, http.MethodPost, base, map[string]any{"roleIds": []string{}}).wantError(t, http.StatusBadRequest, "id is required")
	h.do(nw, http.MethodPost, base, map[string]any{"id": groupClaimsTeam, "roleIds": []string{roleConsultant}}).want(t, http.StatusBadRequest)

	// Both sides list and read it; the group's roles are read per group.
	if ids := h.list(nw, base).ids(); !slices.Equal(ids, []string{groupClaimsTeam}) {
		t.Errorf("trustee groups = %v", ids)
	}
	if ids := h.list(bb, oa+"/trustors/"+northwind+"/groups").ids(); !slices.Equal(ids, []string{groupClaimsTeam}) {
		t.Errorf("trustor groups = %v", ids)
	}
	h.do(nw, http.MethodGet, base+"/"+groupClaimsTeam, nil).want(t, http.StatusOK)
	h.do(bb, http.MethodGet, oa+"/trustors/"+northwind+"/groups/"+groupClaimsTeam, nil).want(t, http.StatusOK)
	roles := func() []string {
		var ua userAuthorization
		h.do(nw, http.MethodGet, base+"/"+groupClaimsTeam+"/roles", nil).want(t, http.StatusOK).decode(t, &ua)
		out := []string{}
		for _, r := range ua.Roles {
			out = append(out, r.ID)
		}
		return out
	}
	if got := roles(); !slices.Equal(got, []string{roleClaimsAgent}) {
		t.Errorf("group roles = %v", got)
	}
	var ua userAuthorization
	h.do(nw, http.MethodPut, base+"/"+groupClaimsTeam+"/roles", []string{roleQualityEvaluator, roleClaimsAgent}).want(t, http.StatusOK).decode(t, &ua)
	if len(ua.Roles) != 2 || ua.Roles[0].Name != "Quality Evaluator" {
		t.Errorf("PUT roles answered %+v", ua)
	}
	h.do(nw, http.MethodPut, base+"/"+groupClaimsTeam+"/roles", []string{roleConsultant}).wantError(t, http.StatusBadRequest, roleConsultant)
	h.do(nw, http.MethodPut, base+"/"+groupClaimsTeam+"/roles", "null").want(t, http.StatusBadRequest)
	if got := roles(); !slices.Equal(got, []string{roleQualityEvaluator, roleClaimsAgent}) {
		t.Errorf("group roles after refused PUTs = %v", got)
	}
	h.do(nw, http.MethodDelete, base+"/"+groupClaimsTeam+"/roles", nil).want(t, http.StatusNoContent)
	if got := roles(); len(got) != 0 {
		t.Errorf("group roles after DELETE = %v", got)
	}
	h.do(nw, http.MethodDelete, base+"/"+groupClaimsTeam, nil).want(t, http.StatusNoContent)
	h.do(nw, http.MethodDelete, base+"/"+groupClaimsTeam, nil).wantError(t, http.StatusNotFound, "group")
	h.do(nw, http.MethodGet, base+"/"+groupClaimsTeam+"/roles", nil).want(t, http.StatusNotFound)

	// The trustee adds and removes its own group; it holds no roles.
	tg := oa + "/trustors/" + northwind + "/groups/" + groupClaimsTeam
	h.do(bb, http.MethodPut, tg, nil).want(t, http.StatusOK)
	h.do(bb, http.MethodPut, tg, nil).wantError(t, http.StatusConflict, "already")
	h.do(bb, http.MethodPut, oa+"/trustors/"+northwind+"/groups/"+groupConsultants, nil).wantError(t, http.StatusBadRequest, "not a group")
	if got := roles(); len(got) != 0 {
		t.Errorf("a group the trustee added has roles %v", got)
	}
	h.do(bb, http.MethodDelete, tg, nil).want(t, http.StatusNoContent)
	h.do(bb, http.MethodGet, tg, nil).want(t, http.StatusNotFound)
	// Not a party: 404.
	cf := h.login("copperfield")
	h.do(cf, http.MethodGet, base, nil).want(t, http.StatusNotFound)

	want := []string{
		"ORG_TRUSTEE_GROUP CREATE " + groupClaimsTeam,
		"ORG_TRUSTEE_GROUP_ROLES UPDATE " + groupClaimsTeam,
		"ORG_TRUSTEE_GROUP_ROLES DELETE " + groupClaimsTeam,
		"ORG_TRUSTEE_GROUP DELETE " + groupClaimsTeam,
		"ORG_TRUSTEE_GROUP CREATE " + groupClaimsTeam,
		"ORG_TRUSTEE_GROUP DELETE " + groupClaimsTeam,
	}
	log := h.s.AuditLog()
	if got := summary(log); !slices.Equal(got, want) {
		t.Errorf("audit log = %v", got)
	}
	if log[0].Context[ctxGroupID] != groupClaimsTeam || log[0].Entity.Name != "Bluebird Claims Team" {
		t.Errorf("group entry = %+v", log[0])
	}
}

func TestCreateTrustWithGroups(t *testing.T) {
	fx := DemoFixture()
	fx.Limits.MaxUsersPerTrust = 3
	h := newHarness(t, fx, Options{})
	bb := h.login("bluebird")
	cf := h.login("copperfield")

	var pr trustRequest
	h.do(bb, http.MethodPost, oa+"/pairings", map[string]any{"groupIds": []string{groupClaimsTeam}}).want(t, http.StatusOK).decode(t, &pr)
	if len(pr.Groups) != 1 || pr.Groups[0].ID != groupClaimsTeam || pr.Groups[0].Name != "Bluebird Claims Team" || len(pr.Users) != 0 {
		t.Errorf("pairing = %+v", pr)
	}
	h.do(bb, http.MethodPost, oa+"/pairings", map[string]any{"groupIds": []string{groupConsultants}}).wantError(t, http.StatusBadRequest, "not a group")
	h.do(bb, http.MethodPost, oa+"/pairings", map[string]any{"userIds": []string{userBo, userBella, userBen}, "groupIds": []string{groupClaimsTeam}}).wantError(t, http.StatusBadRequest, "at most 3 members")

	// Users and groups count together against the limit.
	h.do(cf, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": pr.ID, "enabled": true,
		"users":  []map[string]any{{"id": userBo}, {"id": userBella}, {"id": userBen}},
		"groups": []map[string]any{{"id": groupClaimsTeam}}}).wantError(t, http.StatusBadRequest, "at most 3 members")
	h.do(cf, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": pr.ID, "enabled": true,
		"groups": []map[string]any{{"id": groupClaimsTeam, "roleIds": []string{roleAuditor}}, {"id": groupClaimsTeam}}}).wantError(t, http.StatusBadRequest, "twice")
	// A group alone is enough.
	h.do(cf, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": pr.ID, "enabled": true, "users": []any{},
		"groups": []map[string]any{{"id": groupClaimsTeam, "roleIds": []string{roleAuditor}}}}).want(t, http.StatusOK)
	if l := h.list(cf, oa+"/trustees/"+bluebird+"/users"); l.Total != 0 {
		t.Errorf("users = %v", l.ids())
	}
	if ids := h.list(cf, oa+"/trustees/"+bluebird+"/groups").ids(); !slices.Equal(ids, []string{groupClaimsTeam}) {
		t.Errorf("groups = %v", ids)
	}
	h.do(cf, http.MethodPost, oa+"/trustees/"+bluebird+"/users", map[string]any{"id": userBo}).want(t, http.StatusOK)
	h.do(bb, http.MethodPut, oa+"/trustors/"+copperfield+"/users/"+userBella, nil).want(t, http.StatusOK)
	h.do(cf, http.MethodPost, oa+"/trustees/"+bluebird+"/users", map[string]any{"id": userBen}).wantError(t, http.StatusBadRequest, "maximum of 3 members")
	h.do(bb, http.MethodPut, oa+"/trustors/"+copperfield+"/users/"+userBen, nil).wantError(t, http.StatusBadRequest, "maximum of 3 members")
	log := summary(h.s.AuditLog())
	if !slices.Contains(log, "ORG_TRUSTEE_GROUP CREATE "+groupClaimsTeam) {
		t.Errorf("audit log = %v", log)
	}
}

func TestTrusteeFlagsFromFixture(t *testing.T) {
	fx := DemoFixture()
	fx.Trusts[2].HasFullAccess = true
	fx.Trusts[2].IsTrustedUser = true
	fx.Trusts[0].UsesDefaultRole = true
	h := newHarness(t, fx, Options{})
	nw := h.login("northwind")
	var te map[string]any
	h.do(nw, http.MethodGet, oa+"/trustees/"+care, nil).want(t, http.StatusOK).decode(t, &te)
	if te["hasFullAccess"] != true || te["isTrustedUser"] != true || te["usesDefaultRole"] != false {
		t.Errorf("care trustee = %v", te)
	}
	h.do(nw, http.MethodGet, oa+"/trustees/"+bluebird, nil).want(t, http.StatusOK).decode(t, &te)
	if te["hasFullAccess"] != false || te["isTrustedUser"] != false || te["usesDefaultRole"] != true {
		t.Errorf("bluebird trustee = %v", te)
	}
	// No TrustUser has selfUri.
	for _, u := range h.list(nw, oa+"/trustees/"+bluebird+"/users").Entities {
		if _, ok := u["selfUri"]; ok {
			t.Errorf("trust user %v has selfUri", u["id"])
		}
	}
}

func TestFixtureSeedsCreatedBy(t *testing.T) {
	fx, err := ParseFixture("f.yaml", []byte(`
orgs:
  - id: "a0000000-0000-4000-8000-000000000001"
    name: A
    clients: [{id: a-client, secret: s}]
    roles: [{id: "a1000000-0000-4000-8000-000000000001", name: R}]
    users: [{id: "a2000000-0000-4000-8000-000000000001", name: Ann Admin}]
  - id: "b0000000-0000-4000-8000-000000000002"
    name: B
    clients: [{id: b-client, secret: s}]
    users: [{id: "b2000000-0000-4000-8000-000000000001", name: Bea}, {id: "b2000000-0000-4000-8000-000000000002", name: Bob}]
trusts:
  - trustor: "a0000000-0000-4000-8000-000000000001"
    trustee: "b0000000-0000-4000-8000-000000000002"
    dateCreated: "2025-01-02T03:04:05Z"
    createdBy: "a2000000-0000-4000-8000-000000000001"
    users:
      - {id: "b2000000-0000-4000-8000-000000000001"}
      - {id: "b2000000-0000-4000-8000-000000000002", dateCreated: "2025-06-01T00:00:00Z", createdBy: b-client}
`))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, fx, Options{})
	r := h.tokenRequest("a-client", "s", "client_credentials").want(t, http.StatusOK)
	var tr tokenResponse
	r.decode(t, &tr)
	var te trustee
	h.do(tr.AccessToken, http.MethodGet, oa+"/trustees/b0000000-0000-4000-8000-000000000002", nil).want(t, http.StatusOK).decode(t, &te)
	if formatTime(time.Time(te.DateCreated)) != "2025-01-02T03:04:05.000Z" || te.CreatedBy == nil || te.CreatedBy.ID != "a2000000-0000-4000-8000-000000000001" ||
		te.CreatedBy.Name != "Ann Admin" || te.CreatedBy.Organization.ID != "a0000000-0000-4000-8000-000000000001" {
		t.Errorf("trustee = %+v", te)
	}
	l := h.list(tr.AccessToken, oa+"/trustees/b0000000-0000-4000-8000-000000000002/users")
	d0 := l.Entities[0]["trustUserDetails"].(map[string]any)
	d1 := l.Entities[1]["trustUserDetails"].(map[string]any)
	if d0["dateCreated"] != "2025-01-02T03:04:05.000Z" || d0["createdBy"].(map[string]any)["name"] != "Ann Admin" ||
		d1["dateCreated"] != "2025-06-01T00:00:00.000Z" || d1["createdBy"].(map[string]any)["id"] != "b-client" {
		t.Errorf("trustUserDetails = %v / %v", d0, d1)
	}
}

func TestUsersByID(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	l := h.list(nw, "/api/v2/users?id="+userPriya+"&id="+userBo+"&id="+userNadia+","+userPriya)
	if got := l.ids(); !slices.Equal(got, []string{userPriya, userNadia}) || l.Total != 2 {
		t.Errorf("users by id = %v (another org's user and repeats are left out)", got)
	}
	if l.FirstURI != "/api/v2/users?pageSize=25&pageNumber=1&id="+userPriya+"&id="+userBo+"&id="+userNadia+"%2C"+userPriya {
		t.Errorf("firstUri = %s", l.FirstURI)
	}
	q := ""
	for i := range 101 {
		q += "&id=" + genID(3, i)
	}
	h.do(nw, http.MethodGet, "/api/v2/users?"+q[1:], nil).wantError(t, http.StatusBadRequest, "at most 100 ids")
	if l := h.list(nw, "/api/v2/users?id="); l.Total != 0 {
		t.Errorf("an empty id filter matched %v", l.ids())
	}
}

func TestPairingExpiry(t *testing.T) {
	h := newHarness(t, nil, Options{})
	bb := h.login("bluebird")
	pid := h.pair(bb, userBianca)
	h.clock.Advance(PairingTTL - time.Millisecond)
	cf := h.login("copperfield")
	h.do(cf, http.MethodGet, oa+"/pairings/"+pid, nil).want(t, http.StatusOK)
	h.clock.Advance(time.Millisecond)
	h.do(cf, http.MethodGet, oa+"/pairings/"+pid, nil).wantError(t, http.StatusNotFound, "expired")
	h.do(cf, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": pid, "enabled": true,
		"users": []map[string]any{{"id": userBianca}}}).wantError(t, http.StatusBadRequest, "expired")
}
