package plan

import "sort"

// step returns a change's place in apply order: its group (narrow, neutral,
// widen) and its stage within the group.
//
// Narrowing stages: trustee user deletions, role reductions, trustee updates
// (disable, expiry brought forward), trustee deletions, trustor deletions,
// trustor user deletions. Widening stages: trustee creations, trustee user
// creations, role additions, trustee updates (enable, expiry extended),
// trustor user additions.
func step(c Change) (group, stage int) {
	const unknown = 99
	switch c.Effect {
	case Narrow:
		switch {
		case c.Kind == KindTrusteeUser && c.Action == Delete:
			return 0, 0
		case c.Kind == KindTrusteeUserRoles:
			return 0, 1
		case c.Kind == KindTrustee && c.Action == Update:
			return 0, 2
		case c.Kind == KindTrustee && c.Action == Delete:
			return 0, 3
		case c.Kind == KindTrustor && c.Action == Delete:
			return 0, 4
		case c.Kind == KindTrustorUser && c.Action == Delete:
			return 0, 5
		}
		return 0, unknown
	case Widen:
		switch {
		case c.Kind == KindTrustee && c.Action == Create:
			return 2, 0
		case c.Kind == KindTrusteeUser && c.Action == Create:
			return 2, 1
		case c.Kind == KindTrusteeUserRoles:
			return 2, 2
		case c.Kind == KindTrustee && c.Action == Update:
			return 2, 3
		case c.Kind == KindTrustorUser && c.Action == Create:
			return 2, 4
		}
		return 2, unknown
	}
	return 1, 0
}

// sortChanges puts changes in apply order: by group and stage, then by
// address, then by ids, so the order is fully deterministic.
func sortChanges(cs []Change) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		ga, sa := step(a)
		gb, sb := step(b)
		if ga != gb {
			return ga < gb
		}
		if sa != sb {
			return sa < sb
		}
		return lessStrings(
			[]string{a.Address, a.TrusteeID, a.TrustorID, a.UserID, string(a.Kind)},
			[]string{b.Address, b.TrusteeID, b.TrustorID, b.UserID, string(b.Kind)})
	})
}
