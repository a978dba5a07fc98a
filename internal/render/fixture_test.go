package render

import (
	"time"

	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/plan"
)

// Ids follow the demo fixture's scheme.
const (
	homeID       = "a0000000-0000-4000-8000-000000000001"
	bluebirdID   = "b0000000-0000-4000-8000-000000000002"
	copperID     = "c0000000-0000-4000-8000-000000000003"
	careID       = "d0000000-0000-4000-8000-000000000004"
	harborID     = "e0000000-0000-4000-8000-000000000005"
	oldPartnerID = "f0000000-0000-4000-8000-000000000006"
	indigoID     = "70000000-0000-4000-8000-000000000007"
	juniperID    = "80000000-0000-4000-8000-000000000008"
	legacyID     = "90000000-0000-4000-8000-000000000009"
	kestrelID    = "60000000-0000-4000-8000-000000000010"
	opsID        = "50000000-0000-4000-8000-000000000011"
)

var (
	claimsSupervisor = plan.Role{ID: "a1000000-0000-4000-8000-000000000001", Name: "Claims Supervisor"}
	claimsAgent      = plan.Role{ID: "a1000000-0000-4000-8000-000000000002", Name: "Claims Agent"}
	qualityEvaluator = plan.Role{ID: "a1000000-0000-4000-8000-000000000003", Name: "Quality Evaluator"}
	reportingViewer  = plan.Role{ID: "a1000000-0000-4000-8000-000000000004", Name: "Reporting Viewer"}
	telephonyAdmin   = plan.Role{ID: "a1000000-0000-4000-8000-000000000005", Name: "Telephony Admin"}
)

func roles(rs ...plan.Role) []plan.Role { return rs }

func ptr[T any](v T) *T { return &v }

