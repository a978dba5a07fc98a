package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestToken(t *testing.T) {
	h := newHarness(t, nil, Options{})
	c := demoClients["northwind"]

	r := h.tokenRequest(c.ID, c.Secret, "client_credentials").want(t, http.StatusOK)
	var tr tokenResponse
	r.decode(t, &tr)
	if tr.AccessToken == "" || tr.TokenType != "bearer" || tr.ExpiresIn != 86400 {
		t.Errorf("token response %+v", tr)
	}

	var te tokenError
	h.tokenRequest(c.ID, "wrong", "client_credentials").want(t, http.StatusUnauthorized).decode(t, &te)
	if te.Error != "invalid_client" || te.ErrorDescription == "" {
		t.Errorf("bad secret: %+v", te)
	}
	h.tokenRequest("nobody", c.Secret, "client_credentials").want(t, http.StatusUnauthorized)
	h.tokenRequest("", "", "client_credentials").want(t, http.StatusUnauthorized)
	h.tokenRequest(c.ID, c.Secret, "password").decode(t, &te)
	if te.Error != "unsupported_grant_type" || te.Status != http.StatusBadRequest {
		t.Errorf("bad grant: %+v", te)
	}
	h.tokenRequest(c.ID, c.Secret, "password").want(t, http.StatusBadRequest)
	// The client is checked before the grant type: without valid
	// credentials, a wrong grant type is still a 401.
	for _, cred := range [][2]string{{c.ID, "wrong"}, {"nobody", c.Secret}, {"", ""}} {
		h.tokenRequest(cred[0], cred[1], "password").want(t, http.StatusUnauthorized).decode(t, &te)
		if te.Error != "invalid_client" {
			t.Errorf("bad credentials %q with a bad grant: %+v", cred, te)
		}
	}
	h.do("", http.MethodGet, "/oauth/token", nil).want(t, http.StatusMethodNotAllowed)

	st := h.s.Stats()
	if st.TokenRequests != 10 || st.Requests != 0 {
		t.Errorf("token requests are counted apart: %+v", st)
	}
}

func TestAuth(t *testing.T) {
	h := newHarness(t, nil, Options{})
	me := oa + "/trustees"
	if eb := h.do("", http.MethodGet, me, nil).wantError(t, http.StatusUnauthorized); eb.Code != "authentication.required" {
		t.Errorf("no token: code %q", eb.Code)
	}
	if eb := h.do("not-a-token", http.MethodGet, me, nil).wantError(t, http.StatusUnauthorized); eb.Code != "bad.credentials" {
		t.Errorf("unknown token: code %q", eb.Code)
	}
	tok := h.login("northwind")
	h.do(tok, http.MethodGet, me, nil).want(t, http.StatusOK)
	h.clock.Advance(24*time.Hour - time.Second)
	h.do(tok, http.MethodGet, me, nil).want(t, http.StatusOK)
	h.clock.Advance(time.Second)
	h.do(tok, http.MethodGet, me, nil).want(t, http.StatusUnauthorized)
}

func TestOrganizationsUsersRolesCare(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	bb := h.login("bluebird")

	var org wireOrg
	h.do(nw, http.MethodGet, "/api/v2/organizations/me", nil).want(t, http.StatusOK).decode(t, &org)
	if org.ID != northwind || org.Name != "Northwind Insurance" {
		t.Errorf("organizations/me = %+v", org)
	}
	h.do(bb, http.MethodGet, "/api/v2/organizations/me", nil).want(t, http.StatusOK).decode(t, &org)
	if org.ID != bluebird {
		t.Errorf("bluebird organizations/me = %+v", org)
	}

	roles := h.list(nw, "/api/v2/authorization/roles?pageSize=100&pageNumber=1&userCount=false")
	if roles.Total != 6 || roles.Entities[5]["name"] != "Master Admin" || roles.Entities[0]["userCount"] != nil {
		t.Errorf("roles = %+v", roles)
	}
	roles = h.list(nw, "/api/v2/authorization/roles?name=claims&userCount=true")
	if got := roles.ids(); !slices.Equal(got, []string{roleClaimsSupervisor, roleClaimsAgent}) {
		t.Errorf("roles named claims = %v", got)
	}
	if roles.Entities[0]["userCount"] != float64(1) {
		t.Errorf("Claims Supervisor userCount = %v, want 1 (Bo Blue)", roles.Entities[0]["userCount"])
	}
	h.do(nw, http.MethodGet, "/api/v2/authorization/roles?userCount=maybe", nil).wantError(t, http.StatusBadRequest, "userCount")

	users := h.list(bb, "/api/v2/users")
	if got := users.ids(); !slices.Equal(got, []string{userBo, userBella, userBen, userBianca}) {
		t.Errorf("bluebird users = %v", got)
	}
	var u wireUser
	h.do(bb, http.MethodGet, "/api/v2/users/"+userBianca, nil).want(t, http.StatusOK).decode(t, &u)
	if u.Name != "Bianca Bell" || u.Email != "bianca@bluebird.example" || u.SelfURI != "/api/v2/users/"+userBianca {
		t.Errorf("user = %+v", u)
	}
	h.do(nw, http.MethodGet, "/api/v2/users/"+userBianca, nil).wantError(t, http.StatusNotFound, userBianca)

	var cl struct {
		Entities []wireEntityRef `json:"entities"`
	}
	h.do(nw, http.MethodGet, oa+"/trustees/care", nil).want(t, http.StatusOK).decode(t, &cl)
	if len(cl.Entities) != 1 || cl.Entities[0].ID != care || cl.Entities[0].SelfURI == "" {
		t.Errorf("care = %+v", cl)
	}
}

