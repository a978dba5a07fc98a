package planjson

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/plan"
)

const (
	homeID  = "a0000000-0000-4000-8000-000000000001"
	otherID = "b0000000-0000-4000-8000-000000000002"
	userID  = "b2000000-0000-4000-8000-000000000001"
	roleID  = "a1000000-0000-4000-8000-000000000001"
)

// testPlan holds a trust to create, a user added to it (which requires
// the creation) and a deleted trustor user, with an attribution and a
// coded warning.
func testPlan() *plan.Plan {
	exp := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	days := 210
	p := &plan.Plan{
		Organization: plan.Org{ID: homeID, Name: "Northwind"},
		Changes: []plan.Change{
			{Action: plan.Delete, Kind: plan.KindTrustorUser, Address: "trustor[B b000…].user[N a200…]",
				TrusteeID: homeID, TrustorID: otherID, UserID: userID, OrgName: "B",
				Before: &plan.Value{Name: "N"}, Effect: plan.Narrow, Reason: "not in configuration",
				Attribution: &plan.Attribution{By: "ci", ByKind: "client", ByID: "c1", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Action: "Add"}},
			{Action: plan.Create, Kind: plan.KindTrustee, Address: "trustee[B b000…]",
				TrusteeID: otherID, TrustorID: homeID, OrgName: "B",
				After:  &plan.Value{Name: "B", Enabled: ptr(true), Expires: &exp, PairingID: "p1", Users: []plan.User{}},
				Effect: plan.Widen, Reason: "in configuration, not live"},
			{Action: plan.Create, Kind: plan.KindTrusteeUser, Address: "trustee[B b000…].user[Bo b200…]",
				TrusteeID: otherID, TrustorID: homeID, UserID: userID, OrgName: "B",
				After:  &plan.Value{Name: "Bo", Roles: []plan.Role{{ID: roleID, Name: "Agent"}}},
				Effect: plan.Widen, Reason: "in configuration, not live"},
		},
		Warnings: []plan.Warning{{Severity: diag.Warning, Code: "expires_soon", Message: "expires", Hints: []string{"extend"},
			Pos: diag.Pos{File: "t.yaml", Line: 3, Col: 5}, Path: "/trustees/0/expires", TrusteeID: otherID, DaysLeft: &days}},
		Managed: 3, Removals: 1,
	}
	plan.Link(p.Changes)
	return p
}

func ptr[T any](v T) *T { return &v }

func TestRoundTrip(t *testing.T) {
	b, err := Marshal(testPlan())
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(b), string(again)); diff != "" {
		t.Fatalf("JSON → document → JSON changed it (-first +second):\n%s", diff)
	}
	user := d.Changes[2]
	if user.Key != "trustee_user/"+otherID+"/"+userID || !cmp.Equal(user.DependsOn, []string{"trustee/" + otherID}) ||
		!cmp.Equal(user.Requires, user.DependsOn) {
		t.Errorf("user change graph: key %q depends_on %q requires %q", user.Key, user.DependsOn, user.Requires)
	}
	if d.Changes[1].DependsOn == nil || d.Changes[1].Requires == nil {
		t.Error("empty depends_on/requires decode as null, want []")
	}
	if a := d.Changes[0].Attribution; a == nil || a.By != "ci" || a.ByKind != "client" || !a.At.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("attribution = %+v", a)
	}
	if d.Changes[1].Attribution != nil || strings.Count(string(b), `"attribution"`) != 1 {
		t.Error("a change without attribution carries the member")
	}
	w := d.Warnings[0]
	if w.Code != "expires_soon" || w.TrusteeID != otherID || w.DaysLeft == nil || *w.DaysLeft != 210 || w.Severity != diag.Warning ||
		w.Line != 3 || w.Path != "/trustees/0/expires" || !cmp.Equal(w.Hints, []string{"extend"}) {
		t.Errorf("warning = %+v", w)
	}
}

func TestWarningsAreWarnings(t *testing.T) {
	p := testPlan()
	p.Warnings[0].Severity = diag.Error // a zero Severity set by mistake
	d, err := FromPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Warnings[0].Severity != diag.Warning {
		t.Errorf("severity = %v, want warning", d.Warnings[0].Severity)
	}
}

