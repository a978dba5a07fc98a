package plan

import "strings"

// countGuard computes the numbers apply's removal guard uses, in a pass of
// its own over the live state and the finished changes:
//
//   - Managed counts the live objects the configuration manages: every live
//     trust that is not protected, plus its users (and groups) when the
//     file manages them or the plan takes the whole trust's access away;
//   - Removals counts how many of them lose access: a deleted or disabled
//     trust with all its users, a user or group removed from a trust, and a
//     trustee user or group left with no roles.
//
// Taking access away counts like a deletion, so a file that empties every
// user's roles or disables every trust trips the guard as removing them
// would.
func (b *builder) countGuard() {
	p := b.plan
	protected := make(map[string]bool, len(p.Protected))
	for _, pr := range p.Protected {
		protected[trustKey(Change{Kind: pr.Kind, TrusteeID: pr.TrusteeID, TrustorID: pr.TrustorID})] = true
	}
	type trust struct {
		deleted, disabled bool // every user loses access
		removed           int  // members removed otherwise
		withoutRoles      int  // members left with no roles otherwise
	}
	trusts := make(map[string]*trust)
	at := func(c Change) *trust {
		k := trustKey(c)
		t := trusts[k]
		if t == nil {
			t = &trust{}
			trusts[k] = t
		}
		return t
	}
	roleSteps := make(map[string][]int) // roles object → its changes, in order
	for i, c := range p.Changes {
		switch {
		case isTrust(c) && c.Action == Delete:
			at(c).deleted = true
		case c.Kind == KindTrustee && disables(c):
			at(c).disabled = true
		case !isTrust(c) && c.Kind != KindTrusteeUserRoles && c.Kind != KindTrusteeGroupRoles && c.Action == Delete:
			at(c).removed++
		case c.Kind == KindTrusteeUserRoles || c.Kind == KindTrusteeGroupRoles:
			k := objectKey(c)
			roleSteps[k] = append(roleSteps[k], i)
		}
	}
	for _, steps := range roleSteps {
		first, last := p.Changes[steps[0]], p.Changes[steps[len(steps)-1]]
		if first.Before != nil && len(first.Before.Roles) > 0 && (last.After == nil || len(last.After.Roles) == 0) {
			at(first).withoutRoles++
		}
	}

	// manages says, per configured org, whether its users and its groups
	// are managed.
	type manages struct{ users, groups bool }
	trustees := make(map[string]manages, len(b.cfg.Trustees))
	for _, t := range b.cfg.Trustees {
		trustees[strings.ToLower(t.ID)] = manages{t.ManageUsers, t.ManageGroups}
	}
	trustors := make(map[string]manages, len(b.cfg.Trustors))
	for _, t := range b.cfg.Trustors {
		trustors[strings.ToLower(t.ID)] = manages{t.ManageUsers, t.ManageGroups}
	}
	count := func(key string, users, groups int, m manages) {
		if protected[key] {
			return
		}
		t := trusts[key]
		if t == nil {
			t = &trust{}
		}
		gone := t.deleted || t.disabled
		p.Managed++
		if m.users || gone {
			p.Managed += users
		}
		if m.groups || gone {
			p.Managed += groups
		}
		switch {
		case t.deleted:
			p.Lost.Deleted += 1 + users + groups
		case t.disabled:
			p.Lost.Disabled += 1 + users + groups
		default:
			p.Lost.Deleted += t.removed
			p.Lost.WithoutRoles += t.withoutRoles
		}
	}
	for _, lt := range b.st.Trustees {
		if !b.cfg.ManageTrustees {
			break
		}
		count("trustee/"+strings.ToLower(lt.OrgID), len(lt.Users), len(lt.Groups), trustees[strings.ToLower(lt.OrgID)])
	}
	for _, lt := range b.st.Trustors {
		if !b.cfg.ManageTrustors {
			break
		}
		count("trustor/"+strings.ToLower(lt.OrgID), len(lt.Users), len(lt.Groups), trustors[strings.ToLower(lt.OrgID)])
	}
	p.Removals = p.Lost.Deleted + p.Lost.Disabled + p.Lost.WithoutRoles
}

// disables reports whether a trustee update turns an enabled trust off.
func disables(c Change) bool {
	return c.Action == Update && c.Before != nil && c.After != nil &&
		c.Before.Enabled != nil && *c.Before.Enabled && c.After.Enabled != nil && !*c.After.Enabled
}
