package plan

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/live"
)

// Reasons used by changes and protected items.
const (
	ReasonNotInConfig   = "not in configuration"
	ReasonNotLive       = "in configuration, not live"
	ReasonRolesRemoved  = "roles not in configuration"
	ReasonRolesAdded    = "roles in configuration, not live"
	ReasonProtectListed = "listed under protect"
	ReasonCustomerCare  = "Genesys Customer Care trust"
)

// minManagedForGuard is the number of managed live objects from which
// apply's removal guard applies.
const minManagedForGuard = 8

// Compute compares the desired state cfg with the live state st and returns
// the ordered plan that makes live state match cfg. It does no I/O.
//
// Role references are resolved against st.Roles: a reference equal to a
// role id is that role, otherwise the one role with exactly that name.
// Every problem found (an organization pin that does not match, unknown or
// ambiguous roles, forbidden roles, a trustee to create without a pairing
// id or members, a pairing that cannot create it, one of our users that
// does not exist, a trust with full access under policy.forbidFullAccess)
// is returned, joined with [errors.Join], as a [*Problem] carrying the
// file position it is about; the plan is nil then.
func Compute(cfg *config.Config, st *live.State) (*Plan, error) {
	if cfg == nil {
		return nil, errors.New("compute plan: no configuration")
	}
	if st == nil {
		return nil, errors.New("compute plan: no live state")
	}
	if o := cfg.Organization; o != nil && o.ID != "" && !strings.EqualFold(o.ID, st.Org.ID) {
		return nil, PinMismatch(o, st.Org)
	}
	if cfg.ManageTrustees && !st.TrusteesRead {
		return nil, errors.New("compute plan: the configuration manages trustees but live trustees were not read")
	}
	if ManagesTrusteeGroups(cfg) && !st.TrusteeGroupsRead {
		return nil, errors.New("compute plan: the configuration manages trustee groups but live trustee groups were not read")
	}
	if ManagesTrustorGroups(cfg) && !st.TrustorGroupsRead {
		return nil, errors.New("compute plan: the configuration manages trustor groups but live trustor groups were not read")
	}
	if cfg.ManageTrustors && !st.TrustorsRead {
		return nil, errors.New("compute plan: the configuration manages trustors but live trustors were not read")
	}
	if err := checkReads(cfg, st); err != nil {
		return nil, err
	}

	b := &builder{
		cfg:   cfg,
		st:    st,
		roles: newRoleIndex(st.Roles),
		care:  idSet(st.CareOrgIDs),
		plan:  &Plan{Organization: Org{ID: st.Org.ID, Name: st.Org.Name}},
	}
	b.resolveForbidden()
	if cfg.ManageTrustees {
		b.trustees()
		b.protectedFlags()
		b.forbidFullAccess()
	}
	if cfg.ManageTrustors {
		b.trustors()
	}
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	p := b.plan
	b.countGuard()
	b.removalWarning()
	b.expiryWarnings()
	sortChanges(p.Changes)
	Link(p.Changes)
	sort.SliceStable(p.Protected, func(i, j int) bool {
		a, c := p.Protected[i], p.Protected[j]
		return lessStrings(
			[]string{string(a.Kind), a.Address, a.TrusteeID, a.TrustorID},
			[]string{string(c.Kind), c.Address, c.TrusteeID, c.TrustorID})
	})
	sort.SliceStable(p.Pending, func(i, j int) bool {
		a, c := p.Pending[i], p.Pending[j]
		return lessStrings([]string{a.Address, a.TrustorID}, []string{c.Address, c.TrustorID})
	})
	sortWarnings(p.Warnings)
	return p, nil
}

// PinMismatch returns the problem reported when the configuration is pinned
// to an organization other than the one the credentials belong to.
func PinMismatch(pin *config.Organization, got live.Org) *Problem {
	gotName := got.ID
	if got.Name != "" {
		gotName = fmt.Sprintf("%s (%s)", got.Name, got.ID)
	}
	want := pin.ID
	if pin.Name != "" {
		want = fmt.Sprintf("%s (%s)", pin.Name, pin.ID)
	}
	d := diag.Errorf(pin.Pos, "use credentials (or a region) for the pinned organization, or correct organization.id",
		"the configuration is pinned to organization %s, but the credentials belong to %s", want, gotName)
	return &d
}

// builder accumulates a plan and its problems.
type builder struct {
	cfg   *config.Config
	st    *live.State
	roles *roleIndex
	care  map[string]bool
	// forbidden maps lowercase role ids to the reference that forbids them.
	forbidden map[string]config.RoleRef
	plan      *Plan
	errs      []error
	// ownUsers is the set of our users found live (lowercase ids), built
	// when first needed.
	ownUsers map[string]bool
}