func date(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// richPlan covers every kind × action, all three effects, protected and
// pending trusts and warnings, in the order a plan has them.
func richPlan() *plan.Plan {
	bb := "trustee[Bluebird Outsourcing b000…]"
	twelve := 12
	p := &plan.Plan{
		Organization: plan.Org{ID: homeID, Name: "Northwind Insurance"},
		Changes: []plan.Change{
			// Narrowing.
			{
				Action: plan.Delete, Kind: plan.KindTrusteeUser,
				Address:   bb + ".user[Ben Baker b200…]",
				TrusteeID: bluebirdID, TrustorID: homeID, UserID: "b2000000-0000-4000-8000-000000000003",
				OrgName: "Bluebird Outsourcing",
				Before:  &plan.Value{Name: "Ben Baker", Roles: roles(qualityEvaluator)},
				Effect:  plan.Narrow, Reason: "not in configuration",
			},
			{
				Action: plan.Update, Kind: plan.KindTrusteeUserRoles,
				Address:   bb + ".user[Bo Blue b200…].roles",
				TrusteeID: bluebirdID, TrustorID: homeID, UserID: "b2000000-0000-4000-8000-000000000001",
				OrgName: "Bluebird Outsourcing",
				Before:  &plan.Value{Name: "Bo Blue", Roles: roles(claimsSupervisor, reportingViewer)},
				After:   &plan.Value{Name: "Bo Blue", Roles: roles(claimsSupervisor)},
				Effect:  plan.Narrow, Reason: "roles differ",
			},
			{
				Action: plan.Delete, Kind: plan.KindTrusteeUserRoles,
				Address:   bb + ".user[Bella Byrne b200…].roles",
				TrusteeID: bluebirdID, TrustorID: homeID, UserID: "b2000000-0000-4000-8000-000000000002",
				OrgName: "Bluebird Outsourcing",
				Before:  &plan.Value{Roles: roles(claimsAgent)},
				Effect:  plan.Narrow, Reason: "no roles in configuration",
			},
			{
				Action: plan.Update, Kind: plan.KindTrustee,
				Address:   bb,
				TrusteeID: bluebirdID, TrustorID: homeID,
				OrgName: "Bluebird Outsourcing",
				Before:  &plan.Value{Name: "Bluebird Outsourcing", Enabled: ptr(true), Expires: date("2027-06-30T00:00:00Z")},
				After:   &plan.Value{Name: "Bluebird Outsourcing", Enabled: ptr(true), Expires: date("2026-12-31T17:30:00Z")},
				Effect:  plan.Narrow, Reason: "expiry changed",
			},
			{
				Action: plan.Update, Kind: plan.KindTrustee,
				Address:   "trustee[Harbor Analytics e000…]",
				TrusteeID: harborID, TrustorID: homeID,
				OrgName: "Harbor Analytics",
				Before:  &plan.Value{Name: "Harbor Analytics", Enabled: ptr(true), HasFullAccess: ptr(true), IsTrustedUser: ptr(false)},
				After:   &plan.Value{Name: "Harbor Analytics", Enabled: ptr(false), HasFullAccess: ptr(true), IsTrustedUser: ptr(false)},
				Effect:  plan.Narrow, Reason: "disabled in configuration",
			},
			{
				Action: plan.Delete, Kind: plan.KindTrustee,
				Address:   "trustee[Old Partner LLC f000…]",
				TrusteeID: oldPartnerID, TrustorID: homeID,
				OrgName: "Old Partner LLC",
				Before: &plan.Value{
					Name: "Old Partner LLC", Enabled: ptr(true), Expires: date("2026-03-01T00:00:00Z"),
					Users: []plan.User{
						{ID: "f2000000-0000-4000-8000-000000000001", Name: "Fay Former", Roles: roles(claimsAgent, reportingViewer)},
						{ID: "f2000000-0000-4000-8000-000000000002", Name: "Finn Fold"},
					},
				},
				Effect: plan.Narrow, Reason: "not in configuration",
			},
			{
				Action: plan.Delete, Kind: plan.KindTrustorUser,
				Address:   "trustor[Copperfield Consulting c000…].user[Oscar Ortega a200…]",
				TrusteeID: homeID, TrustorID: copperID, UserID: "a2000000-0000-4000-8000-000000000002",
				OrgName: "Copperfield Consulting",
				Before:  &plan.Value{Name: "Oscar Ortega"},
				Effect:  plan.Narrow, Reason: "not in configuration",
			},
			{
				Action: plan.Delete, Kind: plan.KindTrustor,
				Address:   "trustor[Legacy Holdings 9000…]",
				TrusteeID: homeID, TrustorID: legacyID,
				OrgName: "Legacy Holdings",
				Before: &plan.Value{Name: "Legacy Holdings", Users: []plan.User{
					{ID: "a2000000-0000-4000-8000-000000000003", Name: "Priya Patel"},
				}},
				Effect: plan.Narrow, Reason: "not in configuration",
			},
			// Neutral.
			{
				Action: plan.Update, Kind: plan.KindTrusteeUser,
				Address:   "trustee[Harbor Analytics e000…].user[Hana Hart e200…]",
				TrusteeID: harborID, TrustorID: homeID, UserID: "e2000000-0000-4000-8000-000000000001",
				OrgName: "Harbor Analytics",
				Before:  &plan.Value{Name: "H. Hart", Roles: roles(reportingViewer)},
				After:   &plan.Value{Name: "Hana Hart", Roles: roles(reportingViewer)},
				Effect:  plan.Neutral, Reason: "display name changed",
			},
			{
				Action: plan.Update, Kind: plan.KindTrustor,
				Address:   "trustor[Copperfield Consulting c000…]",
				TrusteeID: homeID, TrustorID: copperID,
				OrgName: "Copperfield Consulting",
				Before:  &plan.Value{Name: "Copperfield Consult"},
				After:   &plan.Value{Name: "Copperfield Consulting"},
				Effect:  plan.Neutral, Reason: "org renamed",
			},
			{
				Action: plan.Update, Kind: plan.KindTrustorUser,
				Address:   "trustor[Copperfield Consulting c000…].user[Nadia North a200…]",
				TrusteeID: homeID, TrustorID: copperID, UserID: "a2000000-0000-4000-8000-000000000001",
				OrgName: "Copperfield Consulting",
				Before:  &plan.Value{Name: "Nadia N."},
				After:   &plan.Value{Name: "Nadia North"},
				Effect:  plan.Neutral, Reason: "display name changed",
			},
			// Widening.
			{
				Action: plan.Update, Kind: plan.KindTrusteeUserRoles,
				Address:   bb + ".user[Bo Blue b200…].roles",
				TrusteeID: bluebirdID, TrustorID: homeID, UserID: "b2000000-0000-4000-8000-000000000001",
				OrgName: "Bluebird Outsourcing",
				Before:  &plan.Value{Name: "Bo Blue", Roles: roles(claimsSupervisor)},
				After:   &plan.Value{Name: "Bo Blue", Roles: roles(claimsSupervisor, telephonyAdmin)},
				Effect:  plan.Widen, Reason: "roles differ",
			},
			{
				Action: plan.Create, Kind: plan.KindTrusteeUserRoles,
				Address:   "trustee[Harbor Analytics e000…].user[Hana Hart e200…].roles",
				TrusteeID: harborID, TrustorID: homeID, UserID: "e2000000-0000-4000-8000-000000000001",
				OrgName: "Harbor Analytics",
				After:   &plan.Value{Name: "Hana Hart", Roles: roles(qualityEvaluator)},
				Effect:  plan.Widen, Reason: "roles differ",
			},
			{
				Action: plan.Create, Kind: plan.KindTrusteeUser,
				Address:   bb + ".user[Bianca Bell b200…]",
				TrusteeID: bluebirdID, TrustorID: homeID, UserID: "b2000000-0000-4000-8000-000000000004",
				OrgName: "Bluebird Outsourcing",
				After:   &plan.Value{Name: "Bianca Bell", Roles: roles(claimsAgent, reportingViewer)},
				Effect:  plan.Widen, Reason: "not live",
			},
			{
				Action: plan.Update, Kind: plan.KindTrustee,
				Address:   "trustee[Indigo Partners 7000…]",
				TrusteeID: indigoID, TrustorID: homeID,
				OrgName: "Indigo Partners",
				Before:  &plan.Value{Name: "Indigo Partners", Enabled: ptr(false), Expires: date("2026-01-31T00:00:00Z")},
				After:   &plan.Value{Name: "Indigo Partners", Enabled: ptr(true)},
				Effect:  plan.Widen, Reason: "enabled and expiry removed in configuration",
			},
			{
				Action: plan.Create, Kind: plan.KindTrustee,
				Address:   "trustee[Juniper Labs 8000…]",
				TrusteeID: juniperID, TrustorID: homeID,
				OrgName: "Juniper Labs",
				After: &plan.Value{
					Name: "Juniper Labs", Enabled: ptr(true), Expires: date("2027-01-01T00:00:00Z"),
					PairingID: "5f1c2d3e-0000-4000-8000-00000000abcd",
					Users: []plan.User{
						{ID: "82000000-0000-4000-8000-000000000001", Name: "Jin Ju", Roles: roles(claimsAgent, qualityEvaluator)},
						{ID: "82000000-0000-4000-8000-000000000002", Name: "Jo Jensen"},
					},
					Pairing: &plan.Pairing{
						ID: "5f1c2d3e-0000-4000-8000-00000000abcd", Expires: date("2026-12-02T10:00:00Z"),
						Users: []plan.User{
							{ID: "82000000-0000-4000-8000-000000000001", Name: "Jin Ju"},
							{ID: "82000000-0000-4000-8000-000000000003", Name: "Juno Jay"},
						},
						Groups: []plan.Group{{ID: "83000000-0000-4000-8000-000000000001", Name: "Juniper Crew", MemberCount: ptr(4)}},
					},
				},
				Effect: plan.Widen, Reason: "not live",
			},
			{
				Action: plan.Create, Kind: plan.KindTrustorUser,
				Address:   "trustor[Copperfield Consulting c000…].user[Priya Patel a200…]",
				TrusteeID: homeID, TrustorID: copperID, UserID: "a2000000-0000-4000-8000-000000000003",
				OrgName: "Copperfield Consulting",
				After:   &plan.Value{Name: "Priya Patel"},
				Effect:  plan.Widen, Reason: "not live",
			},
			{
				Action: plan.Create, Kind: plan.KindTrustor,
				Address:   "trustor[Kestrel Group 6000…]",
				TrusteeID: homeID, TrustorID: kestrelID,
				OrgName: "Kestrel Group",
				After: &plan.Value{Name: "Kestrel Group", Users: []plan.User{
					{ID: "a2000000-0000-4000-8000-000000000001", Name: "Nadia North"},
				}},
				Effect: plan.Widen, Reason: "not live",
			},
		},
		Protected: []plan.Protected{
			{Kind: plan.KindTrustee, Address: "trustee[Genesys Customer Care d000…]", TrusteeID: careID, TrustorID: homeID,
				Name: "Genesys Customer Care", Reason: "Genesys Customer Care trust", HasFullAccess: ptr(true), IsTrustedUser: ptr(true)},
			{Kind: plan.KindTrustor, Address: "trustor[Partner Ops 5000…]", TrusteeID: homeID, TrustorID: opsID,
				Name: "Partner Ops", Reason: "listed under protect"},
		},
		Pending: []plan.Pending{
			{Address: "trustor[Bluebird Outsourcing b000…]", TrustorID: bluebirdID, Name: "Bluebird Outsourcing",
				Message: "Bluebird Outsourcing has not created the trust yet"},
		},
		Warnings: []plan.Warning{
			{Severity: diag.Warning, Message: "trustee Harbor Analytics: the trust expires in 12 days", Hints: []string{"extend expires or let it lapse"},
				Pos: diag.Pos{File: "trusts.yaml", Line: 14, Col: 7}, Code: "expires_soon", TrusteeID: harborID, DaysLeft: &twelve},
			{Message: "this plan removes 5 of 12 managed objects (41%), more than policy.maxRemovalPercent (25%); " +
				"apply will refuse to run without --allow-removals",
				Hints: []string{"review the removals, then run apply with --allow-removals"}},
		},
		Managed:  12,
		Removals: 5,
		Lost:     plan.Lost{Deleted: 4, Disabled: 1},
	}
	plan.Link(p.Changes)
	p.Changes[0].Attribution = &plan.Attribution{
		By: "Ada Admin", ByKind: "user", ByID: "a2000000-0000-4000-8000-000000000009",
		At: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC), Action: "Update",
	}
	return p
}

