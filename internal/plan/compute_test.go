package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/live"
)

// Ids of the demo organizations, roles and users.
const (
	homeID   = "a0000000-0000-4000-8000-000000000001"
	blueID   = "b0000000-0000-4000-8000-000000000002"
	copperID = "c0000000-0000-4000-8000-000000000003"
	careID   = "d0000000-0000-4000-8000-000000000004"
	otherID  = "e0000000-0000-4000-8000-000000000005"

	roleSupervisor = "a1000000-0000-4000-8000-000000000001"
	roleAgent      = "a1000000-0000-4000-8000-000000000002"
	roleQuality    = "a1000000-0000-4000-8000-000000000003"
	roleReporting  = "a1000000-0000-4000-8000-000000000004"
	roleTelephony  = "a1000000-0000-4000-8000-000000000005"
	roleMaster     = "a1000000-0000-4000-8000-000000000006"

	userBo     = "b2000000-0000-4000-8000-000000000001"
	userBella  = "b2000000-0000-4000-8000-000000000002"
	userBen    = "b2000000-0000-4000-8000-000000000003"
	userBianca = "b2000000-0000-4000-8000-000000000004"
	userNadia  = "a2000000-0000-4000-8000-000000000001"
	userOscar  = "a2000000-0000-4000-8000-000000000002"
	userPriya  = "a2000000-0000-4000-8000-000000000003"
	userGrace  = "d2000000-0000-4000-8000-000000000001"
)

func date(s string) *time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return &t
}

func at(line int) config.Pos { return config.Pos{File: "trusts.yaml", Line: line, Col: 5} }

// demoState is the demo fixture's live state as seen by Northwind.
func demoState() *live.State {
	return &live.State{
		Org: live.Org{ID: homeID, Name: "Northwind Insurance"},
		Roles: []live.Role{
			{ID: roleAgent, Name: "Claims Agent"},
			{ID: roleSupervisor, Name: "Claims Supervisor"},
			{ID: roleMaster, Name: "Master Admin"},
			{ID: roleQuality, Name: "Quality Evaluator"},
			{ID: roleReporting, Name: "Reporting Viewer"},
			{ID: roleTelephony, Name: "Telephony Admin"},
		},
		CareOrgIDs:   []string{careID},
		TrusteesRead: true,
		Trustees: []live.Trustee{
			{OrgID: blueID, OrgName: "Bluebird Outsourcing", Enabled: true, Expires: date("2027-06-30"),
				Users: []live.TrusteeUser{
					{ID: userBo, Name: "Bo Blue", RoleIDs: []string{roleSupervisor, roleReporting}},
					{ID: userBella, Name: "Bella Byrne", RoleIDs: []string{roleAgent}},
					{ID: userBen, Name: "Ben Baker", RoleIDs: []string{roleQuality}},
				}},
			{OrgID: careID, OrgName: "Genesys Customer Care", Enabled: true,
				Users: []live.TrusteeUser{{ID: userGrace, Name: "Grace Gale", RoleIDs: []string{roleMaster}}}},
		},
		TrustorsRead: true,
		Trustors: []live.Trustor{
			{OrgID: copperID, OrgName: "Copperfield Consulting", Enabled: true,
				Users: []live.User{{ID: userNadia, Name: "Nadia North"}, {ID: userOscar, Name: "Oscar Ortega"}}},
		},
		// Every user of Northwind, as if all had been looked up.
		OwnUsersRead: true,
		OwnUsers: []live.User{
			{ID: userNadia, Name: "Nadia North"}, {ID: userOscar, Name: "Oscar Ortega"}, {ID: userPriya, Name: "Priya Patel"},
		},
	}
}

func refs(line int, names ...string) []config.RoleRef {
	out := make([]config.RoleRef, len(names))
	for i, n := range names {
		out[i] = config.RoleRef{Ref: n, Pos: config.Pos{File: "trusts.yaml", Line: line, Col: 15 + 10*i}}
	}
	return out
}

// demoConfig is a configuration that matches demoState exactly.
func demoConfig() *config.Config {
	return &config.Config{
		Version:      1,
		Organization: &config.Organization{ID: homeID, Name: "Northwind Insurance", Pos: at(3)},
		Policy: config.Policy{
			MaxUsersPerTrust:  config.DefaultMaxUsersPerTrust,
			MaxRemovalPercent: config.DefaultMaxRemovalPercent,
		},
		ManageTrustees: true,
		Trustees: []config.Trustee{{
			ID: blueID, Name: "Bluebird Outsourcing", Enabled: true, Expires: date("2027-06-30"),
			ManageUsers: true, Pos: at(10),
			Users: []config.TrusteeUser{
				{ID: userBo, Name: "Bo Blue", Roles: refs(15, "Claims Supervisor", "Reporting Viewer"), Pos: at(14)},
				{ID: userBella, Name: "Bella Byrne", Roles: refs(17, "Claims Agent"), Pos: at(16)},
				{ID: userBen, Name: "Ben Baker", Roles: refs(19, roleQuality), Pos: at(18)},
			},
		}},
		ManageTrustors: true,
		Trustors: []config.Trustor{{
			ID: copperID, Name: "Copperfield Consulting", ManageUsers: true, Pos: at(30),
			Users: []config.TrustorUser{{ID: userNadia, Pos: at(32)}, {ID: userOscar, Name: "Oscar Ortega", Pos: at(33)}},
		}},
		Files: []string{"trusts.yaml"},
	}
}