func (b *builder) errorf(pos config.Pos, hint, format string, args ...any) {
	d := diag.Errorf(pos, hint, format, args...)
	b.errs = append(b.errs, &d)
}

func (b *builder) warnf(pos config.Pos, hint, format string, args ...any) {
	b.plan.Warnings = append(b.plan.Warnings, diag.Warnf(pos, hint, format, args...))
}

func (b *builder) add(c Change) { b.plan.Changes = append(b.plan.Changes, c) }

// resolveForbidden resolves policy.forbiddenRoles. An unknown or ambiguous
// role is an error: a misspelt name would otherwise leave the role it meant
// unprotected without anyone noticing.
func (b *builder) resolveForbidden() {
	b.forbidden = make(map[string]config.RoleRef)
	for _, ref := range b.cfg.Policy.ForbiddenRoles {
		r, rerr := b.roles.resolve(ref.Ref)
		if rerr != nil {
			b.errorf(ref.Pos, rerr.hint+"; if this org has no such role, remove it from policy.forbiddenRoles",
				"policy.forbiddenRoles: %s", rerr.msg)
			continue
		}
		b.forbidden[strings.ToLower(r.ID)] = ref
	}
}

// desiredRoles resolves a user's role references into a sorted role list,
// reporting unknown, ambiguous and forbidden roles. ok is false when any
// reference failed.
func (b *builder) desiredRoles(refs []config.RoleRef) (roles []Role, ok bool) {
	ok = true
	seen := make(map[string]bool)
	for _, ref := range refs {
		r, rerr := b.roles.resolve(ref.Ref)
		if rerr != nil {
			b.errorf(ref.Pos, rerr.hint, "%s", rerr.msg)
			ok = false
			continue
		}
		if fr, bad := b.forbidden[strings.ToLower(r.ID)]; bad {
			where := ""
			if loc := fr.Pos.String(); loc != "" {
				where = " at " + loc
			}
			b.errorf(ref.Pos, "remove the role from this user, or from policy.forbiddenRoles",
				"role %q (%s) is forbidden by policy.forbiddenRoles%s and cannot be granted", r.Name, r.ID, where)
			ok = false
			continue
		}
		if seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		roles = append(roles, Role{ID: r.ID, Name: r.Name})
	}
	sortRoles(roles)
	if roles == nil {
		roles = []Role{}
	}
	return roles, ok
}

// liveRoles turns live role ids into display roles.
func (b *builder) liveRoles(ids []string) []Role {
	roles := make([]Role, 0, len(ids))
	seen := make(map[string]bool)
	for _, id := range ids {
		id = b.roles.canonicalID(id)
		if seen[id] {
			continue
		}
		seen[id] = true
		roles = append(roles, Role{ID: id, Name: b.roles.name(id)})
	}
	sortRoles(roles)
	return roles
}

// section describes one section of the configuration (trustees or
// trustors) to [diffSection]: its entries (C) and live trusts (L), and how
// to plan an entry against its live trust and remove a live trust the
// configuration does not list.
type section[C, L any] struct {
	kind    Kind
	protect []config.OrgRef
	entries []C
	live    []L
	// entry returns an entry's org id and position.
	entry func(C) (id string, pos config.Pos)
	// liveOrg returns a live trust's org id and name.
	liveOrg func(*L) (id, name string)
	// plan plans a configured, unprotected entry against its live trust
	// (nil when it does not exist).
	plan func(C, *L)
	// remove plans the deletion of a live trust not in the configuration.
	remove func(*L)
}