func TestPaging(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	base := "/api/v2/authorization/roles"

	p1 := h.list(nw, base+"?pageSize=4&name=E")
	// Names containing "e" (any case): all six Northwind roles.
	if p1.Total != 6 || p1.PageCount != 2 || p1.PageNumber != 1 || p1.PageSize != 4 || len(p1.Entities) != 4 {
		t.Fatalf("page 1 = %+v", p1)
	}
	if p1.NextURI == nil || *p1.NextURI != base+"?pageSize=4&pageNumber=2&name=E" {
		t.Errorf("nextUri = %v", p1.NextURI)
	}
	if p1.PreviousURI != nil {
		t.Errorf("first page has previousUri %q", *p1.PreviousURI)
	}
	if p1.FirstURI != base+"?pageSize=4&pageNumber=1&name=E" || p1.SelfURI != p1.FirstURI || p1.LastURI != *p1.NextURI {
		t.Errorf("uris first=%q self=%q last=%q", p1.FirstURI, p1.SelfURI, p1.LastURI)
	}
	if raw := string(h.do(nw, http.MethodGet, base+"?pageSize=4&name=E", nil).body); !strings.Contains(raw, `"nextUri":"`+base+`?pageSize=4&pageNumber=2&name=E"`) {
		t.Errorf("URIs must hold a literal &: %s", raw)
	}
	p2 := h.list(nw, *p1.NextURI)
	if len(p2.Entities) != 2 || p2.NextURI != nil || p2.PreviousURI == nil || *p2.PreviousURI != p1.SelfURI {
		t.Errorf("page 2 = %+v", p2)
	}
	if !strings.Contains(string(h.do(nw, http.MethodGet, *p1.NextURI, nil).body), `"lastUri"`) ||
		strings.Contains(string(h.do(nw, http.MethodGet, *p1.NextURI, nil).body), `"nextUri"`) {
		t.Error("last page must omit nextUri and keep lastUri")
	}
	past := h.list(nw, base+"?pageSize=4&pageNumber=9")
	if len(past.Entities) != 0 || past.Total != 6 || past.NextURI != nil {
		t.Errorf("past the end = %+v", past)
	}
	if !strings.Contains(string(h.do(nw, http.MethodGet, base+"?pageNumber=9", nil).body), `"entities":[]`) {
		t.Error("an empty page must have entities: []")
	}
	// pageSize and pageNumber come first, as the service writes them; the
	// request's other parameters follow, sorted by name.
	odd := h.list(nw, base+"?userCount=false&pageNumber=1&name=E&pageSize=4&name=a+b")
	if want := base + "?pageSize=4&pageNumber=2&name=E&name=a+b&userCount=false"; odd.NextURI == nil || *odd.NextURI != want || odd.LastURI != want {
		t.Errorf("nextUri = %v, lastUri = %q, want %q", odd.NextURI, odd.LastURI, want)
	}
	def := h.list(nw, oa+"/trustees")
	if def.PageSize != 25 || def.PageNumber != 1 || def.Total != 2 || def.PageCount != 1 {
		t.Errorf("defaults = %+v", def)
	}
	if want := oa + "/trustees?pageSize=25&pageNumber=1"; def.FirstURI != want || def.SelfURI != want || def.LastURI != want {
		t.Errorf("default uris first=%q self=%q last=%q, want %q", def.FirstURI, def.SelfURI, def.LastURI, want)
	}
	second := h.list(nw, oa+"/trustees?pageNumber=2&pageSize=1")
	if second.SelfURI != oa+"/trustees?pageSize=1&pageNumber=2" || second.PreviousURI == nil || *second.PreviousURI != oa+"/trustees?pageSize=1&pageNumber=1" {
		t.Errorf("page 2 uris self=%q previous=%v", second.SelfURI, second.PreviousURI)
	}
	h.list(nw, oa+"/trustees?pageSize=100")
	for _, q := range []string{"pageSize=101", "pageSize=0", "pageSize=x", "pageNumber=0", "pageNumber=-1", "pageNumber=one"} {
		eb := h.do(nw, http.MethodGet, oa+"/trustees?"+q, nil).wantError(t, http.StatusBadRequest)
		field, _, _ := strings.Cut(q, "=")
		if len(eb.Details) != 1 || eb.Details[0].FieldName != field {
			t.Errorf("%s: details %+v should name %s", q, eb.Details, field)
		}
	}
	empty := h.list(h.login("care"), oa+"/trustees")
	if empty.Total != 0 || empty.PageCount != 0 || len(empty.Entities) != 0 || empty.NextURI != nil {
		t.Errorf("empty listing = %+v", empty)
	}
}

