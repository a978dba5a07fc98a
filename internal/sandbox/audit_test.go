package sandbox

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

type auditResult struct {
	PageNumber int               `json:"pageNumber"`
	PageSize   int               `json:"pageSize"`
	Total      int               `json:"total"`
	PageCount  int               `json:"pageCount"`
	Entities   []AuditLogMessage `json:"entities"`
}

func (h *harness) trusteeAudits(tok, query string, body any) auditResult {
	h.t.Helper()
	var out auditResult
	h.do(tok, http.MethodPost, oa+"/trustees/audits"+query, body).want(h.t, http.StatusOK).decode(h.t, &out)
	return out
}

func (h *harness) trustorAudits(tok, query string, body any) auditResult {
	h.t.Helper()
	var out auditResult
	h.do(tok, http.MethodPost, oa+"/trustor/audits"+query, body).want(h.t, http.StatusOK).decode(h.t, &out)
	return out
}

// summary renders entries as "TYPE ACTION entity" lines for comparison.
func summary(ms []AuditLogMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.EntityType + " " + m.Action + " " + m.Entity.ID
	}
	return out
}

func TestAuditLog(t *testing.T) {
	h := newHarness(t, nil, Options{})
	bb := h.login("bluebird")
	cf := h.login("copperfield")
	if n := len(h.s.AuditLog()); n != 0 {
		t.Fatalf("fixture trusts are audited: %d entries", n)
	}

	// Copperfield trusts Bluebird (two users), then changes come from both sides.
	pid := h.pair(bb, userBianca)
	h.do(cf, http.MethodPost, oa+"/trustees", map[string]any{"pairingId": pid, "enabled": true, "dateExpired": "2027-01-01T00:00:00Z",
		"users": []map[string]any{{"id": userBo, "roleIds": []string{roleConsultant}}, {"id": userBella}}}).want(t, http.StatusOK)
	h.clock.Advance(time.Minute)
	h.do(cf, http.MethodPut, oa+"/trustees/"+bluebird, map[string]any{"enabled": false}).want(t, http.StatusOK)
	h.clock.Advance(time.Minute)
	h.do(bb, http.MethodPut, oa+"/trustors/"+copperfield+"/users/"+userBen, nil).want(t, http.StatusOK)
	h.do(cf, http.MethodPut, oa+"/trustees/"+bluebird+"/users/"+userBo+"/roles", []string{roleAuditor, roleProjectLead}).want(t, http.StatusOK)
	h.do(cf, http.MethodDelete, oa+"/trustees/"+bluebird+"/users/"+userBo+"/roles", nil).want(t, http.StatusNoContent)
	h.do(bb, http.MethodDelete, oa+"/trustors/"+copperfield+"/users/"+userBella, nil).want(t, http.StatusNoContent)
	h.clock.Advance(time.Minute)
	h.do(bb, http.MethodDelete, oa+"/trustors/"+copperfield, nil).want(t, http.StatusNoContent)

	log := h.s.AuditLog()
	// The pairing comes first; its context names no trustor, so the
	// queries below never return it.
	if pe := log[0]; pe.EntityType != entityPairing || pe.Action != actionCreate || pe.Entity.ID != pid || pe.Client.ID != "bluebird-demo-client" ||
		pe.Context[ctxTrusteeOrgID] != bluebird || pe.Context[ctxTrustorOrgID] != "" ||
		!equalChanges(pe.PropertyChanges, []PropertyChange{{"userIds", []string{}, []string{userBianca}}}) {
		t.Errorf("pairing entry = %+v", pe)
	}
	log = log[1:]
	wantLog := []string{
		"ORG_TRUSTEE CREATE " + bluebird,
		"ORG_TRUSTEE_USER CREATE " + userBo,
		"ORG_TRUSTEE_USER CREATE " + userBella,
		"ORG_TRUSTEE UPDATE " + bluebird,
		"ORG_TRUSTEE_USER CREATE " + userBen,
		"ORG_TRUSTEE_USER_ROLES UPDATE " + userBo,
		"ORG_TRUSTEE_USER_ROLES DELETE " + userBo,
		"ORG_TRUSTEE_USER DELETE " + userBella,
		"ORG_TRUSTEE DELETE " + bluebird,
	}
	if got := summary(log); !slices.Equal(got, wantLog) {
		t.Fatalf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLog, "\n"))
	}

	first := log[0]
	if !isUUID(first.ID) || first.UserHomeOrgID != copperfield || first.Client == nil || first.Client.ID != "copperfield-demo-client" ||
		first.ServiceName != "OrgAuthorization" || first.Status != "SUCCESS" || first.EventDate != "2026-03-01T09:00:00.000Z" ||
		first.Entity.Name != "Bluebird Outsourcing" || first.Context[ctxTrustorOrgID] != copperfield || first.Context[ctxTrusteeOrgID] != bluebird ||
		first.Context[ctxUserID] != "" || first.Level != "USER" {
		t.Errorf("trust entry = %+v", first)
	}
	if want := []PropertyChange{{"enabled", []string{}, []string{"true"}}, {"dateExpired", []string{}, []string{"2027-01-01T00:00:00.000Z"}}}; !equalChanges(first.PropertyChanges, want) {
		t.Errorf("create changes = %+v", first.PropertyChanges)
	}
	if u := log[1]; u.Context[ctxUserID] != userBo || u.Entity.Name != "Bo Blue" ||
		!equalChanges(u.PropertyChanges, []PropertyChange{{"roleIds", []string{}, []string{roleConsultant}}}) {
		t.Errorf("user entry = %+v", u)
	}
	if u := log[2]; len(u.PropertyChanges) != 0 || u.PropertyChanges == nil {
		t.Errorf("user without roles: changes %#v, want []", u.PropertyChanges)
	}
	if up := log[3]; up.EventDate != "2026-03-01T09:01:00.000Z" ||
		!equalChanges(up.PropertyChanges, []PropertyChange{{"enabled", []string{"true"}, []string{"false"}}, {"dateExpired", []string{"2027-01-01T00:00:00.000Z"}, []string{}}}) {
		t.Errorf("update entry = %+v", up)
	}
	if tu := log[4]; tu.UserHomeOrgID != bluebird || tu.Client.ID != "bluebird-demo-client" {
		t.Errorf("a change by the trustee is attributed to %s/%v", tu.UserHomeOrgID, tu.Client)
	}
	if r := log[5]; !equalChanges(r.PropertyChanges, []PropertyChange{{"roleIds", []string{roleConsultant}, []string{roleAuditor, roleProjectLead}}}) {
		t.Errorf("roles entry = %+v", r)
	}
	if d := log[8]; !equalChanges(d.PropertyChanges, []PropertyChange{{"enabled", []string{"false"}, []string{}}}) {
		t.Errorf("delete entry = %+v", d)
	}

	// Both audit queries see the same history, which survives the deletion.
	all := []string{}
	fromTrustor := h.trusteeAudits(cf, "", map[string]any{"trusteeOrganizationIds": []string{bluebird}, "trusteeUserIds": all})
	fromTrustee := h.trustorAudits(bb, "", map[string]any{"trustorOrganizationId": copperfield, "trusteeUserIds": all})
	desc := slices.Clone(wantLog)
	slices.Reverse(desc)
	if got := summary(fromTrustor.Entities); !slices.Equal(got, desc) || fromTrustor.Total != 9 || fromTrustor.PageSize != 25 || fromTrustor.PageNumber != 1 || fromTrustor.PageCount != 1 {
		t.Errorf("trustee audits (descending by default): %+v", fromTrustor)
	}
	if got := summary(fromTrustee.Entities); !slices.Equal(got, desc) {
		t.Errorf("trustor audits = %v", got)
	}

	// Filters: users, dates, sort order, paging.
	bo := h.trusteeAudits(cf, "?sortOrder=ascending", map[string]any{"trusteeOrganizationIds": []string{bluebird}, "trusteeUserIds": []string{userBo}})
	if got := summary(bo.Entities); !slices.Equal(got, []string{wantLog[1], wantLog[5], wantLog[6]}) {
		t.Errorf("Bo's entries = %v", got)
	}
	window := h.trustorAudits(bb, "?sortOrder=asc", map[string]any{"trustorOrganizationId": copperfield, "trusteeUserIds": all,
		"startDate": "2026-03-01T09:01:00Z", "endDate": "2026-03-01T09:03:00.000Z"})
	if got := summary(window.Entities); !slices.Equal(got, wantLog[3:8]) {
		t.Errorf("09:01 to 09:03 = %v", got)
	}
	p2 := h.trusteeAudits(cf, "?pageSize=4&pageNumber=2&sortBy=timestamp&sortOrder=descending", map[string]any{"trusteeOrganizationIds": []string{bluebird}, "trusteeUserIds": all})
	if got := summary(p2.Entities); !slices.Equal(got, desc[4:8]) || p2.PageCount != 3 || p2.Total != 9 {
		t.Errorf("page 2 = %+v", p2)
	}
	phrase := h.trusteeAudits(cf, "", map[string]any{"trusteeOrganizationIds": []string{bluebird}, "trusteeUserIds": all, "queryPhrase": "bella"})
	if phrase.Total != 2 {
		t.Errorf("queryPhrase bella: %v", summary(phrase.Entities))
	}

	// Other parties see nothing of it; these queries never answer 404.
	nw := h.login("northwind")
	if r := h.trusteeAudits(nw, "", map[string]any{"trusteeOrganizationIds": []string{bluebird, newUUID()}, "trusteeUserIds": all}); r.Total != 0 || r.Entities == nil {
		t.Errorf("northwind sees %+v", r)
	}
	if r := h.trustorAudits(cf, "", map[string]any{"trustorOrganizationId": bluebird, "trusteeUserIds": all}); r.Total != 0 {
		t.Errorf("copperfield as trustee sees %+v", r)
	}

	// Errors.
	h.do(cf, http.MethodPost, oa+"/trustees/audits", map[string]any{"trusteeUserIds": all}).wantError(t, http.StatusBadRequest, "trusteeOrganizationIds")
	h.do(cf, http.MethodPost, oa+"/trustees/audits", map[string]any{"trusteeOrganizationIds": []string{bluebird}}).wantError(t, http.StatusBadRequest, "trusteeUserIds")
	h.do(bb, http.MethodPost, oa+"/trustor/audits", map[string]any{"trusteeUserIds": all}).wantError(t, http.StatusBadRequest, "trustorOrganizationId")
	body := map[string]any{"trusteeOrganizationIds": []string{bluebird}, "trusteeUserIds": all}
	h.do(cf, http.MethodPost, oa+"/trustees/audits?sortBy=name", body).wantError(t, http.StatusBadRequest, "sortBy")
	h.do(cf, http.MethodPost, oa+"/trustees/audits?sortOrder=sideways", body).wantError(t, http.StatusBadRequest, "sortOrder")
	h.do(cf, http.MethodPost, oa+"/trustees/audits?pageSize=500", body).wantError(t, http.StatusBadRequest, "pageSize")
	h.do(cf, http.MethodPost, oa+"/trustees/audits", map[string]any{"trusteeOrganizationIds": []string{bluebird}, "trusteeUserIds": all, "startDate": "yesterday"}).wantError(t, http.StatusBadRequest, "startDate")
	h.do(cf, http.MethodPost, oa+"/trustees/audits", map[string]any{"trusteeOrganizationIds": []string{bluebird}, "trusteeUserIds": all,
		"startDate": "2026-03-02T00:00:00Z", "endDate": "2026-03-01T00:00:00Z"}).wantError(t, http.StatusBadRequest, "endDate")
	h.do(cf, http.MethodPost, oa+"/trustees/audits", map[string]any{"trusteeOrganizationIds": bluebird, "trusteeUserIds": all}).wantError(t, http.StatusBadRequest, "trusteeOrganizationIds")

	// Queries and reads write nothing to the log.
	if n := len(h.s.AuditLog()); n != 10 {
		t.Errorf("%d entries after queries", n)
	}
}