// diffSection is the diff the trustee and trustor sections share: an entry
// listed twice is an error, an entry for a protected org a warning, every
// other entry is planned against its live trust; live trusts that are
// protected (listed under protect, or Customer Care ones the file does not
// list) are left alone, and the other live trusts the file does not list
// are removed.
func diffSection[C, L any](b *builder, s section[C, L]) {
	name := string(s.kind)
	protected := orgSet(s.protect)
	liveByID := make(map[string]*L, len(s.live))
	for i := range s.live {
		id, _ := s.liveOrg(&s.live[i])
		liveByID[strings.ToLower(id)] = &s.live[i]
	}
	desired := make(map[string]config.Pos, len(s.entries))
	for _, e := range s.entries {
		id, pos := s.entry(e)
		key := strings.ToLower(id)
		if first, dup := desired[key]; dup {
			b.errorf(pos, "list each "+name+" once", "%s %s is listed twice (first at %s)", name, id, first.String())
			continue
		}
		desired[key] = pos
		if protected[key] {
			b.warnf(pos, "remove it from protect."+name+"s to manage it",
				"%s %s is listed under protect.%ss, so its entry under %ss is not applied", name, id, name, name)
			continue
		}
		s.plan(e, liveByID[key])
	}
	for i := range s.live {
		l := &s.live[i]
		id, orgName := s.liveOrg(l)
		key := strings.ToLower(id)
		_, inConfig := desired[key]
		trustee, trustor := id, b.st.Org.ID
		if s.kind == KindTrustor {
			trustee, trustor = trustor, trustee
		}
		addr := s.kind.addr(orgName, id)
		switch {
		case protected[key]:
			b.protect(s.kind, addr, trustee, trustor, orgName, ReasonProtectListed)
		case b.care[key] && !inConfig:
			b.protect(s.kind, addr, trustee, trustor, orgName, ReasonCustomerCare)
		case !inConfig:
			s.remove(l)
		}
	}
}

func (b *builder) trustees() {
	diffSection(b, section[config.Trustee, live.Trustee]{
		kind: KindTrustee, protect: b.cfg.Protect.Trustees,
		entries: b.cfg.Trustees, live: b.st.Trustees,
		entry:   func(t config.Trustee) (string, config.Pos) { return t.ID, t.Pos },
		liveOrg: func(l *live.Trustee) (string, string) { return l.OrgID, l.OrgName },
		plan:    b.trustee,
		remove: func(lt *live.Trustee) {
			b.add(Change{
				Action: Delete, Kind: KindTrustee, Address: trusteeAddr(lt.OrgName, lt.OrgID),
				TrusteeID: lt.OrgID, TrustorID: b.st.Org.ID, OrgName: lt.OrgName,
				Before: &Value{
					Name:          lt.OrgName,
					Enabled:       boolPtr(lt.Enabled),
					Expires:       timePtr(lt.Expires),
					Users:         b.liveTrusteeUsers(lt.Users),
					Groups:        b.liveTrusteeGroups(lt.Groups),
					HasFullAccess: boolPtr(lt.HasFullAccess),
					IsTrustedUser: boolPtr(lt.IsTrustedUser),
				},
				Effect: Narrow, Reason: ReasonNotInConfig,
			})
		},
	})
}

func (b *builder) protect(kind Kind, addr, trusteeID, trustorID, name, reason string) {
	b.plan.Protected = append(b.plan.Protected, Protected{
		Kind: kind, Address: addr, TrusteeID: trusteeID, TrustorID: trustorID, Name: name, Reason: reason,
	})
}

// liveTrusteeGroups turns a trust's live groups into display groups; nil
// when groups were not read.
func (b *builder) liveTrusteeGroups(gs []live.TrusteeGroup) []Group {
	if !b.st.TrusteeGroupsRead {
		return nil
	}
	out := make([]Group, 0, len(gs))
	for _, g := range gs {
		out = append(out, Group{ID: g.ID, Name: g.Name, MemberCount: count(g.MemberCount), Roles: b.liveRoles(g.RoleIDs)})
	}
	sortGroups(out)
	return out
}