// TestTwoViewsAgree checks that the trustor's and the trustee's views of
// one trust show the same facts, before and after changes from each side.
func TestTwoViewsAgree(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	bb := h.login("bluebird")

	check := func(stage string) {
		t.Helper()
		var te trustee
		h.do(nw, http.MethodGet, oa+"/trustees/"+bluebird, nil).want(t, http.StatusOK).decode(t, &te)
		var tr map[string]any
		h.do(bb, http.MethodGet, oa+"/trustors/"+northwind, nil).want(t, http.StatusOK).decode(t, &tr)
		var teRaw map[string]any
		h.do(nw, http.MethodGet, oa+"/trustees/"+bluebird, nil).decode(t, &teRaw)
		for _, k := range []string{"enabled", "dateCreated"} {
			if fmt.Sprint(teRaw[k]) != fmt.Sprint(tr[k]) {
				t.Errorf("%s: %s differs: trustee view %v, trustor view %v", stage, k, teRaw[k], tr[k])
			}
		}
		// No official model has dateExpired on a Trustor.
		if _, ok := tr["dateExpired"]; ok {
			t.Errorf("%s: the trustor view has dateExpired", stage)
		}
		if org := tr["organization"].(map[string]any); org["id"] != northwind || org["name"] != "Northwind Insurance" {
			t.Errorf("%s: trustor organization = %v", stage, org)
		}
		if te.Organization.ID != bluebird || te.Organization.Name != "Bluebird Outsourcing" || te.ID != bluebird {
			t.Errorf("%s: trustee = %+v", stage, te)
		}
		a := h.list(nw, oa+"/trustees/"+bluebird+"/users")
		b := h.list(bb, oa+"/trustors/"+northwind+"/users")
		ja, _ := json.Marshal(a.Entities)
		jb, _ := json.Marshal(b.Entities)
		if string(ja) != string(jb) {
			t.Errorf("%s: users differ:\ntrustee view %s\ntrustor view %s", stage, ja, jb)
		}
		for _, uid := range a.ids() {
			var u1, u2 map[string]any
			h.do(nw, http.MethodGet, oa+"/trustees/"+bluebird+"/users/"+uid, nil).want(t, http.StatusOK).decode(t, &u1)
			h.do(bb, http.MethodGet, oa+"/trustors/"+northwind+"/users/"+uid, nil).want(t, http.StatusOK).decode(t, &u2)
			if fmt.Sprint(u1) != fmt.Sprint(u2) {
				t.Errorf("%s: user %s differs: %v vs %v", stage, uid, u1, u2)
			}
		}
	}

	check("fixture")
	l := h.list(nw, oa+"/trustees")
	if got := l.ids(); !slices.Equal(got, []string{bluebird, care}) {
		t.Errorf("northwind trustees = %v", got)
	}
	if l.Entities[0]["dateExpired"] != "2027-06-30T00:00:00.000Z" {
		t.Errorf("dateExpired = %v", l.Entities[0]["dateExpired"])
	}
	l = h.list(bb, oa+"/trustors")
	if got := l.ids(); !slices.Equal(got, []string{northwind}) {
		t.Errorf("bluebird trustors = %v", got)
	}
	if got := h.list(nw, oa+"/trustors").ids(); !slices.Equal(got, []string{copperfield}) {
		t.Errorf("northwind trustors = %v", got)
	}

	h.do(bb, http.MethodPut, oa+"/trustors/"+northwind+"/users/"+userBianca, nil).want(t, http.StatusOK)
	check("after the trustee added a user")
	h.do(nw, http.MethodPut, oa+"/trustees/"+bluebird, map[string]any{"enabled": false}).want(t, http.StatusOK)
	check("after the trustor disabled it")
	h.do(nw, http.MethodDelete, oa+"/trustees/"+bluebird+"/users/"+userBo, nil).want(t, http.StatusNoContent)
	check("after the trustor removed a user")
	h.do(bb, http.MethodDelete, oa+"/trustors/"+northwind, nil).want(t, http.StatusNoContent)
	h.do(nw, http.MethodGet, oa+"/trustees/"+bluebird, nil).want(t, http.StatusNotFound)
	h.do(bb, http.MethodGet, oa+"/trustors/"+northwind, nil).want(t, http.StatusNotFound)
	if got := h.list(nw, oa+"/trustees").ids(); !slices.Equal(got, []string{care}) {
		t.Errorf("after delete, northwind trustees = %v", got)
	}
}