// summarize renders a change as "effect action kind address".
func summarize(cs []Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%s %s %s %s", c.Effect, c.Action, c.Kind, c.Address)
	}
	return out
}

func protectedSummary(ps []Protected) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = fmt.Sprintf("%s %s: %s", p.Kind, p.Address, p.Reason)
	}
	return out
}

func roleList(ids ...string) []Role {
	names := map[string]string{
		roleSupervisor: "Claims Supervisor", roleAgent: "Claims Agent", roleQuality: "Quality Evaluator",
		roleReporting: "Reporting Viewer", roleTelephony: "Telephony Admin", roleMaster: "Master Admin",
	}
	out := []Role{}
	for _, id := range ids {
		out = append(out, Role{ID: id, Name: names[id]})
	}
	sortRoles(out)
	return out
}

const (
	blueAddr   = "trustee[Bluebird Outsourcing b000…]"
	careAddr   = "trustee[Genesys Customer Care d000…]"
	copperAddr = "trustor[Copperfield Consulting c000…]"
	boAddr     = blueAddr + ".user[Bo Blue b200…]"
)

func TestComputeNoChanges(t *testing.T) {
	p, err := Compute(demoConfig(), demoState())
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Errorf("changes = %q, want none", summarize(p.Changes))
	}
	if diff := cmp.Diff([]string{"trustee " + careAddr + ": " + ReasonCustomerCare}, protectedSummary(p.Protected)); diff != "" {
		t.Errorf("protected (-want +got):\n%s", diff)
	}
	if len(p.Warnings) != 0 || len(p.Pending) != 0 {
		t.Errorf("warnings %v pending %v, want none", p.Warnings, p.Pending)
	}
	// Bluebird with 3 users, Copperfield with 2; the care trust is not counted.
	if p.Managed != 7 || p.Removals != 0 {
		t.Errorf("managed/removals = %d/%d, want 7/0", p.Managed, p.Removals)
	}
	if p.Organization != (Org{ID: homeID, Name: "Northwind Insurance"}) {
		t.Errorf("organization = %+v", p.Organization)
	}
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(cfg *config.Config, st *live.State)
		changes   []string
		orgs      []string // the OrgName of each change, in order
		protected []string // nil: only the care trust
		pending   []string
		warnings  []string // substrings, in order
		managed   int      // -1: not checked
		removals  int
		check     func(t *testing.T, p *Plan)
	}{
		{
			name: "unmanaged sections are left alone",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.ManageTrustees, cfg.Trustees = false, nil
				cfg.ManageTrustors, cfg.Trustors = false, nil
			},
			protected: []string{},
			managed:   0,
		},
		{
			name: "empty managed sections remove everything but protected trusts",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees = []config.Trustee{}
				cfg.Trustors = []config.Trustor{}
			},
			changes: []string{
				"narrow delete trustee " + blueAddr,
				"narrow delete trustor " + copperAddr,
			},
			orgs:    []string{"Bluebird Outsourcing", "Copperfield Consulting"},
			managed: 7, removals: 7,
			check: func(t *testing.T, p *Plan) {
				want := &Value{
					Name: "Bluebird Outsourcing", Enabled: boolPtr(true), Expires: date("2027-06-30"),
					HasFullAccess: boolPtr(false), IsTrustedUser: boolPtr(false),
					Users: []User{
						{ID: userBella, Name: "Bella Byrne", Roles: roleList(roleAgent)},
						{ID: userBen, Name: "Ben Baker", Roles: roleList(roleQuality)},
						{ID: userBo, Name: "Bo Blue", Roles: roleList(roleSupervisor, roleReporting)},
					},
				}
				c := p.Changes[0]
				if diff := cmp.Diff(want, c.Before); diff != "" {
					t.Errorf("trustee delete before (-want +got):\n%s", diff)
				}
				if c.After != nil || c.Reason != ReasonNotInConfig || c.TrusteeID != blueID || c.TrustorID != homeID || c.UserID != "" {
					t.Errorf("trustee delete = %+v", c)
				}
				tr := p.Changes[1]
				wantTr := &Value{Name: "Copperfield Consulting", Users: []User{{ID: userNadia, Name: "Nadia North"}, {ID: userOscar, Name: "Oscar Ortega"}}}
				if diff := cmp.Diff(wantTr, tr.Before); diff != "" {
					t.Errorf("trustor delete before (-want +got):\n%s", diff)
				}
				if tr.TrusteeID != homeID || tr.TrustorID != copperID {
					t.Errorf("trustor delete ids = %q %q", tr.TrusteeID, tr.TrustorID)
				}
			},
		},
		{
			name: "trustee create carries pairing, state and users with roles",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees = append(cfg.Trustees, config.Trustee{
					ID: otherID, Name: "Elm Partners", PairingID: "pair-1", Enabled: true, Expires: date("2026-12-31"),
					ManageUsers: true, Pos: at(40),
					Users: []config.TrusteeUser{
						{ID: "e2000000-0000-4000-8000-000000000001", Name: "Eve Elm", Roles: refs(42, "Reporting Viewer", "Claims Agent"), Pos: at(41)},
						{ID: "e2000000-0000-4000-8000-000000000002", Roles: refs(44), Pos: at(43)},
					},
				})
				st.ReadAt = readAt
				st.Pairings = []live.Pairing{pairingOf("pair-1", otherID, readAt.Add(-47*time.Hour), "e2000000-0000-4000-8000-000000000001")}
			},
			changes:  []string{"widen create trustee trustee[Elm Partners e000…]"},
			orgs:     []string{"Elm Partners"},
			warnings: []string{"pairing pair-1 expires at 2026-12-01T10:00:00Z, 1h0m0s after live state was read", "user e2000000-0000-4000-8000-000000000002 of trustee e000… is not one of the users pairing pair… offers"},
			managed:  7,
			check: func(t *testing.T, p *Plan) {
				expires := readAt.Add(time.Hour)
				want := &Value{
					Name: "Elm Partners", Enabled: boolPtr(true), Expires: date("2026-12-31"), PairingID: "pair-1",
					Users: []User{
						{ID: "e2000000-0000-4000-8000-000000000002", Roles: []Role{}},
						{ID: "e2000000-0000-4000-8000-000000000001", Name: "Eve Elm", Roles: roleList(roleAgent, roleReporting)},
					},
					Pairing: &Pairing{ID: "pair-1", Users: []User{{ID: "e2000000-0000-4000-8000-000000000001"}},
						Groups: []Group{}, Expires: &expires},
				}
				c := p.Changes[0]
				if diff := cmp.Diff(want, c.After); diff != "" {
					t.Errorf("after (-want +got):\n%s", diff)
				}
				if c.Before != nil || c.TrusteeID != otherID || c.TrustorID != homeID {
					t.Errorf("change = %+v", c)
				}
			},
		},
		{
			name: "trustee users: create, delete, role removal and addition",
			mutate: func(cfg *config.Config, st *live.State) {
				u := cfg.Trustees[0].Users
				u[0].Roles = refs(15, "Claims Supervisor", "Telephony Admin") // Bo: -Reporting +Telephony
				u[1].Roles = refs(17, "Claims Agent", "Quality Evaluator")    // Bella: +Quality
				cfg.Trustees[0].Users = append(u[:2], config.TrusteeUser{     // Ben removed, Bianca added
					ID: userBianca, Name: "Bianca Bell", Roles: refs(21, "Claims Agent"), Pos: at(20),
				})
			},
			changes: []string{
				"narrow delete trustee_user " + blueAddr + ".user[Ben Baker b200…]",
				"narrow update trustee_user_roles " + boAddr + ".roles",
				"widen create trustee_user " + blueAddr + ".user[Bianca Bell b200…]",
				"widen update trustee_user_roles " + blueAddr + ".user[Bella Byrne b200…].roles",
				"widen update trustee_user_roles " + boAddr + ".roles",
			},
			orgs:    []string{"Bluebird Outsourcing", "Bluebird Outsourcing", "Bluebird Outsourcing", "Bluebird Outsourcing", "Bluebird Outsourcing"},
			managed: 7, removals: 1,
			check: func(t *testing.T, p *Plan) {
				del := p.Changes[0]
				if diff := cmp.Diff(&Value{Name: "Ben Baker", Roles: roleList(roleQuality)}, del.Before); diff != "" {
					t.Errorf("user delete before (-want +got):\n%s", diff)
				}
				if del.UserID != userBen || del.TrusteeID != blueID {
					t.Errorf("user delete ids = %+v", del)
				}
				rm := p.Changes[1]
				if diff := cmp.Diff(roleList(roleSupervisor, roleReporting), rm.Before.Roles); diff != "" {
					t.Errorf("removal before (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(roleList(roleSupervisor), rm.After.Roles); diff != "" {
					t.Errorf("removal after (-want +got):\n%s", diff)
				}
				addBo := p.Changes[4]
				if diff := cmp.Diff(roleList(roleSupervisor), addBo.Before.Roles); diff != "" {
					t.Errorf("addition before (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(roleList(roleSupervisor, roleTelephony), addBo.After.Roles); diff != "" {
					t.Errorf("addition after (-want +got):\n%s", diff)
				}
				create := p.Changes[2]
				if diff := cmp.Diff(&Value{Name: "Bianca Bell", Roles: roleList(roleAgent)}, create.After); diff != "" {
					t.Errorf("user create after (-want +got):\n%s", diff)
				}
			},
		},
		{
			// The user stays in the trust but loses all access: the guard
			// counts it like a removal.
			name: "a user's roles emptied is an update that counts as a removal",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[0].Users[2].Roles = nil
			},
			changes: []string{"narrow update trustee_user_roles " + blueAddr + ".user[Ben Baker b200…].roles"},
			orgs:    []string{"Bluebird Outsourcing"},
			managed: 7, removals: 1,
			check: func(t *testing.T, p *Plan) {
				if got := p.Changes[0].After.Roles; got == nil || len(got) != 0 {
					t.Errorf("after roles = %#v, want empty non-nil", got)
				}
			},
		},
		{
			name: "users unmanaged: live users untouched",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[0].ManageUsers, cfg.Trustees[0].Users = false, nil
				cfg.Trustors[0].ManageUsers, cfg.Trustors[0].Users = false, nil
			},
			// Only the two trusts are managed: their users are not.
			managed: 2,
		},
		{
			name: "users managed but empty: all removed",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[0].Users = []config.TrusteeUser{}
				cfg.Trustors[0].Users = []config.TrustorUser{}
			},
			changes: []string{
				"narrow delete trustee_user " + blueAddr + ".user[Bella Byrne b200…]",
				"narrow delete trustee_user " + blueAddr + ".user[Ben Baker b200…]",
				"narrow delete trustee_user " + boAddr,
				"narrow delete trustor_user " + copperAddr + ".user[Nadia North a200…]",
				"narrow delete trustor_user " + copperAddr + ".user[Oscar Ortega a200…]",
			},
			orgs: []string{"Bluebird Outsourcing", "Bluebird Outsourcing", "Bluebird Outsourcing", "Copperfield Consulting", "Copperfield Consulting"},
			// 5 of 7 removed, but below 8 managed objects the guard does not apply.
			managed: 7, removals: 5,
		},
		{
			name: "protected trustee and trustor are never changed",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Protect.Trustees = []config.OrgRef{{ID: blueID, Pos: at(5)}}
				cfg.Protect.Trustors = []config.OrgRef{{ID: copperID, Pos: at(6)}}
				cfg.Trustees = []config.Trustee{}
				cfg.Trustors = []config.Trustor{}
			},
			protected: []string{
				"trustee " + blueAddr + ": " + ReasonProtectListed,
				"trustee " + careAddr + ": " + ReasonCustomerCare,
				"trustor " + copperAddr + ": " + ReasonProtectListed,
			},
			managed: 0,
		},
		{
			name: "protected trust listed under trustees too: protect wins with a warning",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Protect.Trustees = []config.OrgRef{{ID: blueID, Pos: at(5)}}
				cfg.Trustees[0].Enabled = false
			},
			protected: []string{
				"trustee " + blueAddr + ": " + ReasonProtectListed,
				"trustee " + careAddr + ": " + ReasonCustomerCare,
			},
			warnings: []string{"listed under protect.trustees"},
			managed:  3,
		},
		{
			name: "a Customer Care trust listed in the file is managed",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees = append(cfg.Trustees, config.Trustee{
					ID: careID, Name: "Genesys Customer Care", Enabled: true, ManageUsers: true,
					Users: []config.TrusteeUser{}, Pos: at(50),
				})
			},
			protected: []string{},
			changes:   []string{"narrow delete trustee_user " + careAddr + ".user[Grace Gale d200…]"},
			orgs:      []string{"Genesys Customer Care"},
			managed:   9, removals: 1,
		},
		{
			name: "trustor pending, trustor user add and remove",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustors[0].Users = []config.TrustorUser{
					{ID: userNadia, Pos: at(32)},
					{ID: userPriya, Name: "Priya Patel", Pos: at(33)},
				}
				cfg.Trustors = append(cfg.Trustors, config.Trustor{ID: otherID, Name: "Elm Partners", Pos: at(35)})
			},
			changes: []string{
				"narrow delete trustor_user " + copperAddr + ".user[Oscar Ortega a200…]",
				"widen create trustor_user " + copperAddr + ".user[Priya Patel a200…]",
			},
			orgs:     []string{"Copperfield Consulting", "Copperfield Consulting"},
			pending:  []string{"trustor[Elm Partners e000…]: org Elm Partners (" + otherID + ") has not created the trust yet"},
			warnings: []string{"org Elm Partners (" + otherID + ") has not created the trust yet"},
			managed:  7, removals: 1,
			check: func(t *testing.T, p *Plan) {
				add := p.Changes[1]
				if add.TrustorID != copperID || add.TrusteeID != homeID || add.UserID != userPriya {
					t.Errorf("trustor user ids = %+v", add)
				}
				if diff := cmp.Diff(&Value{Name: "Priya Patel"}, add.After); diff != "" {
					t.Errorf("after (-want +got):\n%s", diff)
				}
				if w := p.Warnings[0]; w.Pos.File != "trusts.yaml" || w.Pos.Line != 35 {
					t.Errorf("pending warning position = %s", w.Pos)
				}
			},
		},
		{
			name: "live names differing from the file warn",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[0].Name = "Bluebird"
				cfg.Trustees[0].Users[0].Name = "Bo"
				cfg.Trustors[0].Name = "Copperfield"
			},
			warnings: []string{
				`trustee b000… is named "Bluebird Outsourcing" live, not "Bluebird"`,
				`user b200… of trustee b000… is named "Bo Blue" live, not "Bo"`,
				`trustor c000… is named "Copperfield Consulting" live, not "Copperfield"`,
			},
			managed: 7,
		},
		{
			name: "the file's name is used in addresses",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[0].Name = ""
				cfg.Trustees[0].Enabled = false
				st.Trustees[0].OrgName = ""
			},
			changes: []string{"narrow update trustee trustee[b000…]"},
			orgs:    []string{""},
			// Disabling the trust takes access from it and its 3 users.
			managed: 7, removals: 4,
		},
		{
			// The live name wins: a file cannot relabel, for a reviewer, the
			// org it grants access to.
			name: "every change carries its trust's live name",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[0].Name = "Bluebird"
				cfg.Trustees[0].Enabled = false
				cfg.Trustees[0].Users = cfg.Trustees[0].Users[:2] // Ben removed
				cfg.Trustors[0].Name = ""
				cfg.Trustors[0].Users = cfg.Trustors[0].Users[:1] // Oscar removed
			},
			changes: []string{
				"narrow delete trustee_user " + blueAddr + ".user[Ben Baker b200…]",
				"narrow update trustee " + blueAddr,
				"narrow delete trustor_user " + copperAddr + ".user[Oscar Ortega a200…]",
			},
			orgs:     []string{"Bluebird Outsourcing", "Bluebird Outsourcing", "Copperfield Consulting"},
			warnings: []string{`trustee b000… is named "Bluebird Outsourcing" live, not "Bluebird"`},
			// The disabled trust with its 3 users (Ben among them), and Oscar.
			managed: 7, removals: 5,
		},
		{
			name: "many removals warn about apply's guard",
			mutate: func(cfg *config.Config, st *live.State) {
				for i := range 4 {
					st.Trustors[0].Users = append(st.Trustors[0].Users, live.User{ID: fmt.Sprintf("a2000000-0000-4000-8000-00000000010%d", i)})
				}
				cfg.Trustees = []config.Trustee{}
			},
			changes: []string{
				"narrow delete trustee " + blueAddr,
				"narrow delete trustor_user " + copperAddr + ".user[a200…]",
				"narrow delete trustor_user " + copperAddr + ".user[a200…]",
				"narrow delete trustor_user " + copperAddr + ".user[a200…]",
				"narrow delete trustor_user " + copperAddr + ".user[a200…]",
			},
			orgs:     []string{"Bluebird Outsourcing", "Copperfield Consulting", "Copperfield Consulting", "Copperfield Consulting", "Copperfield Consulting"},
			warnings: []string{"removes 8 of 11 managed live objects (more than policy.maxRemovalPercent, 25%); apply will refuse this without --allow-removals"},
			managed:  11, removals: 8,
			check: func(t *testing.T, p *Plan) {
				var ids []string
				for _, c := range p.Changes[1:] {
					ids = append(ids, c.UserID)
				}
				if !slices.IsSorted(ids) {
					t.Errorf("equal addresses not ordered by id: %v", ids)
				}
			},
		},
		{
			name: "removals within the policy do not warn",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Policy.MaxRemovalPercent = 50
				for i := range 4 {
					st.Trustors[0].Users = append(st.Trustors[0].Users, live.User{ID: fmt.Sprintf("a2000000-0000-4000-8000-00000000010%d", i)})
				}
			},
			changes: []string{
				"narrow delete trustor_user " + copperAddr + ".user[a200…]",
				"narrow delete trustor_user " + copperAddr + ".user[a200…]",
				"narrow delete trustor_user " + copperAddr + ".user[a200…]",
				"narrow delete trustor_user " + copperAddr + ".user[a200…]",
			},
			orgs:    []string{"Copperfield Consulting", "Copperfield Consulting", "Copperfield Consulting", "Copperfield Consulting"},
			managed: 11, removals: 4,
		},
		{
			name: "role ids match case-insensitively and duplicates collapse",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[0].Users[0].Roles = refs(15, strings.ToUpper(roleSupervisor), "Reporting Viewer", roleReporting)
			},
			managed: 7,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, st := demoConfig(), demoState()
			tt.mutate(cfg, st)
			p, err := Compute(cfg, st)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if diff := cmp.Diff(tt.changes, summarize(p.Changes), cmpEmpty); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			var orgs []string
			for _, c := range p.Changes {
				orgs = append(orgs, c.OrgName)
			}
			if diff := cmp.Diff(tt.orgs, orgs, cmpEmpty); diff != "" {
				t.Errorf("org names (-want +got):\n%s", diff)
			}
			wantProt := tt.protected
			if wantProt == nil {
				wantProt = []string{"trustee " + careAddr + ": " + ReasonCustomerCare}
			}
			if diff := cmp.Diff(wantProt, protectedSummary(p.Protected), cmpEmpty); diff != "" {
				t.Errorf("protected (-want +got):\n%s", diff)
			}
			var pend []string
			for _, x := range p.Pending {
				pend = append(pend, x.Address+": "+x.Message)
			}
			if diff := cmp.Diff(tt.pending, pend, cmpEmpty); diff != "" {
				t.Errorf("pending (-want +got):\n%s", diff)
			}
			if len(p.Warnings) != len(tt.warnings) {
				t.Errorf("warnings = %+v, want %d", p.Warnings, len(tt.warnings))
			} else {
				for i, w := range tt.warnings {
					if !strings.Contains(p.Warnings[i].Message, w) {
						t.Errorf("warning %d = %q, want it to contain %q", i, p.Warnings[i].Message, w)
					}
				}
			}
			if tt.managed >= 0 && (p.Managed != tt.managed || p.Removals != tt.removals) {
				t.Errorf("managed/removals = %d/%d, want %d/%d", p.Managed, p.Removals, tt.managed, tt.removals)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

var cmpEmpty = cmp.Transformer("nilToEmpty", func(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
})

func TestComputeTrusteeStateSplitting(t *testing.T) {
	type state struct {
		enabled bool
		expires *time.Time
	}
	type step struct {
		effect Effect
		after  state
		reason string
	}
	early, mid, late := date("2026-01-31"), date("2027-06-30"), date("2028-12-31")
	tests := []struct {
		name      string
		from, to  state
		wantSteps []step
	}{
		{"unchanged", state{true, mid}, state{true, mid}, nil},
		{"disable", state{true, mid}, state{false, mid}, []step{{Narrow, state{false, mid}, "trust disabled"}}},
		{"enable", state{false, mid}, state{true, mid}, []step{{Widen, state{true, mid}, "trust enabled"}}},
		{"set expiry", state{true, nil}, state{true, mid}, []step{{Narrow, state{true, mid}, "expiry set"}}},
		{"bring expiry forward", state{true, mid}, state{true, early}, []step{{Narrow, state{true, early}, "expiry brought forward"}}},
		{"extend expiry", state{true, mid}, state{true, late}, []step{{Widen, state{true, late}, "expiry extended"}}},
		{"remove expiry", state{true, mid}, state{true, nil}, []step{{Widen, state{true, nil}, "expiry removed"}}},
		{"disable and bring forward", state{true, mid}, state{false, early}, []step{
			{Narrow, state{false, early}, "trust disabled; expiry brought forward"}}},
		{"enable and extend", state{false, mid}, state{true, late}, []step{
			{Widen, state{true, late}, "trust enabled; expiry extended"}}},
		{"disable and extend", state{true, mid}, state{false, late}, []step{
			{Narrow, state{false, mid}, "trust disabled"},
			{Widen, state{false, late}, "expiry extended"}}},
		{"enable and bring forward", state{false, mid}, state{true, early}, []step{
			{Narrow, state{false, early}, "expiry brought forward"},
			{Widen, state{true, early}, "trust enabled"}}},
		{"enable and set expiry", state{false, nil}, state{true, mid}, []step{
			{Narrow, state{false, mid}, "expiry set"},
			{Widen, state{true, mid}, "trust enabled"}}},
		{"disable and remove expiry", state{true, mid}, state{false, nil}, []step{
			{Narrow, state{false, mid}, "trust disabled"},
			{Widen, state{false, nil}, "expiry removed"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, st := demoConfig(), demoState()
			st.Trustees[0].Enabled, st.Trustees[0].Expires = tt.from.enabled, tt.from.expires
			cfg.Trustees[0].Enabled, cfg.Trustees[0].Expires = tt.to.enabled, tt.to.expires
			p, err := Compute(cfg, st)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Changes) != len(tt.wantSteps) {
				t.Fatalf("changes = %q, want %d steps", summarize(p.Changes), len(tt.wantSteps))
			}
			prev := state{tt.from.enabled, tt.from.expires}
			for i, w := range tt.wantSteps {
				c := p.Changes[i]
				if c.Kind != KindTrustee || c.Action != Update || c.Effect != w.effect || c.Reason != w.reason {
					t.Errorf("step %d = %s %s %s %q, want %s update trustee %q", i, c.Effect, c.Action, c.Kind, c.Reason, w.effect, w.reason)
				}
				got := state{*c.After.Enabled, c.After.Expires}
				if *c.Before.Enabled != prev.enabled || !sameTime(c.Before.Expires, prev.expires) {
					t.Errorf("step %d before = %v %v, want the previous step's state %v %v", i, *c.Before.Enabled, c.Before.Expires, prev.enabled, prev.expires)
				}
				if got.enabled != w.after.enabled || !sameTime(got.expires, w.after.expires) {
					t.Errorf("step %d after = %v %v, want %v %v", i, got.enabled, got.expires, w.after.enabled, w.after.expires)
				}
				// No step may grant more than both the initial and the final state.
				if w.effect == Narrow && (got.enabled && !tt.to.enabled || later(got.expires, tt.to.expires)) {
					t.Errorf("step %d is wider than the final state", i)
				}
				prev = got
			}
		})
	}
}

// later reports whether expiry a is later than b (nil = never expires).
func later(a, b *time.Time) bool {
	switch {
	case a == nil:
		return b != nil
	case b == nil:
		return false
	}
	return a.After(*b)
}

func TestComputeErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(cfg *config.Config, st *live.State)
		want   []string // "FILE:LINE:COL: message" substrings, in order
		hints  []string // substrings of the hints, in order ("" = not checked)
	}{
		{
			name: "pin mismatch",
			mutate: func(cfg *config.Config, st *live.State) {
				st.Org = live.Org{ID: copperID, Name: "Copperfield Consulting"}
			},
			want:  []string{"trusts.yaml:3:5: the configuration is pinned to organization Northwind Insurance (" + homeID + "), but the credentials belong to Copperfield Consulting (" + copperID + ")"},
			hints: []string{"correct organization.id"},
		},
		{
			name: "unknown role with did-you-mean",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[0].Users[0].Roles = refs(15, "Claims Supervisr", "claims agent", "Telephony")
			},
			want: []string{
				`trusts.yaml:15:15: role "Claims Supervisr" does not exist in this organization`,
				`trusts.yaml:15:25: role "claims agent" does not exist`,
				`trusts.yaml:15:35: role "Telephony" does not exist`,
			},
			hints: []string{`did you mean "Claims Supervisor"?`, `did you mean "Claims Agent"?`, `did you mean "Telephony Admin"?`},
		},
		{
			name: "unknown role with nothing close",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[0].Users[1].Roles = refs(17, "Wizard")
			},
			want:  []string{`trusts.yaml:17:15: role "Wizard" does not exist in this organization`},
			hints: []string{"case-sensitive"},
		},
		{
			name: "ambiguous role name",
			mutate: func(cfg *config.Config, st *live.State) {
				st.Roles = append(st.Roles, live.Role{ID: "a1000000-0000-4000-8000-000000000009", Name: "Claims Agent"})
			},
			want:  []string{`trusts.yaml:17:15: role name "Claims Agent" matches 2 roles (` + roleAgent + `, a1000000-0000-4000-8000-000000000009)`},
			hints: []string{"by its id"},
		},
		{
			name: "forbidden role granted by id, forbidden by name",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Policy.ForbiddenRoles = refs(7, "Master Admin")
				cfg.Trustees[0].Users[2].Roles = refs(19, roleMaster)
			},
			want:  []string{`trusts.yaml:19:15: role "Master Admin" (` + roleMaster + `) is forbidden by policy.forbiddenRoles at trusts.yaml:7:15`},
			hints: []string{"remove the role"},
		},
		{
			// A misspelt forbidden role would leave the policy off for the
			// role it meant, so it is an error, not a warning.
			name: "forbidden role that does not exist",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Policy.ForbiddenRoles = refs(7, "Master Admn")
			},
			want:  []string{`trusts.yaml:7:15: policy.forbiddenRoles: role "Master Admn" does not exist in this organization`},
			hints: []string{`did you mean "Master Admin"?`, "remove it from policy.forbiddenRoles"},
		},
		{
			name: "trustee to create without pairing id",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees = append(cfg.Trustees, config.Trustee{ID: otherID, Name: "Elm Partners", Enabled: true, Pos: at(40)})
			},
			want: []string{
				"trusts.yaml:40:5: trustee Elm Partners (" + otherID + ") would be created with no users or groups",
				"trusts.yaml:40:5: trustee Elm Partners (" + otherID + ") does not exist live and has no pairingId",
			},
			hints: []string{"list the users (with their roles) or groups", "add the pairingId the trustee org gave you"},
		},
		{
			name: "unknown role id",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[0].Users[0].Roles = refs(15, "c1000000-0000-4000-8000-000000000001")
			},
			want:  []string{"trusts.yaml:15:15: no role of this organization has the id c1000000-0000-4000-8000-000000000001"},
			hints: []string{"role ids differ between organizations"},
		},
		{
			name: "all problems are reported together",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees = append(cfg.Trustees, config.Trustee{ID: otherID, Pos: at(40),
					ManageUsers: true, Users: []config.TrusteeUser{{ID: userBianca, Roles: refs(42, "Nope"), Pos: at(41)}}})
				cfg.Trustees[0].Users[0].Roles = refs(15, "Claims Supervisr")
			},
			want: []string{
				`trusts.yaml:15:15: role "Claims Supervisr"`,
				`trusts.yaml:42:15: role "Nope"`,
				`trusts.yaml:40:5: trustee ` + otherID + ` does not exist live`,
			},
		},
		{
			name: "live section not read",
			mutate: func(cfg *config.Config, st *live.State) {
				st.TrusteesRead, st.Trustees = false, nil
			},
			want: []string{"manages trustees but live trustees were not read"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, st := demoConfig(), demoState()
			tt.mutate(cfg, st)
			p, err := Compute(cfg, st)
			if err == nil {
				t.Fatalf("Compute succeeded with %q, want errors", summarize(p.Changes))
			}
			probs := Problems(err)
			if len(probs) != len(tt.want) {
				t.Fatalf("problems = %v, want %d", err, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(probs[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, probs[i].Error(), w)
				}
				if i < len(tt.hints) && !strings.Contains(strings.Join(probs[i].Hints, "\n"), tt.hints[i]) {
					t.Errorf("hint %d = %q, want it to contain %q", i, probs[i].Hints, tt.hints[i])
				}
			}
		})
	}
}

