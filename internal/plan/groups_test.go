package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
)

const (
	groupLeads  = "b3000000-0000-4000-8000-000000000001"
	groupAgents = "b3000000-0000-4000-8000-000000000002"
	groupOld    = "b3000000-0000-4000-8000-000000000003"
	groupOps    = "a3000000-0000-4000-8000-000000000001"
	groupGone   = "a3000000-0000-4000-8000-000000000002"
)

// groupsFixture: Bluebird's trust has the groups Team Leads (Claims
// Supervisor, Reporting Viewer; 4 members) and Old Crew (12 members); our
// group Gone is in Copperfield's trust. The file narrows Team Leads to
// Claims Supervisor and adds Quality Evaluator, adds Claims Agents, drops
// Old Crew, and puts our group Ops, not Gone, in Copperfield's trust.
func groupsFixture() (*config.Config, *live.State) {
	four, twelve := int64(4), int64(12)
	st := demoState()
	st.TrusteeGroupsRead, st.TrustorGroupsRead = true, true
	st.Trustees[0].Groups = []live.TrusteeGroup{
		{ID: groupLeads, Name: "Team Leads", MemberCount: &four, RoleIDs: []string{roleSupervisor, roleReporting}},
		{ID: groupOld, Name: "Old Crew", MemberCount: &twelve, RoleIDs: []string{roleAgent}},
	}
	st.Trustors[0].Groups = []live.Group{{ID: groupGone, Name: "Gone"}}
	cfg := demoConfig()
	cfg.Trustees[0].ManageGroups = true
	cfg.Trustees[0].Groups = []config.TrusteeGroup{
		{ID: groupLeads, Name: "Team Leads", Roles: refs(40, "Claims Supervisor", "Quality Evaluator"), Pos: at(39)},
		{ID: groupAgents, Name: "Claims Agents", Roles: refs(42, "Claims Agent"), Pos: at(41)},
	}
	cfg.Trustors[0].ManageGroups = true
	cfg.Trustors[0].Groups = []config.TrustorGroup{{ID: groupOps, Name: "Ops", Pos: at(50)}}
	return cfg, st
}

func TestComputeGroups(t *testing.T) {
	cfg, st := groupsFixture()
	p, err := Compute(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	blue := "trustee[Bluebird Outsourcing b000…]"
	copper := "trustor[Copperfield Consulting c000…]"
	want := []string{
		"narrow delete trustee_group " + blue + ".group[Old Crew b300…]",
		"narrow update trustee_group_roles " + blue + ".group[Team Leads b300…].roles",
		"narrow delete trustor_group " + copper + ".group[Gone a300…]",
		"widen create trustee_group " + blue + ".group[Claims Agents b300…]",
		"widen update trustee_group_roles " + blue + ".group[Team Leads b300…].roles",
		"widen create trustor_group " + copper + ".group[Ops a300…]",
	}
	if diff := cmp.Diff(want, summarize(p.Changes)); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}
	narrow, widen := p.Changes[1], p.Changes[4]
	if got := roleNames(narrow.After.Roles); got != "Claims Supervisor" {
		t.Errorf("narrowed roles = %q", got)
	}
	if got := roleNames(widen.After.Roles); got != "Claims Supervisor, Quality Evaluator" {
		t.Errorf("widened roles = %q", got)
	}
	if narrow.GroupID != groupLeads || narrow.After.MemberCount == nil || *narrow.After.MemberCount != 4 {
		t.Errorf("group change %+v lacks its id or member count", narrow)
	}
	if !strings.HasSuffix(widen.Key, "#widen") || len(widen.Requires) != 1 || widen.Requires[0] != narrow.Key {
		t.Errorf("the widening half %q requires %q, want %q", widen.Key, widen.Requires, narrow.Key)
	}
	if err := CheckGraph(p.Changes); err != nil {
		t.Fatal(err)
	}
	// Old Crew and Gone are removed; the guard also manages both trusts'
	// groups: 7 objects as before plus 2 trustee groups and 1 trustor group.
	if p.Managed != 10 || p.Removals != 2 || p.Lost.Deleted != 2 {
		t.Errorf("managed/removals = %d/%d (%+v), want 10/2", p.Managed, p.Removals, p.Lost)
	}
}

func TestComputeGroupsNeedTheirRead(t *testing.T) {
	cfg, st := groupsFixture()
	st.TrusteeGroupsRead = false
	if _, err := Compute(cfg, st); err == nil || !strings.Contains(err.Error(), "live trustee groups were not read") {
		t.Errorf("Compute = %v, want a refusal to plan groups from an incomplete read", err)
	}
	cfg, st = groupsFixture()
	st.TrustorGroupsRead = false
	if _, err := Compute(cfg, st); err == nil || !strings.Contains(err.Error(), "live trustor groups were not read") {
		t.Errorf("Compute = %v, want a refusal", err)
	}
}

func TestComputeGroupsOnCreateAndDelete(t *testing.T) {
	cfg, st := groupsFixture()
	// A new trust with only a group; Bluebird's trust removed with its groups.
	cfg.Trustees = []config.Trustee{{
		ID: otherID, Name: "Elm Partners", Enabled: true, PairingID: "11111111-2222-4333-8444-555555555555",
		ManageUsers: true, Users: []config.TrusteeUser{}, ManageGroups: true, Pos: at(60),
		Groups: []config.TrusteeGroup{{ID: groupAgents, Name: "Elm Support", Roles: refs(62, "Reporting Viewer"), Pos: at(61)}},
	}}
	elm := pairingOf("11111111-2222-4333-8444-555555555555", otherID, time.Time{})
	elm.Groups = []live.Group{{ID: groupAgents, Name: "Elm Support"}}
	st.Pairings = []live.Pairing{elm}
	p, err := Compute(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	var created, deleted *Change
	for i := range p.Changes {
		c := &p.Changes[i]
		switch {
		case c.Kind == KindTrustee && c.Action == Create:
			created = c
		case c.Kind == KindTrustee && c.Action == Delete:
			deleted = c
		}
	}
	if created == nil || len(created.After.Groups) != 1 || created.After.Groups[0].ID != groupAgents ||
		roleNames(created.After.Groups[0].Roles) != "Reporting Viewer" {
		t.Fatalf("created trust = %+v, want it with its group", created)
	}
	if deleted == nil || len(deleted.Before.Groups) != 2 {
		t.Fatalf("deleted trust = %+v, want the groups that lose access", deleted)
	}
	// The deleted trust counts with its 3 users and 2 groups.
	if p.Lost.Deleted < 6 {
		t.Errorf("lost = %+v, want the deleted trust with its users and groups", p.Lost)
	}
}

func roleNames(rs []Role) string {
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}