// trusteeGroups plans the groups of an existing trust against the
// configuration: a group to add (with its roles), a group's role set
// (narrowed first, then widened, as for users) and a live group the file
// does not list, which is removed.
func (b *builder) trusteeGroups(t config.Trustee, lt *live.Trustee, name, addr string, want [][]Role) {
	orgID := b.st.Org.ID
	liveGroups := byID(lt.Groups, func(x *live.TrusteeGroup) string { return x.ID })
	wanted := make(map[string]config.Pos, len(t.Groups))
	for i, g := range t.Groups {
		key := strings.ToLower(g.ID)
		if first, dup := wanted[key]; dup {
			b.errorf(g.Pos, "list each group once", "group %s is listed twice in trustee %s (first at %s)", g.ID, t.ID, first.String())
			continue
		}
		wanted[key] = g.Pos
		lg := liveGroups[key]
		if lg == nil {
			b.add(Change{
				Action: Create, Kind: KindTrusteeGroup, Address: addr + groupAddr(g.Name, g.ID),
				TrusteeID: lt.OrgID, TrustorID: orgID, GroupID: g.ID, OrgName: name,
				After:  &Value{Name: g.Name, Roles: want[i]},
				Effect: Widen, Reason: ReasonNotLive,
			})
			continue
		}
		gname := displayName(lg.Name, g.Name)
		if g.Name != "" && lg.Name != "" && g.Name != lg.Name {
			b.warnf(g.Pos, "names in the file are informational; update it to match",
				"group %s of trustee %s is named %q live, not %q", shortID(lg.ID), shortID(lt.OrgID), lg.Name, g.Name)
		}
		members := count(lg.MemberCount)
		have := b.liveRoles(lg.RoleIDs)
		kept, removed, added := diffRoles(have, want[i])
		raddr := addr + groupAddr(gname, lg.ID) + ".roles"
		mk := func(before, after []Role, eff Effect, reason string) Change {
			return Change{
				Action: Update, Kind: KindTrusteeGroupRoles, Address: raddr,
				TrusteeID: lt.OrgID, TrustorID: orgID, GroupID: lg.ID, OrgName: name,
				Before: &Value{Name: gname, MemberCount: members, Roles: before},
				After:  &Value{Name: gname, MemberCount: members, Roles: after},
				Effect: eff, Reason: reason,
			}
		}
		if len(removed) > 0 {
			b.add(mk(have, kept, Narrow, ReasonRolesRemoved))
		}
		if len(added) > 0 {
			b.add(mk(kept, want[i], Widen, ReasonRolesAdded))
		}
	}
	for i := range lt.Groups {
		lg := &lt.Groups[i]
		if _, ok := wanted[strings.ToLower(lg.ID)]; ok {
			continue
		}
		b.add(Change{
			Action: Delete, Kind: KindTrusteeGroup, Address: addr + groupAddr(lg.Name, lg.ID),
			TrusteeID: lt.OrgID, TrustorID: orgID, GroupID: lg.ID, OrgName: name,
			Before: &Value{Name: lg.Name, MemberCount: count(lg.MemberCount), Roles: b.liveRoles(lg.RoleIDs)},
			Effect: Narrow, Reason: ReasonNotInConfig,
		})
	}
}

// count converts a member count the service may leave out.
func count(n *int64) *int {
	if n == nil {
		return nil
	}
	v := int(*n)
	return &v
}

// ManagesTrusteeGroups reports whether any trustee entry of cfg has a
// groups key, so that live state must include the trusts' groups.
func ManagesTrusteeGroups(cfg *config.Config) bool {
	return cfg.ManageTrustees && slices.ContainsFunc(cfg.Trustees, func(t config.Trustee) bool { return t.ManageGroups })
}

// ManagesTrustorGroups reports whether any trustor entry of cfg has a
// groups key.
func ManagesTrustorGroups(cfg *config.Config) bool {
	return cfg.ManageTrustors && slices.ContainsFunc(cfg.Trustors, func(t config.Trustor) bool { return t.ManageGroups })
}

func (b *builder) liveTrusteeUsers(us []live.TrusteeUser) []User {
	out := make([]User, 0, len(us))
	for _, u := range us {
		out = append(out, User{ID: u.ID, Name: u.Name, Roles: b.liveRoles(u.RoleIDs)})
	}
	sortUsers(out)
	return out
}

// orgSet is the set of org ids refs name, lowercased (ids compare
// case-insensitively).
func orgSet(refs []config.OrgRef) map[string]bool {
	set := make(map[string]bool, len(refs))
	for _, r := range refs {
		set[strings.ToLower(r.ID)] = true
	}
	return set
}

// displayName is the name plans show for an object that exists live: its
// live name, which the file cannot relabel for a reviewer (a differing name
// in the file only warns), or the file's name when live has none.
func displayName(liveName, fileName string) string {
	if liveName != "" {
		return liveName
	}
	return fileName
}

// trusteeIndex returns the index of t's first entry in the configuration,
// for the positions of its keys.
func (b *builder) trusteeIndex(t config.Trustee) int {
	for i, e := range b.cfg.Trustees {
		if strings.EqualFold(e.ID, t.ID) {
			return i
		}
	}
	return -1
}

