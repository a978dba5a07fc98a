package audit_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustsync/trustsync/internal/audit"
	"github.com/trustsync/trustsync/internal/plan"
)

// driftPlan has one change per kind of object, as plan would make them
// after the changes writeSome made by hand.
func driftPlan() *plan.Plan {
	return &plan.Plan{
		Organization: plan.Org{ID: homeID, Name: "Northwind Insurance"},
		Changes: []plan.Change{
			{Action: plan.Update, Kind: plan.KindTrustee, TrusteeID: blueID, TrustorID: homeID},
			{Action: plan.Update, Kind: plan.KindTrusteeUserRoles, TrusteeID: blueID, TrustorID: homeID, UserID: userBo},
			{Action: plan.Update, Kind: plan.KindTrusteeUserRoles, TrusteeID: blueID, TrustorID: homeID, UserID: userBella},
			{Action: plan.Create, Kind: plan.KindTrustorUser, TrusteeID: homeID, TrustorID: copperID, UserID: userNadia},
		},
	}
}

func TestAttributeSandbox(t *testing.T) {
	c := startSandbox(t)
	writeSome(t, c)
	api := &counting{api: c}
	p := driftPlan()
	if ws := audit.Attribute(context.Background(), api, p); len(ws) != 0 {
		t.Fatalf("warnings: %+v", ws)
	}
	at := func(min int) time.Time { return time.Date(2026, 11, 24, 9, min, 0, 0, time.UTC) }
	var got []*plan.Attribution
	for _, ch := range p.Changes {
		got = append(got, ch.Attribution)
	}
	// the sandbox clock moves a minute on every reading
	want := []*plan.Attribution{
		{By: homeClient, ByKind: "client", ByID: homeClient, At: at(3), Action: "UPDATE"},
		{By: homeClient, ByKind: "client", ByID: homeClient, At: at(4), Action: "UPDATE"},
		nil, // Bella Byrne's roles were never changed
		{By: homeClient, ByKind: "client", ByID: homeClient, At: at(5), Action: "DELETE"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attributions (-want +got):\n%s", diff)
	}
	// one trustee-side query (Bluebird needs its trust-level entries, so
	// all of them) and one for Copperfield, narrowed to Nadia North
	if len(api.trustee) != 1 || len(api.trustee[0].TrusteeUserIDs) != 0 || len(api.trustee[0].TrusteeOrganizationIDs) != 1 {
		t.Errorf("trustee queries = %+v", api.trustee)
	}
	if len(api.trustor) != 1 || api.trustor[0].TrustorOrganizationID != copperID || !cmp.Equal(api.trustor[0].TrusteeUserIDs, []string{userNadia}) {
		t.Errorf("trustor queries = %+v", api.trustor)
	}
}

func TestAttributeUserLevelOnly(t *testing.T) {
	c := startSandbox(t)
	writeSome(t, c)
	api := &counting{api: c}
	p := driftPlan()
	p.Changes = p.Changes[1:3]
	audit.Attribute(context.Background(), api, p)
	if p.Changes[0].Attribution == nil || p.Changes[1].Attribution != nil {
		t.Errorf("attributions: %+v, %+v", p.Changes[0].Attribution, p.Changes[1].Attribution)
	}
	if len(api.trustee) != 1 || !cmp.Equal(api.trustee[0].TrusteeUserIDs, []string{userBo, userBella}) || len(api.trustor) != 0 {
		t.Errorf("queries: trustee %+v, trustor %+v", api.trustee, api.trustor)
	}
}

func TestAttributeNoChangesNoQuery(t *testing.T) {
	api := &counting{}
	if ws := audit.Attribute(context.Background(), api, &plan.Plan{Organization: plan.Org{ID: homeID}}); ws != nil {
		t.Errorf("warnings %+v", ws)
	}
	if len(api.trustee)+len(api.trustor) != 0 {
		t.Errorf("an empty plan made audit queries")
	}
}

func TestAttributeForbidden(t *testing.T) {
	c, calls := pagedServer(t, nil, http.StatusForbidden)
	p := driftPlan()
	ws := audit.Attribute(context.Background(), c, p)
	if len(ws) != 1 || ws[0].Code != audit.WarnAuditForbidden || !strings.Contains(ws[0].Message, "authorization:audit:view") {
		t.Fatalf("warnings = %+v; want one naming authorization:audit:view", ws)
	}
	if *calls != 1 {
		t.Errorf("%d audit requests after a 403; want 1", *calls)
	}
	for _, ch := range p.Changes {
		if ch.Attribution != nil {
			t.Errorf("attributed after a 403: %+v", ch)
		}
	}
}

func TestAttributeMissingFields(t *testing.T) {
	entries := []map[string]any{
		// no caller: nothing to say who
		{"id": "1", "eventDate": "2026-11-24T09:30:00Z", "entityType": "ORG_TRUSTEE", "entity": map[string]any{"id": blueID}},
		// no time
		{"id": "2", "client": map[string]any{"id": "x"}, "entityType": "ORG_TRUSTEE", "entity": map[string]any{"id": blueID}},
		// unfamiliar type about something else
		{"id": "3", "eventDate": "2026-11-24T09:20:00Z", "client": map[string]any{"id": "x"}, "entityType": "Widget", "entity": map[string]any{"id": "w"}},
		// the general model's vocabulary, a user caller, no context
		{"id": "4", "eventDate": "2026-11-24T09:10:00Z", "user": map[string]any{"id": "u9", "name": "Una Admin"},
			"action": "Update", "entityType": "OrganizationAuthorizationUserTrust", "entity": map[string]any{"id": userBo}},
		{"id": "5", "eventDate": "2026-11-24T09:05:00Z", "user": map[string]any{"id": "u9"},
			"action": "Update", "entityType": "OrganizationAuthorizationTrust", "entity": map[string]any{"id": blueID}},
	}
	c, _ := pagedServer(t, entries, http.StatusOK)
	p := driftPlan()
	p.Changes = p.Changes[:3]
	if ws := audit.Attribute(context.Background(), c, p); len(ws) != 0 {
		t.Fatalf("warnings %+v", ws)
	}
	want := []*plan.Attribution{
		{By: "u9", ByKind: "user", ByID: "u9", At: time.Date(2026, 11, 24, 9, 5, 0, 0, time.UTC), Action: "Update"},
		{By: "Una Admin", ByKind: "user", ByID: "u9", At: time.Date(2026, 11, 24, 9, 10, 0, 0, time.UTC), Action: "Update"},
		nil,
	}
	var got []*plan.Attribution
	for _, ch := range p.Changes {
		got = append(got, ch.Attribution)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attributions (-want +got):\n%s", diff)
	}
}
