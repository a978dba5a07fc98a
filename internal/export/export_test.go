package export_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/export"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/plan"
)

const (
	homeID = "a0000000-0000-4000-8000-000000000001"
	orgB   = "b0000000-0000-4000-8000-000000000002"
	orgC   = "c0000000-0000-4000-8000-000000000003"
	orgD   = "d0000000-0000-4000-8000-000000000004"
	orgE   = "1e000000-0000-4000-8000-000000000005"
	role1  = "a1000000-0000-4000-8000-000000000001"
	role2  = "a1000000-0000-4000-8000-000000000002"
	role3  = "a1000000-0000-4000-8000-000000000003"
	role4  = "a1000000-0000-4000-8000-000000000004"
	user1  = "b2000000-0000-4000-8000-000000000001"
	user2  = "b2000000-0000-4000-8000-000000000002"
	user3  = "12000000-0000-4000-8000-000000000003"
	our1   = "a2000000-0000-4000-8000-000000000001"
	group1 = "c2000000-0000-4000-8000-000000000001"
	group2 = "c2000000-0000-4000-8000-000000000002"
	group3 = "22000000-0000-4000-8000-000000000003"
	ourG1  = "a3000000-0000-4000-8000-000000000001"
	ourG2  = "a3000000-0000-4000-8000-000000000002"
)

func count(n int64) *int64 { return &n }

// awkward is live state that is hard to write: duplicate role names, a
// role named like another's id, names YAML would read as other types,
// trusts without names or users, an expiry that is not midnight, groups
// with ambiguous roles, none, or no name or member count.
func awkward() *live.State {
	exp := time.Date(2027, 1, 2, 15, 4, 5, 0, time.UTC)
	midnight := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	return &live.State{
		Org: live.Org{ID: homeID, Name: "North: wind #1"},
		Roles: []live.Role{
			{ID: role1, Name: "Agent"},
			{ID: role2, Name: "Agent"},
			{ID: role3, Name: role4},
			{ID: role4, Name: "yes"},
		},
		CareOrgIDs:        []string{orgD},
		TrusteesRead:      true,
		TrusteeGroupsRead: true,
		Trustees: []live.Trustee{
			{OrgID: orgE, OrgName: "", Enabled: false, Expires: &exp},
			{OrgID: orgB, OrgName: "123", Enabled: true, Expires: &midnight, Users: []live.TrusteeUser{
				{ID: user1, Name: "true", RoleIDs: []string{role1, role2, role3, role4}},
				{ID: user2, Name: "- dash", RoleIDs: []string{}},
				{ID: user3, RoleIDs: []string{role4}},
			}, Groups: []live.TrusteeGroup{
				{ID: group1, Name: "Claims: Team", MemberCount: count(12), RoleIDs: []string{role2, role4}},
				{ID: group2, Name: "no", MemberCount: count(1), RoleIDs: []string{}},
				{ID: group3, RoleIDs: []string{role3}},
			}},
			{OrgID: orgD, OrgName: "Genesys Customer Care", Enabled: true},
		},
		TrustorsRead:      true,
		TrustorGroupsRead: true,
		Trustors: []live.Trustor{
			{OrgID: orgC, OrgName: "null", Users: []live.User{{ID: our1, Name: "O'Neil \"Q\""}}, Groups: []live.Group{
				{ID: ourG1, Name: "Support #2", MemberCount: count(7)},
				{ID: ourG2},
			}},
			{OrgID: orgE, OrgName: "Empty", Users: []live.User{}},
		},
	}
}

