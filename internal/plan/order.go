package plan

import (
	"cmp"
	"slices"
	"strings"
)

// step returns a change's place in apply order: its group (narrow, neutral,
// widen) and its stage within the group.
//
// Narrowing stages: trustee user and group deletions, role reductions
// (users' and groups'), trustee updates (disable, expiry brought forward),
// trustee deletions, trustor deletions, trustor user and group deletions.
// Widening stages: trustee creations, trustee user and group creations,
// role additions, trustee updates (enable, expiry extended), trustor user
// and group additions.
func step(c Change) (group, stage int) {
	const unknown = 99
	member := c.Kind == KindTrusteeUser || c.Kind == KindTrusteeGroup
	roles := c.Kind == KindTrusteeUserRoles || c.Kind == KindTrusteeGroupRoles
	ours := c.Kind == KindTrustorUser || c.Kind == KindTrustorGroup
	switch c.Effect {
	case Narrow:
		switch {
		case member && c.Action == Delete:
			return 0, 0
		case roles:
			return 0, 1
		case c.Kind == KindTrustee && c.Action == Update:
			return 0, 2
		case c.Kind == KindTrustee && c.Action == Delete:
			return 0, 3
		case c.Kind == KindTrustor && c.Action == Delete:
			return 0, 4
		case ours && c.Action == Delete:
			return 0, 5
		}
		return 0, unknown
	case Widen:
		switch {
		case c.Kind == KindTrustee && c.Action == Create:
			return 2, 0
		case member && c.Action == Create:
			return 2, 1
		case roles:
			return 2, 2
		case c.Kind == KindTrustee && c.Action == Update:
			return 2, 3
		case ours && c.Action == Create:
			return 2, 4
		}
		return 2, unknown
	}
	return 1, 0
}

// sortChanges puts changes in apply order: by group and stage, then by
// address, then by ids and kind, so the order is fully deterministic. It
// sorts positions rather than the (large) changes themselves, each step
// computed once.
func sortChanges(cs []Change) {
	type pos struct{ group, stage, i int }
	order := make([]pos, len(cs))
	for i, c := range cs {
		g, st := step(c)
		order[i] = pos{g, st, i}
	}
	slices.SortStableFunc(order, func(x, y pos) int {
		a, b := &cs[x.i], &cs[y.i]
		return cmp.Or(
			cmp.Compare(x.group, y.group),
			cmp.Compare(x.stage, y.stage),
			strings.Compare(a.Address, b.Address),
			strings.Compare(a.TrusteeID, b.TrusteeID),
			strings.Compare(a.TrustorID, b.TrustorID),
			strings.Compare(a.UserID, b.UserID),
			strings.Compare(a.GroupID, b.GroupID),
			strings.Compare(string(a.Kind), string(b.Kind)),
		)
	})
	sorted := make([]Change, len(cs))
	for i, o := range order {
		sorted[i] = cs[o.i]
	}
	copy(cs, sorted)
}