func TestWithoutAttribution(t *testing.T) {
	d, err := FromPlan(testPlan())
	if err != nil {
		t.Fatal(err)
	}
	bare := d.WithoutAttribution()
	if bare.Changes[0].Attribution != nil {
		t.Error("attribution kept")
	}
	if d.Changes[0].Attribution == nil {
		t.Error("the original document lost its attribution")
	}
	p := testPlan()
	p.Changes[0].Attribution = nil
	want, _ := FromPlan(p)
	a, _ := bare.Marshal()
	b, _ := want.Marshal()
	if !bytes.Equal(a, b) {
		t.Error("a document without attribution differs from the plan without it")
	}
}

func TestFailure(t *testing.T) {
	diags := diag.List{
		diag.Errorf(diag.Pos{File: "t.yaml", Line: 4, Col: 9}, "did you mean \"Y\"?", "role %q does not exist", "X"),
		{Severity: diag.Error, Message: "read live state: boom"},
	}
	b, err := NewFailure(plan.Org{ID: homeID, Name: "Northwind"}, diags).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "format_version": "2",
  "organization": {
    "id": "a0000000-0000-4000-8000-000000000001",
    "name": "Northwind"
  },
  "errored": true,
  "changes": [],
  "diagnostics": [
    {
      "severity": "error",
      "message": "role \"X\" does not exist",
      "hints": [
        "did you mean \"Y\"?"
      ],
      "file": "t.yaml",
      "line": 4,
      "col": 9
    },
    {
      "severity": "error",
      "message": "read live state: boom"
    }
  ]
}
`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("failure document (-want +got):\n%s", diff)
	}
	b, err = NewFailure(plan.Org{}, nil).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["organization"]; ok {
		t.Error("an unknown organization is written")
	}
	if string(m["diagnostics"]) != "[]" {
		t.Errorf("diagnostics = %s, want []", m["diagnostics"])
	}
	if _, err := Parse(b); err == nil || !strings.Contains(err.Error(), "errored") {
		t.Errorf("Parse(failure) = %v, want a refusal", err)
	}
}

func TestParseErrors(t *testing.T) {
	good, err := Marshal(testPlan())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data string
		want string
	}{
		{"empty", "", "unexpected end of input"},
		{"truncated", string(good[:len(good)/2]), "unexpected end of input"},
		{"syntax", "{\n  \"format_version\": \"2\",\n  \"changes\": [,]\n}", "line 3, column"},
		{"no version", `{"changes": []}`, "no format_version"},
		{"version 1", `{"format_version": "1", "changes": []}`, "run plan again"},
		{"future version", `{"format_version": "3"}`, `format_version "3" is not supported`},
		{"wrong type", "{\"format_version\": \"2\",\n \"summary\": {\"add\": \"three\"}}", "line 2"},
		{"bad expires", `{"format_version": "2", "changes": [{"after": {"expires": "next year"}}]}`, `"next year" is not an RFC 3339 timestamp`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"action", `"action": "delete"`, `"action": "destroy"`, `unknown action "destroy"`},
		{"no-op", `"action": "delete"`, `"action": "no-op"`, `unknown action "no-op"`},
		{"effect", `"effect": "narrow"`, `"effect": "shrink"`, `unknown effect "shrink"`},
		{"kind", `"kind": "trustee_user"`, `"kind": "trustee_member"`, `unknown kind "trustee_member"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(string(good), tc.from, tc.to, 1)
			if data == string(good) {
				t.Fatalf("test input %q not found", tc.from)
			}
			if _, err := Parse([]byte(data)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Members a later release adds within version "2" are ignored.
	d, err := Parse([]byte(`{"format_version": "2", "organization": {"id": "x", "name": "X"}, "future_field": true}`))
	if err != nil || d.Organization.ID != "x" {
		t.Errorf("unknown member: document %+v, err %v", d, err)
	}
}

func TestFromPlanRefusesUnknownNames(t *testing.T) {
	p := testPlan()
	p.Changes[0].Kind = "trustee_member"
	if _, err := FromPlan(p); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("FromPlan = %v, want an unknown kind error", err)
	}
	if _, err := FromPlan(nil); err == nil {
		t.Error("FromPlan(nil) succeeded")
	}
}