// trustee plans one configured (not protected) trustee against its live
// trust lt, which is nil when the trust does not exist.
func (b *builder) trustee(t config.Trustee, lt *live.Trustee) {
	name := t.Name
	if lt != nil {
		name = displayName(lt.OrgName, t.Name)
	}
	addr := trusteeAddr(name, t.ID)
	orgID := b.st.Org.ID

	// Resolve every user's roles first so that all role problems are
	// reported, whatever else happens to the trust.
	desiredRoles := make([][]Role, len(t.Users))
	rolesOK := true
	for i, u := range t.Users {
		var ok bool
		desiredRoles[i], ok = b.desiredRoles(u.Roles)
		rolesOK = rolesOK && ok
	}
	groupRoles := make([][]Role, len(t.Groups))
	groupsOK := true
	for i, g := range t.Groups {
		var ok bool
		groupRoles[i], ok = b.desiredRoles(g.Roles)
		groupsOK = groupsOK && ok
	}

	if lt == nil {
		i := b.trusteeIndex(t)
		b.checkMembers(i, t)
		if t.PairingID == "" {
			b.errorf(t.Pos, "add the pairingId the trustee org gave you (it creates a pairing with `trustsync pairing create` or POST /api/v2/orgauthorization/pairings)",
				"trustee %s does not exist live and has no pairingId to create it with", displayOrg(t.Name, t.ID))
			return
		}
		after := &Value{
			Name:      name,
			Enabled:   boolPtr(t.Enabled),
			Expires:   timePtr(t.Expires),
			PairingID: t.PairingID,
			Pairing:   b.checkPairing(i, t),
		}
		if t.ManageUsers {
			after.Users = make([]User, 0, len(t.Users))
			for i, u := range t.Users {
				after.Users = append(after.Users, User{ID: u.ID, Name: u.Name, Roles: desiredRoles[i]})
			}
			nameFromPairing(after)
			sortUsers(after.Users)
		}
		if t.ManageGroups {
			after.Groups = make([]Group, 0, len(t.Groups))
			for i, g := range t.Groups {
				after.Groups = append(after.Groups, Group{ID: g.ID, Name: g.Name, Roles: groupRoles[i]})
			}
			sortGroups(after.Groups)
		}
		b.add(Change{
			Action: Create, Kind: KindTrustee, Address: addr,
			TrusteeID: t.ID, TrustorID: orgID, OrgName: name,
			After: after, Effect: Widen, Reason: ReasonNotLive,
		})
		return
	}

	trusteeID := lt.OrgID
	if t.Name != "" && lt.OrgName != "" && t.Name != lt.OrgName {
		b.warnf(t.Pos, "names in the file are informational; update it to match",
			"trustee %s is named %q live, not %q", shortID(lt.OrgID), lt.OrgName, t.Name)
	}
	b.trusteeState(t, lt, name, addr)
	if t.ManageGroups && groupsOK {
		b.trusteeGroups(t, lt, name, addr, groupRoles)
	}

	if !t.ManageUsers || !rolesOK {
		return
	}
	liveUsers := byID(lt.Users, func(x *live.TrusteeUser) string { return x.ID })
	wanted := make(map[string]config.Pos, len(t.Users))
	for i, u := range t.Users {
		key := strings.ToLower(u.ID)
		if first, dup := wanted[key]; dup {
			b.errorf(u.Pos, "list each user once", "user %s is listed twice in trustee %s (first at %s)", u.ID, t.ID, first.String())
			continue
		}
		wanted[key] = u.Pos
		lu := liveUsers[key]
		uname := u.Name
		if lu != nil {
			uname = displayName(lu.Name, u.Name)
		}
		uaddr := addr + userAddr(uname, u.ID)
		want := desiredRoles[i]
		if lu == nil {
			b.add(Change{
				Action: Create, Kind: KindTrusteeUser, Address: uaddr,
				TrusteeID: trusteeID, TrustorID: orgID, UserID: u.ID, OrgName: name,
				After:  &Value{Name: uname, Roles: want},
				Effect: Widen, Reason: ReasonNotLive,
			})
			continue
		}
		if u.Name != "" && lu.Name != "" && u.Name != lu.Name {
			b.warnf(u.Pos, "names in the file are informational; update it to match",
				"user %s of trustee %s is named %q live, not %q", shortID(lu.ID), shortID(trusteeID), lu.Name, u.Name)
		}
		have := b.liveRoles(lu.RoleIDs)
		kept, removed, added := diffRoles(have, want)
		raddr := uaddr + ".roles"
		if len(removed) > 0 {
			b.add(Change{
				Action: Update, Kind: KindTrusteeUserRoles, Address: raddr,
				TrusteeID: trusteeID, TrustorID: orgID, UserID: lu.ID, OrgName: name,
				Before: &Value{Name: uname, Roles: have}, After: &Value{Name: uname, Roles: kept},
				Effect: Narrow, Reason: ReasonRolesRemoved,
			})
		}
		if len(added) > 0 {
			b.add(Change{
				Action: Update, Kind: KindTrusteeUserRoles, Address: raddr,
				TrusteeID: trusteeID, TrustorID: orgID, UserID: lu.ID, OrgName: name,
				Before: &Value{Name: uname, Roles: kept}, After: &Value{Name: uname, Roles: want},
				Effect: Widen, Reason: ReasonRolesAdded,
			})
		}
	}
	for i := range lt.Users {
		lu := &lt.Users[i]
		if _, ok := wanted[strings.ToLower(lu.ID)]; ok {
			continue
		}
		b.add(Change{
			Action: Delete, Kind: KindTrusteeUser, Address: addr + userAddr(lu.Name, lu.ID),
			TrusteeID: trusteeID, TrustorID: orgID, UserID: lu.ID, OrgName: name,
			Before: &Value{Name: lu.Name, Roles: b.liveRoles(lu.RoleIDs)},
			Effect: Narrow, Reason: ReasonNotInConfig,
		})
	}
}