func TestAuditNoOpChanges(t *testing.T) {
	h := newHarness(t, nil, Options{})
	nw := h.login("northwind")
	// Setting what is already there changes nothing and logs nothing.
	h.do(nw, http.MethodPut, oa+"/trustees/"+bluebird, map[string]any{"enabled": true, "dateExpired": "2027-06-30T00:00:00Z"}).want(t, http.StatusOK)
	h.do(nw, http.MethodPut, oa+"/trustees/"+bluebird+"/users/"+userBo+"/roles", []string{roleReportingViewer, roleClaimsSupervisor}).want(t, http.StatusOK)
	h.do(nw, http.MethodDelete, oa+"/trustees/"+care+"/users/"+userGrace+"/roles", nil).want(t, http.StatusNoContent)
	h.do(nw, http.MethodDelete, oa+"/trustees/"+care+"/users/"+userGrace+"/roles", nil).want(t, http.StatusNoContent)
	if got := summary(h.s.AuditLog()); !slices.Equal(got, []string{"ORG_TRUSTEE_USER_ROLES DELETE " + userGrace}) {
		t.Errorf("audit log = %v", got)
	}
	// AuditLog returns copies.
	log := h.s.AuditLog()
	log[0].Context[ctxUserID] = "changed"
	log[0].PropertyChanges[0].OldValues[0] = "changed"
	if again := h.s.AuditLog(); again[0].Context[ctxUserID] != userGrace || again[0].PropertyChanges[0].OldValues[0] != roleMasterAdmin {
		t.Error("AuditLog shares its entries with the caller")
	}
}

func equalChanges(a, b []PropertyChange) bool {
	return slices.EqualFunc(a, b, func(x, y PropertyChange) bool {
		return x.Property == y.Property && slices.Equal(x.OldValues, y.OldValues) && slices.Equal(x.NewValues, y.NewValues) &&
			x.OldValues != nil && x.NewValues != nil
	})
}