func TestPairingAndCreateTrust(t *testing.T) {
	h := newHarness(t, nil, Options{})
	bb := h.login("bluebird")
	cf := h.login("copperfield")

	var pr struct {
		ID          string    `json:"id"`
		DateCreated string    `json:"dateCreated"`
		Trustee     wireOrg   `json:"trustee"`
		Users       []orgUser `json:"users"`
		CreatedBy   orgUser   `json:"createdBy"`
		SelfURI     string    `json:"selfUri"`
	}
	h.do(bb, http.MethodPost, oa+"/pairings", map[string]any{"userIds": []string{userBianca, userBen}}).want(t, http.StatusOK).decode(t, &pr)
	if !isUUID(pr.ID) || pr.Trustee.ID != bluebird || len(pr.Users) != 2 || pr.Users[0].Name != "Bianca Bell" ||
		pr.CreatedBy.ID != "bluebird-demo-client" || pr.DateCreated != "2026-03-01T09:00:00.000Z" || pr.SelfURI != oa+"/pairings/"+pr.ID {
		t.Errorf("pairing = %+v", pr)
	}
	// The trustor reads the pairing before accepting it.
	var got struct {
		ID string `json:"id"`
	}
	h.do(cf, http.MethodGet, oa+"/pairings/"+pr.ID, nil).want(t, http.StatusOK).decode(t, &got)
	if got.ID != pr.ID {
		t.Errorf("GET pairing = %+v", got)
	}

	h.clock.Advance(time.Minute)
	// A trust needs a member: without users (omitted or empty) and without
	// groups it is refused, and the pairing's users never join by
	// themselves.
	for _, body := range []map[string]any{
		{"pairingId": pr.ID, "enabled": true},
		{"pairingId": pr.ID, "enabled": true, "users": []any{}},
		{"pairingId": pr.ID, "enabled": true, "users": []any{}, "groups": []any{}},
	} {
		h.do(cf, http.MethodPost, oa+"/trustees", body).wantError(t, http.StatusBadRequest, "at least one group is required")
	}
	h.do(cf, http.MethodGet, oa+"/trustees/"+bluebird, nil).want(t, http.StatusNotFound)

	var te trustee
	var raw map[string]any
	r := h.do(cf, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": pr.ID, "enabled": true, "dateExpired": "2027-01-01T00:00:00Z",
		"users": []map[string]any{{"id": userBianca, "roleIds": []string{roleConsultant}}}}).want(t, http.StatusOK)
	r.decode(t, &raw)
	if raw["dateCreated"] != "2026-03-01T09:01:00.000Z" || raw["dateExpired"] != "2027-01-01T00:00:00.000Z" || raw["enabled"] != true ||
		raw["organization"].(map[string]any)["name"] != "Bluebird Outsourcing" || raw["createdBy"].(map[string]any)["id"] != "copperfield-demo-client" ||
		raw["id"] != bluebird || raw["selfUri"] != oa+"/trustees/"+bluebird {
		t.Errorf("created trustee = %v", raw)
	}
	r.decode(t, &te)
	// Exactly the body's users join: Ben, offered by the pairing, does not.
	if ids := h.list(cf, oa+"/trustees/"+bluebird+"/users").ids(); !slices.Equal(ids, []string{userBianca}) {
		t.Errorf("trust users = %v", ids)
	}
	if roles := h.roleIDs(cf, bluebird, userBianca); !slices.Equal(roles, []string{roleConsultant}) {
		t.Errorf("roles = %v", roles)
	}
	if ids := h.list(bb, oa+"/trustors").ids(); !slices.Contains(ids, copperfield) {
		t.Errorf("bluebird trustors = %v", ids)
	}
	// A used pairing cannot be used again.
	h.do(cf, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": pr.ID, "enabled": true,
		"users": []map[string]any{{"id": userBo}}}).wantError(t, http.StatusConflict, "already been used")

	// Body users need not be the pairing's; roles are deduplicated.
	h.do(cf, http.MethodDelete, oa+"/trustees/"+bluebird, nil).want(t, http.StatusNoContent)
	p2 := h.pair(bb, userBianca)
	h.do(cf, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": p2, "enabled": false,
		"users": []map[string]any{{"id": userBo, "roleIds": []string{roleConsultant, roleAuditor, roleConsultant}}}}).want(t, http.StatusOK)
	if ids := h.list(cf, oa+"/trustees/"+bluebird+"/users").ids(); !slices.Equal(ids, []string{userBo}) {
		t.Errorf("trust users = %v", ids)
	}
	if roles := h.roleIDs(cf, bluebird, userBo); !slices.Equal(roles, []string{roleConsultant, roleAuditor}) {
		t.Errorf("roles = %v", roles)
	}
}

func TestCreatePairingErrors(t *testing.T) {
	h := newHarness(t, nil, Options{})
	bb := h.login("bluebird")
	eb := h.do(bb, http.MethodPost, oa+"/pairings", map[string]any{"userIds": []string{userBo, userNadia}}).wantError(t, http.StatusBadRequest, userNadia)
	if eb.Details[0].EntityID != userNadia || eb.Details[0].FieldName != "userIds" {
		t.Errorf("details = %+v", eb.Details)
	}
	h.do(bb, http.MethodPost, oa+"/pairings", map[string]any{"userIds": []string{userBo, userBo}}).wantError(t, http.StatusBadRequest, "twice")
	h.do(bb, http.MethodPost, oa+"/pairings", map[string]any{"groupIds": []string{"g1"}}).wantError(t, http.StatusBadRequest, "g1")
	// A pairing needs a user or a group.
	h.do(bb, http.MethodPost, oa+"/pairings", map[string]any{}).wantError(t, http.StatusBadRequest, "at least one user")
	h.do(bb, http.MethodPost, oa+"/pairings", map[string]any{"userIds": []string{}, "groupIds": []string{}}).wantError(t, http.StatusBadRequest, "at least one user")
	h.do(bb, http.MethodPost, oa+"/pairings", map[string]any{"userIds": "x"}).wantError(t, http.StatusBadRequest, "userIds")
	h.do(bb, http.MethodPost, oa+"/pairings", `{"userIds": [`).wantError(t, http.StatusBadRequest, "malformed JSON")
	h.do(bb, http.MethodPost, oa+"/pairings", "").wantError(t, http.StatusBadRequest, "body is required")
	h.do(bb, http.MethodGet, oa+"/pairings/"+newUUID(), nil).wantError(t, http.StatusNotFound, "pairing")
	h.s.mu.Lock()
	n := len(h.s.st.Pairings)
	h.s.mu.Unlock()
	if n != 0 {
		t.Errorf("%d pairings stored after only failed requests", n)
	}
}