func TestComputeOrder(t *testing.T) {
	cfg, st := demoConfig(), demoState()
	// Bluebird: disable and extend expiry, drop Ben, Bo loses and gains a
	// role, add Bianca. Add a new trustee. Copperfield: swap Oscar for Priya.
	// Drop a second live trustee and a second live trustor.
	cfg.Trustees[0].Enabled, cfg.Trustees[0].Expires = false, date("2028-01-01")
	cfg.Trustees[0].Users = []config.TrusteeUser{
		{ID: userBo, Roles: refs(15, "Claims Supervisor", "Telephony Admin"), Pos: at(14)},
		{ID: userBella, Roles: refs(17, "Claims Agent"), Pos: at(16)},
		{ID: userBianca, Roles: refs(21, "Claims Agent"), Pos: at(20)},
	}
	cfg.Trustees = append(cfg.Trustees, config.Trustee{ID: otherID, PairingID: "p", Enabled: true, Pos: at(40),
		ManageUsers: true, Users: []config.TrusteeUser{{ID: "e2000000-0000-4000-8000-000000000001", Roles: refs(42, "Claims Agent"), Pos: at(41)}}})
	st.Pairings = []live.Pairing{pairingOf("p", otherID, time.Time{}, "e2000000-0000-4000-8000-000000000001")}
	cfg.Trustors[0].Users = []config.TrustorUser{{ID: userNadia}, {ID: userPriya}}
	st.Trustees = append(st.Trustees, live.Trustee{OrgID: "f0000000-0000-4000-8000-000000000006", OrgName: "Fig", Enabled: true})
	st.Trustors = append(st.Trustors, live.Trustor{OrgID: "f0000000-0000-4000-8000-000000000006", OrgName: "Fig"})

	p, err := Compute(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"narrow delete trustee_user " + blueAddr + ".user[Ben Baker b200…]",
		"narrow update trustee_user_roles " + boAddr + ".roles",
		"narrow update trustee " + blueAddr,
		"narrow delete trustee trustee[Fig f000…]",
		"narrow delete trustor trustor[Fig f000…]",
		"narrow delete trustor_user " + copperAddr + ".user[Oscar Ortega a200…]",
		"widen create trustee trustee[e000…]",
		"widen create trustee_user " + blueAddr + ".user[b200…]",
		"widen update trustee_user_roles " + boAddr + ".roles",
		"widen update trustee " + blueAddr,
		"widen create trustor_user " + copperAddr + ".user[a200…]",
	}
	if diff := cmp.Diff(want, summarize(p.Changes)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	s := p.Summary()
	if s != (Summary{Add: 3, Change: 4, Remove: 4}) {
		t.Errorf("summary = %+v", s)
	}

	// The same inputs in any order give the identical plan.
	slices.Reverse(cfg.Trustees)
	slices.Reverse(cfg.Trustees[1].Users)
	slices.Reverse(st.Trustees)
	slices.Reverse(st.Trustors)
	for i := range st.Trustees {
		slices.Reverse(st.Trustees[i].Users)
	}
	slices.Reverse(st.Roles)
	again, err := Compute(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, again); diff != "" {
		t.Errorf("plan depends on input order (-first +second):\n%s", diff)
	}
}

func TestComputeNilInputs(t *testing.T) {
	if _, err := Compute(nil, demoState()); err == nil {
		t.Error("nil config: no error")
	}
	if _, err := Compute(demoConfig(), nil); err == nil {
		t.Error("nil state: no error")
	}
}

func TestProblems(t *testing.T) {
	plain := errors.New("plain")
	p := &Problem{Pos: config.Pos{File: "f.yaml", Line: 2, Col: 3}, Message: "bad"}
	got := Problems(errors.Join(p, plain))
	if len(got) != 2 || got[0].Message != "bad" || got[0].Severity != diag.Error || got[1].Message != "plain" || got[1].Error() != "plain" {
		t.Errorf("Problems = %+v", got)
	}
	if p.Error() != "f.yaml:2:3: bad" {
		t.Errorf("Error() = %q", p.Error())
	}
	if Problems(nil) != nil {
		t.Error("Problems(nil) not nil")
	}
	if one := Problems(p); len(one) != 1 || one[0].Pos != p.Pos || one[0].Message != p.Message {
		t.Errorf("Problems(single) = %+v", one)
	}
}

func TestRemovalGuardTrips(t *testing.T) {
	tests := []struct {
		managed, removals, pct int
		want                   bool
	}{
		{7, 7, 25, false},
		{8, 2, 25, false},
		{8, 3, 25, true},
		{100, 25, 25, false},
		{100, 26, 25, true},
		{10, 0, 0, false},
		{10, 1, 0, true},
		{1, 1, 0, true},  // 0%: every removal, however few objects
		{3, 0, 0, false}, // nothing removed
		{100, 100, 100, false},
	}
	for _, tt := range tests {
		if got := RemovalGuardTrips(tt.managed, tt.removals, tt.pct); got != tt.want {
			t.Errorf("RemovalGuardTrips(%d, %d, %d) = %v, want %v", tt.managed, tt.removals, tt.pct, got, tt.want)
		}
	}
}