// trusteeState plans the enabled flag and expiry of an existing trust. A
// change that both narrows and widens becomes two updates: first to the
// intersection of the old and new states (never wider than either), then to
// the new state.
func (b *builder) trusteeState(t config.Trustee, lt *live.Trustee, name, addr string) {
	e0, x0 := lt.Enabled, lt.Expires
	e1, x1 := t.Enabled, t.Expires
	if e0 == e1 && sameTime(x0, x1) {
		return
	}
	em, xm := e0 && e1, earliest(x0, x1)
	mk := func(before, after *Value, eff Effect, reason string) Change {
		return Change{
			Action: Update, Kind: KindTrustee, Address: addr,
			TrusteeID: lt.OrgID, TrustorID: b.st.Org.ID, OrgName: name,
			Before: before, After: after, Effect: eff, Reason: reason,
		}
	}
	full, trusted := flags(lt)
	initial := &Value{Name: name, Enabled: boolPtr(e0), Expires: timePtr(x0), HasFullAccess: full, IsTrustedUser: trusted}
	middle := &Value{Name: name, Enabled: boolPtr(em), Expires: timePtr(xm), HasFullAccess: full, IsTrustedUser: trusted}
	final := &Value{Name: name, Enabled: boolPtr(e1), Expires: timePtr(x1), HasFullAccess: full, IsTrustedUser: trusted}
	if em != e0 || !sameTime(xm, x0) {
		var why []string
		if em != e0 {
			why = append(why, ReasonDisabled)
		}
		switch {
		case sameTime(xm, x0):
		case x0 == nil:
			why = append(why, ReasonExpirySet)
		default:
			why = append(why, ReasonExpiryEarlier)
		}
		b.add(mk(initial, middle, Narrow, strings.Join(why, ReasonsSeparator)))
	}
	if em != e1 || !sameTime(xm, x1) {
		var why []string
		if em != e1 {
			why = append(why, ReasonEnabled)
		}
		switch {
		case sameTime(xm, x1):
		case x1 == nil:
			why = append(why, ReasonExpiryRemoved)
		default:
			why = append(why, ReasonExpiryExtended)
		}
		b.add(mk(cloneValue(middle), final, Widen, strings.Join(why, ReasonsSeparator)))
	}
}

func (b *builder) trustors() {
	diffSection(b, section[config.Trustor, live.Trustor]{
		kind: KindTrustor, protect: b.cfg.Protect.Trustors,
		entries: b.cfg.Trustors, live: b.st.Trustors,
		entry:   func(t config.Trustor) (string, config.Pos) { return t.ID, t.Pos },
		liveOrg: func(l *live.Trustor) (string, string) { return l.OrgID, l.OrgName },
		plan:    b.trustor,
		remove: func(lt *live.Trustor) {
			users := make([]User, 0, len(lt.Users))
			for _, u := range lt.Users {
				users = append(users, User{ID: u.ID, Name: u.Name})
			}
			sortUsers(users)
			b.add(Change{
				Action: Delete, Kind: KindTrustor, Address: trustorAddr(lt.OrgName, lt.OrgID),
				TrusteeID: b.st.Org.ID, TrustorID: lt.OrgID, OrgName: lt.OrgName,
				Before: &Value{Name: lt.OrgName, Users: users},
				Effect: Narrow, Reason: ReasonNotInConfig,
			})
		},
	})
}