func TestCreateTrusteeErrors(t *testing.T) {
	h := newHarness(t, nil, Options{})
	bb := h.login("bluebird")
	cf := h.login("copperfield")
	nw := h.login("northwind")
	pid := h.pair(bb, userBianca)
	post := func(tok string, body any) response { return h.do(tok, http.MethodPost, oa+"/trustees", body) }

	nothingCreated := func(stage string) {
		t.Helper()
		h.do(cf, http.MethodGet, oa+"/trustees/"+bluebird, nil).want(t, http.StatusNotFound)
		h.s.mu.Lock()
		used := h.s.st.pairByID[pid].UsedBy
		h.s.mu.Unlock()
		if used != "" {
			t.Errorf("%s: the pairing was used", stage)
		}
	}
	fieldErr := func(r response, field string) {
		t.Helper()
		eb := r.wantError(t, http.StatusBadRequest, field)
		if len(eb.Details) == 0 || eb.Details[0].FieldName != field {
			t.Errorf("details %+v should name %s", eb.Details, field)
		}
	}
	fieldErr(post(cf, map[string]any{"enabled": true}), "pairingId")
	fieldErr(post(cf, map[string]any{"pairingId": pid}), "enabled")
	fieldErr(post(cf, map[string]any{"pairingId": pid, "enabled": "yes"}), "enabled")
	fieldErr(post(cf, map[string]any{"pairingId": pid, "enabled": true, "dateExpired": "soon"}), "dateExpired")
	fieldErr(post(cf, map[string]any{"pairingId": pid, "enabled": true, "users": []map[string]any{{"roleIds": []string{}}}}), "users[0].id")
	fieldErr(post(cf, map[string]any{"pairingId": pid, "enabled": true, "users": []map[string]any{{"id": 7}}}), "users.id")
	if eb := post(cf, map[string]any{"pairingId": pid, "enabled": true, "groups": []map[string]any{{"id": "g"}}}).wantError(t, http.StatusBadRequest, `group "g"`); len(eb.Details) == 0 || eb.Details[0].FieldName != "groups[0].id" {
		t.Errorf("details %+v should name groups[0].id", eb.Details)
	}
	post(cf, `[1,2]`).wantError(t, http.StatusBadRequest, "object")
	post(cf, `{"pairingId":`).wantError(t, http.StatusBadRequest, "malformed JSON")
	post(cf, map[string]any{"pairingId": newUUID(), "enabled": true}).wantError(t, http.StatusNotFound, "pairing")
	// Body users must be trustee-org users; roles must be the caller's.
	eb := post(cf, map[string]any{"pairingId": pid, "enabled": true, "users": []map[string]any{{"id": userNadia}}}).wantError(t, http.StatusBadRequest, userNadia)
	if eb.Details[0].EntityID != userNadia {
		t.Errorf("details = %+v", eb.Details)
	}
	post(cf, map[string]any{"pairingId": pid, "enabled": true, "users": []map[string]any{{"id": userBo, "roleIds": []string{roleClaimsAgent}}}}).wantError(t, http.StatusBadRequest, roleClaimsAgent)
	post(cf, map[string]any{"pairingId": pid, "enabled": true, "users": []map[string]any{{"id": userBo}, {"id": userBo}}}).wantError(t, http.StatusBadRequest, "twice")
	post(cf, map[string]any{"pairingId": pid, "enabled": true, "users": []map[string]any{{"id": userBo, "roleDivisions": []any{map[string]any{}}}}}).wantError(t, http.StatusBadRequest, "roleDivisions")
	// The trustee cannot accept its own pairing.
	post(bb, map[string]any{"pairingId": pid, "enabled": true}).wantError(t, http.StatusBadRequest, "itself")
	// Northwind already trusts Bluebird.
	post(nw, map[string]any{"pairingId": pid, "enabled": true}).wantError(t, http.StatusConflict, "already trusts")
	nothingCreated("after refused requests")

	// An expired pairing is refused; a fresh one works.
	h.clock.Advance(48*time.Hour + time.Millisecond)
	bb, cf = h.login("bluebird"), h.login("copperfield") // tokens last 24 hours
	post(cf, map[string]any{"pairingId": pid, "enabled": true}).wantError(t, http.StatusBadRequest, "expired")
	nothingCreated("after an expired pairing")
	post(cf, map[string]any{"pairingId": h.pair(bb, userBianca), "enabled": true, "users": []map[string]any{{"id": userBianca}}}).want(t, http.StatusOK)
}

