package planjson

import (
	"fmt"

	"github.com/trustsync/trustsync/internal/plan"
)

// Plan converts a document read by [Parse] back into plan data, the
// reverse of [FromPlan], so that a saved plan can be rendered like a
// computed one (`trustsync show`): FromPlan of the result gives the
// document again.
func (d *Document) Plan() (*plan.Plan, error) {
	p := &plan.Plan{
		Organization: plan.Org{ID: d.Organization.ID, Name: d.Organization.Name},
		Changes:      make([]plan.Change, 0, len(d.Changes)),
		Managed:      d.RemovalGuard.Managed,
		Removals:     d.RemovalGuard.Removals,
		Lost: plan.Lost{
			Deleted: d.RemovalGuard.Deleted, Disabled: d.RemovalGuard.Disabled, WithoutRoles: d.RemovalGuard.WithoutRoles,
		},
	}
	for i, c := range d.Changes {
		a, err := plan.ParseAction(c.Action)
		if err != nil {
			return nil, fmt.Errorf("changes[%d]: %w", i, err)
		}
		eff, err := plan.ParseEffect(c.Effect)
		if err != nil {
			return nil, fmt.Errorf("changes[%d]: %w", i, err)
		}
		pc := plan.Change{
			Action: a, Kind: plan.Kind(c.Kind), Address: c.Address,
			TrusteeID: c.TrusteeID, TrustorID: c.TrustorID, UserID: c.UserID, GroupID: c.GroupID,
			OrgName: c.OrgName, Before: c.Before.plan(), After: c.After.plan(),
			Effect: eff, Reason: c.Reason, Key: c.Key,
			DependsOn: nonNil(c.DependsOn), Requires: nonNil(c.Requires),
		}
		if at := c.Attribution; at != nil {
			pc.Attribution = &plan.Attribution{By: at.By, ByKind: at.ByKind, ByID: at.ByID, At: at.At, Action: at.Action}
		}
		p.Changes = append(p.Changes, pc)
	}
	for _, pr := range d.Protected {
		p.Protected = append(p.Protected, plan.Protected{
			Kind: plan.Kind(pr.Kind), Address: pr.Address, TrusteeID: pr.TrusteeID,
			TrustorID: pr.TrustorID, Name: pr.Name, Reason: pr.Reason,
			HasFullAccess: copyBool(pr.HasFullAccess), IsTrustedUser: copyBool(pr.IsTrustedUser),
		})
	}
	for _, pe := range d.Pending {
		p.Pending = append(p.Pending, plan.Pending{Address: pe.Address, TrustorID: pe.TrustorID, Name: pe.Name, Message: pe.Message})
	}
	for _, w := range d.Warnings {
		p.Warnings = append(p.Warnings, w.Diagnostic())
	}
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("JSON plan: %w", err)
	}
	return p, nil
}

// plan is the reverse of newValue.
func (v *Value) plan() *plan.Value {
	if v == nil {
		return nil
	}
	out := &plan.Value{
		Name: v.Name, Enabled: copyBool(v.Enabled), PairingID: v.PairingID,
		MemberCount:   copyInt(v.MemberCount),
		HasFullAccess: copyBool(v.HasFullAccess), IsTrustedUser: copyBool(v.IsTrustedUser),
	}
	if v.Expires.Set {
		out.Expires = utc(v.Expires.Time)
	}
	if v.Roles != nil {
		out.Roles = planRoles(v.Roles)
	}
	out.Users = planUsers(v.Users)
	out.Groups = planGroups(v.Groups)
	if pr := v.Pairing; pr != nil {
		out.Pairing = &plan.Pairing{ID: pr.ID, Users: planUsers(pr.Users), Groups: planGroups(pr.Groups), Expires: utc(pr.Expires.Time)}
	}
	return out
}

// planUsers converts users; nil stays nil.
func planUsers(us []User) []plan.User {
	if us == nil {
		return nil
	}
	out := make([]plan.User, 0, len(us))
	for _, u := range us {
		pu := plan.User{ID: u.ID, Name: u.Name}
		if u.Roles != nil {
			pu.Roles = planRoles(u.Roles)
		}
		out = append(out, pu)
	}
	return out
}

// planGroups converts groups; nil stays nil.
func planGroups(gs []Group) []plan.Group {
	if gs == nil {
		return nil
	}
	out := make([]plan.Group, 0, len(gs))
	for _, g := range gs {
		pg := plan.Group{ID: g.ID, Name: g.Name, MemberCount: copyInt(g.MemberCount)}
		if g.Roles != nil {
			pg.Roles = planRoles(g.Roles)
		}
		out = append(out, pg)
	}
	return out
}

func planRoles(rs []Role) []plan.Role {
	out := make([]plan.Role, 0, len(rs))
	for _, r := range rs {
		out = append(out, plan.Role{ID: r.ID, Name: r.Name})
	}
	return out
}