// emptyPlan is a plan with nothing to do.
func emptyPlan() *plan.Plan {
	return &plan.Plan{Organization: plan.Org{ID: homeID, Name: "Northwind Insurance"}, Managed: 7}
}

// groupPlan covers the group kinds: a trust created with a group, a group
// added to a live trust, a group's roles narrowed then widened, a group
// removed, and our group joining a trustor's trust.
func groupPlan() *plan.Plan {
	bb := "trustee[Bluebird Outsourcing b000…]"
	const (
		agentsID = "b3000000-0000-4000-8000-000000000001"
		leadsID  = "b3000000-0000-4000-8000-000000000002"
		oldID    = "b3000000-0000-4000-8000-000000000003"
		opsTeam  = "a3000000-0000-4000-8000-000000000001"
		elmID    = "e0000000-0000-4000-8000-000000000015"
	)
	p := &plan.Plan{
		Organization: plan.Org{ID: homeID, Name: "Northwind Insurance"},
		Changes: []plan.Change{
			{
				Action: plan.Delete, Kind: plan.KindTrusteeGroup, Address: bb + ".group[Old Crew b300…]",
				TrusteeID: bluebirdID, TrustorID: homeID, GroupID: oldID, OrgName: "Bluebird Outsourcing",
				Before: &plan.Value{Name: "Old Crew", MemberCount: ptr(12), Roles: roles(claimsAgent)},
				Effect: plan.Narrow, Reason: "not in configuration",
			},
			{
				Action: plan.Update, Kind: plan.KindTrusteeGroupRoles, Address: bb + ".group[Team Leads b300…].roles",
				TrusteeID: bluebirdID, TrustorID: homeID, GroupID: leadsID, OrgName: "Bluebird Outsourcing",
				Before: &plan.Value{Name: "Team Leads", MemberCount: ptr(4), Roles: roles(claimsSupervisor, reportingViewer)},
				After:  &plan.Value{Name: "Team Leads", MemberCount: ptr(4), Roles: roles(claimsSupervisor)},
				Effect: plan.Narrow, Reason: "roles not in configuration",
			},
			{
				Action: plan.Update, Kind: plan.KindTrusteeGroupRoles, Address: bb + ".group[Team Leads b300…].roles",
				TrusteeID: bluebirdID, TrustorID: homeID, GroupID: leadsID, OrgName: "Bluebird Outsourcing",
				Before: &plan.Value{Name: "Team Leads", MemberCount: ptr(4), Roles: roles(claimsSupervisor)},
				After:  &plan.Value{Name: "Team Leads", MemberCount: ptr(4), Roles: roles(claimsSupervisor, qualityEvaluator)},
				Effect: plan.Widen, Reason: "roles in configuration, not live",
			},
			{
				Action: plan.Create, Kind: plan.KindTrusteeGroup, Address: bb + ".group[Claims Agents b300…]",
				TrusteeID: bluebirdID, TrustorID: homeID, GroupID: agentsID, OrgName: "Bluebird Outsourcing",
				After:  &plan.Value{Name: "Claims Agents", MemberCount: ptr(300), Roles: roles(claimsAgent)},
				Effect: plan.Widen, Reason: "in configuration, not live",
			},
			{
				Action: plan.Create, Kind: plan.KindTrustee, Address: "trustee[Elm Partners e000…]",
				TrusteeID: elmID, TrustorID: homeID, OrgName: "Elm Partners",
				After: &plan.Value{Name: "Elm Partners", Enabled: ptr(true), Expires: date("2027-06-30T00:00:00Z"),
					PairingID: "11111111-2222-4333-8444-555555555555", Users: []plan.User{},
					Groups: []plan.Group{{ID: "e3000000-0000-4000-8000-000000000001", Name: "Elm Support", MemberCount: ptr(25), Roles: roles(reportingViewer)}}},
				Effect: plan.Widen, Reason: "in configuration, not live",
			},
			{
				Action: plan.Create, Kind: plan.KindTrustorGroup, Address: "trustor[Copperfield Consulting c000…].group[Ops Team a300…]",
				TrusteeID: homeID, TrustorID: copperID, GroupID: opsTeam, OrgName: "Copperfield Consulting",
				After:  &plan.Value{Name: "Ops Team"}, // member count unknown
				Effect: plan.Widen, Reason: "in configuration, not live",
			},
		},
		Managed: 9, Removals: 1, Lost: plan.Lost{Deleted: 1},
	}
	plan.Link(p.Changes)
	return p
}