func TestMaxUsersPerTrust(t *testing.T) {
	fx := DemoFixture()
	fx.Limits.MaxUsersPerTrust = 3
	h := newHarness(t, fx, Options{})
	nw := h.login("northwind")
	bb := h.login("bluebird")
	cf := h.login("copperfield")
	// Northwind -> Bluebird already holds 3 users.
	h.do(nw, http.MethodPost, oa+"/trustees/"+bluebird+"/users", map[string]any{"id": userBianca}).wantError(t, http.StatusBadRequest, "maximum of 3")
	h.do(bb, http.MethodPut, oa+"/trustors/"+northwind+"/users/"+userBianca, nil).wantError(t, http.StatusBadRequest, "maximum of 3")
	h.do(bb, http.MethodPost, oa+"/pairings", map[string]any{"userIds": []string{userBo, userBella, userBen, userBianca}}).wantError(t, http.StatusBadRequest, "at most 3")
	pid := h.pair(bb, userBo)
	h.do(cf, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": pid, "enabled": true,
		"users": []map[string]any{{"id": userBo}, {"id": userBella}, {"id": userBen}, {"id": userBianca}}}).wantError(t, http.StatusBadRequest, "at most 3")
	if n := len(h.list(nw, oa+"/trustees/"+bluebird+"/users").Entities); n != 3 {
		t.Errorf("%d users", n)
	}
}

func TestTrusteeUsers(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	base := oa + "/trustees/" + bluebird + "/users"

	var tu struct {
		ID               string `json:"id"`
		Name             string `json:"name"`
		Email            string `json:"email"`
		TrustUserDetails struct {
			DateCreated string  `json:"dateCreated"`
			CreatedBy   orgUser `json:"createdBy"`
		} `json:"trustUserDetails"`
	}
	h.do(nw, http.MethodPost, base, map[string]any{"id": userBianca, "roleIds": []string{roleClaimsAgent}}).want(t, http.StatusOK).decode(t, &tu)
	if tu.ID != userBianca || tu.Name != "Bianca Bell" || tu.TrustUserDetails.DateCreated != "2026-03-01T09:00:00.000Z" || tu.TrustUserDetails.CreatedBy.ID != "northwind-demo-client" {
		t.Errorf("added user = %+v", tu)
	}
	if got := h.roleIDs(nw, bluebird, userBianca); !slices.Equal(got, []string{roleClaimsAgent}) {
		t.Errorf("roles = %v", got)
	}
	h.do(nw, http.MethodPost, base, map[string]any{"id": userBianca}).wantError(t, http.StatusConflict, userBianca)
	h.do(nw, http.MethodPost, base, map[string]any{"id": userNadia}).wantError(t, http.StatusBadRequest, userNadia)
	h.do(nw, http.MethodPost, base, map[string]any{"id": userBianca, "roleIds": []string{roleConsultant}}).wantError(t, http.StatusBadRequest, roleConsultant)
	h.do(nw, http.MethodPost, base, map[string]any{"roleIds": []string{}}).wantError(t, http.StatusBadRequest, "id is required")
	h.do(nw, http.MethodPost, base, map[string]any{"id": userBianca, "roleIds": "x"}).wantError(t, http.StatusBadRequest, "roleIds")
	h.do(nw, http.MethodPost, oa+"/trustees/"+copperfield+"/users", map[string]any{"id": userCora}).want(t, http.StatusNotFound)

	if got := h.list(nw, base).ids(); !slices.Equal(got, []string{userBo, userBella, userBen, userBianca}) {
		t.Errorf("users = %v", got)
	}
	h.do(nw, http.MethodGet, base+"/"+userBianca, nil).want(t, http.StatusOK)
	h.do(nw, http.MethodGet, base+"/"+userNadia, nil).wantError(t, http.StatusNotFound, userNadia)
	h.do(nw, http.MethodDelete, base+"/"+userBianca, nil).want(t, http.StatusNoContent)
	h.do(nw, http.MethodDelete, base+"/"+userBianca, nil).want(t, http.StatusNotFound)
	h.do(nw, http.MethodGet, base+"/"+userBianca, nil).want(t, http.StatusNotFound)
	h.do(nw, http.MethodGet, base+"/"+userBianca+"/roles", nil).want(t, http.StatusNotFound)
}