// trustor plans one configured (not protected) trustor against its live
// trust lt, which is nil when the other org has not created it: then it is
// pending, not a change.
func (b *builder) trustor(t config.Trustor, lt *live.Trustor) {
	orgID := b.st.Org.ID
	name := t.Name
	if lt != nil {
		name = displayName(lt.OrgName, t.Name)
	}
	addr := trustorAddr(name, t.ID)
	if lt == nil {
		if t.ManageUsers {
			seen := make(map[string]bool, len(t.Users))
			for _, u := range t.Users {
				if key := strings.ToLower(u.ID); !seen[key] {
					seen[key] = true
					b.checkOwnUser(t, u)
				}
			}
		}
		msg := fmt.Sprintf("org %s has not created the trust yet", displayOrg(t.Name, t.ID))
		b.plan.Pending = append(b.plan.Pending, Pending{Address: addr, TrustorID: t.ID, Name: t.Name, Message: msg})
		b.warnf(t.Pos, "only the trustor org can create the trust: create a pairing (POST /api/v2/orgauthorization/pairings) and send it the pairing id; until then the trust stays pending", "%s", msg)
		return
	}
	if t.Name != "" && lt.OrgName != "" && t.Name != lt.OrgName {
		b.warnf(t.Pos, "names in the file are informational; update it to match",
			"trustor %s is named %q live, not %q", shortID(lt.OrgID), lt.OrgName, t.Name)
	}
	if t.ManageGroups {
		b.trustorGroups(t, lt, name, addr)
	}
	if !t.ManageUsers {
		return
	}
	liveUsers := byID(lt.Users, func(x *live.User) string { return x.ID })
	wanted := make(map[string]config.Pos, len(t.Users))
	for _, u := range t.Users {
		ukey := strings.ToLower(u.ID)
		if first, dup := wanted[ukey]; dup {
			b.errorf(u.Pos, "list each user once", "user %s is listed twice in trustor %s (first at %s)", u.ID, t.ID, first.String())
			continue
		}
		wanted[ukey] = u.Pos
		lu := liveUsers[ukey]
		if lu != nil {
			if u.Name != "" && lu.Name != "" && u.Name != lu.Name {
				b.warnf(u.Pos, "names in the file are informational; update it to match",
					"user %s in trustor %s is named %q live, not %q", shortID(lu.ID), shortID(lt.OrgID), lu.Name, u.Name)
			}
			continue
		}
		b.checkOwnUser(t, u)
		b.add(Change{
			Action: Create, Kind: KindTrustorUser, Address: addr + userAddr(u.Name, u.ID),
			TrusteeID: orgID, TrustorID: lt.OrgID, UserID: u.ID, OrgName: name,
			After: &Value{Name: u.Name}, Effect: Widen, Reason: ReasonNotLive,
		})
	}
	for _, lu := range lt.Users {
		if _, ok := wanted[strings.ToLower(lu.ID)]; ok {
			continue
		}
		b.add(Change{
			Action: Delete, Kind: KindTrustorUser, Address: addr + userAddr(lu.Name, lu.ID),
			TrusteeID: orgID, TrustorID: lt.OrgID, UserID: lu.ID, OrgName: name,
			Before: &Value{Name: lu.Name}, Effect: Narrow, Reason: ReasonNotInConfig,
		})
	}
}

// trustorGroups plans this org's groups in an existing trustor trust: a
// group the file lists that is not in it is added, a live one the file does
// not list is removed.
func (b *builder) trustorGroups(t config.Trustor, lt *live.Trustor, name, addr string) {
	orgID := b.st.Org.ID
	liveGroups := byID(lt.Groups, func(x *live.Group) string { return x.ID })
	wanted := make(map[string]config.Pos, len(t.Groups))
	for _, g := range t.Groups {
		key := strings.ToLower(g.ID)
		if first, dup := wanted[key]; dup {
			b.errorf(g.Pos, "list each group once", "group %s is listed twice in trustor %s (first at %s)", g.ID, t.ID, first.String())
			continue
		}
		wanted[key] = g.Pos
		if liveGroups[key] != nil {
			continue
		}
		b.add(Change{
			Action: Create, Kind: KindTrustorGroup, Address: addr + groupAddr(g.Name, g.ID),
			TrusteeID: orgID, TrustorID: lt.OrgID, GroupID: g.ID, OrgName: name,
			After: &Value{Name: g.Name}, Effect: Widen, Reason: ReasonNotLive,
		})
	}
	for i := range lt.Groups {
		lg := &lt.Groups[i]
		if _, ok := wanted[strings.ToLower(lg.ID)]; ok {
			continue
		}
		b.add(Change{
			Action: Delete, Kind: KindTrustorGroup, Address: addr + groupAddr(lg.Name, lg.ID),
			TrusteeID: orgID, TrustorID: lt.OrgID, GroupID: lg.ID, OrgName: name,
			Before: &Value{Name: lg.Name, MemberCount: count(lg.MemberCount)}, Effect: Narrow, Reason: ReasonNotInConfig,
		})
	}
}