// roundTrip encodes st's export, loads the file back and plans it against
// st: the plan must have no changes.
func roundTrip(t *testing.T, st *live.State, sec export.Sections) ([]byte, *plan.Plan) {
	t.Helper()
	data, err := export.FromLive(st, "eu-west-1", sec).Encode()
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	path := filepath.Join(t.TempDir(), "trusts.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(context.Background(), []string{path}, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
	if diags.HasErrors() || cfg == nil {
		var b bytes.Buffer
		_ = diags.WriteText(&b)
		t.Fatalf("the export does not load:\n%s\n%s", b.String(), data)
	}
	p, err := plan.Compute(cfg, st)
	if err != nil {
		t.Fatalf("Compute: %v\n%s", err, data)
	}
	if p.HasChanges() {
		t.Errorf("the export plans %d changes, e.g. %s %s\n%s", len(p.Changes), p.Changes[0].Action, p.Changes[0].Address, data)
	}
	return data, p
}

func TestRoundTrip(t *testing.T) {
	data, p := roundTrip(t, awkward(), export.Sections{Trustees: true, Trustors: true})
	// the Customer Care trust is only in a comment, and plan protects it
	if len(p.Protected) != 1 || p.Protected[0].TrusteeID != orgD || p.Protected[0].Reason != plan.ReasonCustomerCare {
		t.Errorf("protected: %+v", p.Protected)
	}
	if strings.Contains(string(data), "\nprotect:") {
		t.Errorf("the export has a protect section:\n%s", data)
	}
	for _, want := range []string{
		"region: eu-west-1",
		"expires: 2027-01-02T15:04:05Z",
		"expires: 2027-06-30\n",
		"# by id, where the role name is ambiguous: " + role1 + " is Agent; " + role2 + " is Agent; " + role3 + " is " + role4 + "\n",
		"roles: [" + role1 + ", " + role2 + ", " + role3 + ", \"yes\"]",
		"enabled: false",
		"users: []",
		"roles: []",
		"\n# protect:\n#   trustees:\n#     - " + orgD + " # Genesys Customer Care\n",
		"# trust granted to 123: 3 users, 3 groups\n",
		"      # group Claims: Team: 12 members\n      - id: " + group1 + "\n        name: 'Claims: Team'\n" +
			"        # by id, where the role name is ambiguous: " + role2 + " is Agent\n        roles: [" + role2 + ", \"yes\"]\n",
		"      # group no: 1 member\n      - id: " + group2 + "\n        name: \"no\"\n        roles: []\n",
		"      # group with no name: member count unknown\n      - id: " + group3 + "\n",
		"    users: []\n    groups: []\n",
		"# trust null grants this org: 1 user, 2 groups\n",
		"      # group Support #2: 7 members\n      - {id: " + ourG1 + ", name: 'Support #2'}\n",
		"      # group with no name: member count unknown\n      - " + ourG2 + "\n",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("export lacks %q:\n%s", want, data)
		}
	}
	// trusts by name, then id; nameless last
	if i, j := strings.Index(string(data), "id: "+orgB), strings.Index(string(data), "id: "+orgE); i < 0 || j < 0 || i > j {
		t.Errorf("trustees out of order:\n%s", data)
	}
	again, err := export.FromLive(awkward(), "eu-west-1", export.Sections{Trustees: true, Trustors: true}).Encode()
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("a second export differs")
	}
}

// TestGroupsNotRead checks that groups the reader did not read are left
// unmanaged (no groups key), not written as none.
func TestGroupsNotRead(t *testing.T) {
	st := awkward()
	st.TrusteeGroupsRead, st.TrustorGroupsRead = false, false
	for i := range st.Trustees {
		st.Trustees[i].Groups = nil
	}
	for i := range st.Trustors {
		st.Trustors[i].Groups = nil
	}
	data, _ := roundTrip(t, st, export.Sections{Trustees: true, Trustors: true})
	if strings.Contains(string(data), "groups:") || strings.Contains(string(data), "group") {
		t.Errorf("an export of state read without groups mentions groups:\n%s", data)
	}
}

func TestRoundTripSections(t *testing.T) {
	for _, sec := range []export.Sections{{Trustees: true}, {Trustors: true}} {
		st := awkward()
		data, _ := roundTrip(t, st, sec)
		if strings.Contains(string(data), "trustors:") != sec.Trustors || strings.Contains(string(data), "trustees:") != sec.Trustees {
			t.Errorf("sections %+v:\n%s", sec, data)
		}
	}
	empty := &live.State{Org: live.Org{ID: homeID}, TrusteesRead: true, TrustorsRead: true}
	data, _ := roundTrip(t, empty, export.Sections{Trustees: true, Trustors: true})
	if !strings.Contains(string(data), "trustees: []") || !strings.Contains(string(data), "trustors: []") {
		t.Errorf("an org without trusts:\n%s", data)
	}
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.yaml")
	if err := export.WriteFile(path, []byte("a\n"), false); err != nil {
		t.Fatal(err)
	}
	err := export.WriteFile(path, []byte("b\n"), false)
	if err == nil || !strings.Contains(err.Error(), "exists; nothing was written") {
		t.Errorf("overwrite without force: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "a\n" {
		t.Errorf("file changed to %q", got)
	}
	if err := export.WriteFile(path, []byte("c\n"), true); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "c\n" {
		t.Errorf("forced write left %q", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}