func TestTrusteeUserRoles(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	roles := oa + "/trustees/" + bluebird + "/users/" + userBo + "/roles"

	var ua userAuthorization
	h.do(nw, http.MethodGet, roles, nil).want(t, http.StatusOK).decode(t, &ua)
	want := []roleRef{{roleClaimsSupervisor, "Claims Supervisor"}, {roleReportingViewer, "Reporting Viewer"}}
	if !slices.Equal(ua.Roles, want) {
		t.Errorf("roles = %+v", ua.Roles)
	}
	h.do(nw, http.MethodPut, roles, []string{roleTelephonyAdmin, roleClaimsAgent}).want(t, http.StatusOK).decode(t, &ua)
	if len(ua.Roles) != 2 || ua.Roles[0].ID != roleTelephonyAdmin || ua.Roles[1].Name != "Claims Agent" {
		t.Errorf("PUT answered %+v", ua.Roles)
	}
	// An unknown role refuses the whole change.
	h.do(nw, http.MethodPut, roles, []string{roleClaimsSupervisor, roleOutsourcedAgent}).wantError(t, http.StatusBadRequest, roleOutsourcedAgent)
	h.do(nw, http.MethodPut, roles, map[string]any{"roleIds": []string{}}).wantError(t, http.StatusBadRequest, "array")
	h.do(nw, http.MethodPut, roles, "null").wantError(t, http.StatusBadRequest, "array")
	h.do(nw, http.MethodPut, roles, "[1]").wantError(t, http.StatusBadRequest, "expected a string")
	if got := h.roleIDs(nw, bluebird, userBo); !slices.Equal(got, []string{roleTelephonyAdmin, roleClaimsAgent}) {
		t.Errorf("roles after refused PUT = %v", got)
	}
	h.do(nw, http.MethodDelete, roles, nil).want(t, http.StatusNoContent)
	if got := h.roleIDs(nw, bluebird, userBo); len(got) != 0 {
		t.Errorf("roles after DELETE = %v", got)
	}
	h.do(nw, http.MethodPut, roles, []string{}).want(t, http.StatusOK)
	h.do(nw, http.MethodGet, oa+"/trustees/"+bluebird+"/users/"+userBianca+"/roles", nil).want(t, http.StatusNotFound)
	h.do(nw, http.MethodPut, oa+"/trustees/"+bluebird+"/users/"+userBianca+"/roles", []string{}).want(t, http.StatusNotFound)
	h.do(nw, http.MethodDelete, oa+"/trustees/"+bluebird+"/users/"+userBianca+"/roles", nil).want(t, http.StatusNotFound)
	// The trustee side cannot manage roles through /trustees.
	h.do(h.login("bluebird"), http.MethodGet, oa+"/trustees/"+northwind+"/users/"+userBo+"/roles", nil).want(t, http.StatusNotFound)
}

func TestTrustorSide(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	cf := h.login("copperfield")
	base := oa + "/trustors/" + copperfield

	var tr map[string]any
	h.do(nw, http.MethodGet, base, nil).want(t, http.StatusOK).decode(t, &tr)
	if tr["id"] != copperfield || tr["enabled"] != true || tr["dateExpired"] != nil || tr["selfUri"] != base {
		t.Errorf("trustor = %v", tr)
	}
	if auth, _ := tr["authorization"].(map[string]any); auth == nil {
		t.Errorf("trustor has no authorization: %v", tr)
	}
	if got := h.list(nw, base+"/users").ids(); !slices.Equal(got, []string{userNadia, userOscar}) {
		t.Errorf("users = %v", got)
	}
	var tu trustUser
	h.do(nw, http.MethodPut, base+"/users/"+userPriya, nil).want(t, http.StatusOK).decode(t, &tu)
	if tu.ID != userPriya || tu.Name != "Priya Patel" {
		t.Errorf("PUT trustor user = %+v", tu)
	}
	if got := h.roleIDs(cf, northwind, userPriya); len(got) != 0 {
		t.Errorf("a user added by the trustee has roles %v", got)
	}
	h.do(nw, http.MethodPut, base+"/users/"+userPriya, nil).wantError(t, http.StatusConflict, userPriya)
	eb := h.do(nw, http.MethodPut, base+"/users/"+userCora, nil).wantError(t, http.StatusBadRequest, userCora)
	if eb.Details[0].EntityID != userCora {
		t.Errorf("details = %+v", eb.Details)
	}
	h.do(nw, http.MethodGet, base+"/users/"+userPriya, nil).want(t, http.StatusOK)
	h.do(cf, http.MethodGet, oa+"/trustees/"+northwind+"/users/"+userPriya, nil).want(t, http.StatusOK)
	h.do(nw, http.MethodDelete, base+"/users/"+userPriya, nil).want(t, http.StatusNoContent)
	h.do(nw, http.MethodDelete, base+"/users/"+userPriya, nil).want(t, http.StatusNotFound)
	h.do(nw, http.MethodGet, base+"/users/"+userPriya, nil).want(t, http.StatusNotFound)
	h.do(cf, http.MethodGet, oa+"/trustees/"+northwind+"/users/"+userPriya, nil).want(t, http.StatusNotFound)

	// 404 for trusts the caller is not a party to.
	for _, p := range []string{oa + "/trustors/" + bluebird, oa + "/trustors/" + bluebird + "/users", oa + "/trustors/" + newUUID()} {
		h.do(nw, http.MethodGet, p, nil).want(t, http.StatusNotFound)
	}
	h.do(nw, http.MethodPut, oa+"/trustors/"+bluebird+"/users/"+userPriya, nil).want(t, http.StatusNotFound)
	h.do(nw, http.MethodDelete, oa+"/trustors/"+bluebird, nil).want(t, http.StatusNotFound)
	h.do(cf, http.MethodGet, oa+"/trustors/"+northwind, nil).want(t, http.StatusNotFound) // Copperfield is the trustor, not trustee
	h.do(cf, http.MethodGet, oa+"/trustees/"+bluebird, nil).want(t, http.StatusNotFound)

	h.do(nw, http.MethodDelete, base, nil).want(t, http.StatusNoContent)
	h.do(cf, http.MethodGet, oa+"/trustees/"+northwind, nil).want(t, http.StatusNotFound)
	h.do(nw, http.MethodDelete, base, nil).want(t, http.StatusNotFound)
}