// removalWarning warns when apply's removal guard will refuse the plan.
func (b *builder) removalWarning() {
	p := b.plan
	pct := b.cfg.Policy.MaxRemovalPercent
	if !RemovalGuardTrips(p.Managed, p.Removals, pct) {
		return
	}
	p.Warnings = append(p.Warnings, diag.Warnf(diag.Pos{},
		"deleting a trust or user, disabling a trust and leaving a user with no roles each take access away and count as removals (a trust with its users)\n"+
			"check that the configuration is complete; if the removals are intended, run apply with --allow-removals",
		"this plan removes %d of %d managed live objects (more than policy.maxRemovalPercent, %d%%); apply will refuse this without --allow-removals",
		p.Removals, p.Managed, pct))
}

// RemovalGuardTrips reports whether removing removals of managed live
// objects exceeds maxPercent, once at least 8 objects are managed; a
// maxPercent of 0 (or less) trips on any removal, however few objects are
// managed. Apply refuses such a plan unless removals are explicitly allowed.
func RemovalGuardTrips(managed, removals, maxPercent int) bool {
	switch {
	case removals <= 0:
		return false
	case maxPercent <= 0:
		return true
	}
	return managed >= minManagedForGuard && removals*100 > maxPercent*managed
}

// diffRoles splits the move from have to want into the roles kept (have ∩
// want), removed and added. All inputs and outputs are sorted role lists.
func diffRoles(have, want []Role) (kept, removed, added []Role) {
	in := func(rs []Role, id string) bool {
		for _, r := range rs {
			if strings.EqualFold(r.ID, id) {
				return true
			}
		}
		return false
	}
	kept = []Role{}
	for _, r := range have {
		if in(want, r.ID) {
			kept = append(kept, r)
		} else {
			removed = append(removed, r)
		}
	}
	for _, r := range want {
		if !in(have, r.ID) {
			added = append(added, r)
		}
	}
	return kept, removed, added
}

func trusteeAddr(name, id string) string { return "trustee[" + label(name, id) + "]" }

// addr is the address of a trust of kind k (KindTrustee or KindTrustor).
func (k Kind) addr(name, id string) string { return string(k) + "[" + label(name, id) + "]" }
func trustorAddr(name, id string) string   { return "trustor[" + label(name, id) + "]" }
func userAddr(name, id string) string      { return ".user[" + label(name, id) + "]" }
func groupAddr(name, id string) string     { return ".group[" + label(name, id) + "]" }

func label(name, id string) string {
	if name == "" {
		return shortID(id)
	}
	return name + " " + shortID(id)
}

// shortID returns the first four characters of id followed by an ellipsis.
func shortID(id string) string {
	n := 0
	for i := range id {
		if n == 4 {
			return id[:i] + "…"
		}
		n++
	}
	return id
}

func displayOrg(name, id string) string {
	if name == "" {
		return id
	}
	return fmt.Sprintf("%s (%s)", name, id)
}

// byID indexes items by their id, lowercased (ids are UUIDs and compare
// case-insensitively).
func byID[T any](items []T, id func(*T) string) map[string]*T {
	m := make(map[string]*T, len(items))
	for i := range items {
		m[strings.ToLower(id(&items[i]))] = &items[i]
	}
	return m
}

func idSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[strings.ToLower(id)] = true
	}
	return m
}

func boolPtr(v bool) *bool { return &v }

func timePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// earliest returns the earlier expiry; nil means never expires.
func earliest(a, b *time.Time) *time.Time {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case b.Before(*a):
		return b
	}
	return a
}

func cloneValue(v *Value) *Value {
	c := *v
	return &c
}

func sortRoles(rs []Role) {
	slices.SortFunc(rs, func(a, b Role) int { return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID)) })
}

func sortGroups(gs []Group) {
	slices.SortFunc(gs, func(a, b Group) int { return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID)) })
}

func sortUsers(us []User) {
	slices.SortFunc(us, func(a, b User) int { return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID)) })
}

func sortWarnings(ws []Warning) {
	sort.SliceStable(ws, func(i, j int) bool {
		a, b := ws[i].Pos, ws[j].Pos
		// Warnings with a file position come first, in file order.
		if (a.Line == 0) != (b.Line == 0) {
			return a.Line != 0
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

func lessStrings(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