func TestUpdateTrustee(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	path := oa + "/trustees/" + bluebird

	var raw map[string]any
	h.do(nw, http.MethodPut, path, map[string]any{"enabled": false}).want(t, http.StatusOK).decode(t, &raw)
	// An omitted dateExpired means no expiry.
	if raw["enabled"] != false || raw["dateExpired"] != nil {
		t.Errorf("PUT answered %v", raw)
	}
	h.do(nw, http.MethodPut, path, map[string]any{"enabled": true, "dateExpired": "2028-01-02T03:04:05.678+01:00"}).want(t, http.StatusOK).decode(t, &raw)
	if raw["enabled"] != true || raw["dateExpired"] != "2028-01-02T02:04:05.678Z" {
		t.Errorf("PUT answered %v", raw)
	}
	h.do(nw, http.MethodPut, path, map[string]any{"dateExpired": "2028-01-02T00:00:00Z"}).wantError(t, http.StatusBadRequest, "enabled")
	h.do(nw, http.MethodPut, path, map[string]any{"enabled": true, "dateExpired": "2028-13-02"}).wantError(t, http.StatusBadRequest, "dateExpired")
	h.do(nw, http.MethodPut, path, map[string]any{"enabled": 1}).wantError(t, http.StatusBadRequest, "enabled")
	h.do(nw, http.MethodPut, oa+"/trustees/"+copperfield, map[string]any{"enabled": true}).want(t, http.StatusNotFound)
	h.do(nw, http.MethodGet, path, nil).decode(t, &raw)
	if raw["enabled"] != true || raw["dateExpired"] != "2028-01-02T02:04:05.678Z" {
		t.Errorf("refused PUTs changed the trust: %v", raw)
	}
}

func TestUnknownRoutes(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	h.do(nw, http.MethodGet, "/api/v2/nothing", nil).wantError(t, http.StatusNotFound, "no API operation")
	// A 405 names the path's methods in the Allow header and the message.
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPatch, oa + "/trustees", "GET, POST"},
		{http.MethodPost, oa + "/trustors", "GET"},
		{http.MethodPost, oa + "/trustees/" + bluebird, "GET, PUT, DELETE"},
		{http.MethodPost, oa + "/trustors/" + copperfield + "/users/" + userNadia, "GET, PUT, DELETE"},
		{http.MethodGet, oa + "/trustor/audits", "POST"},
	} {
		r := h.do(nw, tc.method, tc.path, nil)
		r.wantError(t, http.StatusMethodNotAllowed, tc.allow)
		if got := r.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
	for path, allow := range map[string]string{"/_sandbox/stats": "GET", "/_sandbox/stats/reset": "POST"} {
		r := h.do("", http.MethodPut, path, nil)
		r.wantError(t, http.StatusMethodNotAllowed)
		if got := r.header.Get("Allow"); got != allow {
			t.Errorf("PUT %s: Allow %q, want %q", path, got, allow)
		}
	}
	if got := h.do(nw, http.MethodGet, "/api/v2/nothing", nil).header.Get("Allow"); got != "" {
		t.Errorf("a 404 has Allow %q", got)
	}
	h.do("", http.MethodGet, "/api/v2/nothing", nil).want(t, http.StatusUnauthorized)
	h.do("", http.MethodGet, "/_sandbox/nothing", nil).wantError(t, http.StatusNotFound, "/_sandbox/stats")
	if n := h.s.Stats().ByRoute["GET (unmatched)"]; n != 4 {
		t.Errorf("unmatched GETs counted %d times", n)
	}
}

// TestBadBodiesNeverFail500 sends malformed and odd bodies to every
// operation that reads one: each must be a 4xx, never a server error.
func TestBadBodiesNeverFail500(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	bb := h.login("bluebird")
	targets := []struct{ tok, method, path string }{
		{bb, http.MethodPost, oa + "/pairings"},
		{nw, http.MethodPost, oa + "/trustees"},
		{nw, http.MethodPut, oa + "/trustees/" + bluebird},
		{nw, http.MethodPost, oa + "/trustees/" + bluebird + "/users"},
		{nw, http.MethodPut, oa + "/trustees/" + bluebird + "/users/" + userBo + "/roles"},
		{nw, http.MethodPost, oa + "/trustees/audits"},
		{bb, http.MethodPost, oa + "/trustor/audits"},
	}
	bodies := []string{"", " ", "null", "[]", "{}", "garbage", `{"id":null}`, `{"enabled":null,"pairingId":null}`, `"text"`, `{} {}`,
		`{"users":null,"userIds":null,"roleIds":null}`, `{"users":[null]}`, `{"trusteeOrganizationIds":null,"trusteeUserIds":null}`,
		`{"trusteeOrganizationIds":[],"trusteeUserIds":[],"startDate":""}`, `[null]`, `[""]`, strings.Repeat("[", 10000)}
	for _, tg := range targets {
		for _, b := range bodies {
			r := h.do(tg.tok, tg.method, tg.path, b)
			if r.status >= 500 {
				t.Errorf("%s %s with %.30q: %d %s", tg.method, tg.path, b, r.status, r.body)
			}
		}
	}
	big := `{"userIds":["` + strings.Repeat("x", maxBodyBytes) + `"]}`
	h.do(bb, http.MethodPost, oa+"/pairings", big).wantError(t, http.StatusBadRequest, "larger than")
}
