package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/expiry"
)

// loc is where a value of the merged Config is: its position and its
// pointer within its own file.
type loc struct {
	pos Pos
	ptr string
}

// at returns the location of the merged value at p.
func (l *loader) at(cfg *Config, p path) loc { return l.atPos(cfg.Positions[string(p)], p) }

// atPos returns the location of the merged value at p, written at pos.
func (l *loader) atPos(pos Pos, p path) loc {
	return loc{pos: pos, ptr: l.offsets[pos.File].filePtr(p)}
}

func (l *loader) report(at loc, sev Severity, msg, hint string) {
	l.add(diag{Diagnostic: Diagnostic{Pos: at.pos, Severity: sev, Message: prefix(at.ptr) + msg, Hints: hints(hint)}, ptr: at.ptr})
}

func (l *loader) errorAt(at loc, msg, hint string) { l.report(at, Error, msg, hint) }

func (l *loader) warnAt(at loc, msg, hint string) { l.report(at, Warning, msg, hint) }

// firstSeen remembers where each value was first seen, to report a
// duplicate at its second occurrence.
type firstSeen map[string]path

// dup records p as the place of key and returns the first place when key
// was seen before.
func (f firstSeen) dup(key string, p path) (path, bool) {
	if first, ok := f[key]; ok {
		return first, true
	}
	f[key] = p
	return "", false
}

// checker runs the semantic and policy rules on the merged configuration.
type checker struct {
	l   *loader
	cfg *Config
	now time.Time
	// forbidden maps each forbidden role, lowercased, to its first entry.
	forbidden map[string]path
}

func (c *checker) at(p path) loc { return c.l.at(c.cfg, p) }

func (c *checker) pos(p path) Pos { return c.cfg.Positions[string(p)] }

// setAt says where a policy setting was set, for messages.
func (c *checker) setAt(key string) string {
	if p, ok := c.cfg.Positions[Pointer("policy", key)]; ok {
		return " (set at " + p.String() + ")"
	}
	return ""
}

// check runs the semantic and policy rules on the merged configuration.
func (l *loader) check(cfg *Config, now time.Time) {
	c := &checker{l: l, cfg: cfg, now: now, forbidden: make(map[string]path)}
	orgID := ""
	if cfg.Organization != nil {
		orgID = cfg.Organization.ID
	}

	forbidden := firstSeen{}
	for i, r := range cfg.Policy.ForbiddenRoles {
		if r.Ref == "" {
			continue
		}
		p := path(Pointer("policy", "forbiddenRoles", i))
		if first, dup := forbidden.dup(r.Ref, p); dup {
			l.errorAt(c.at(p), fmt.Sprintf("role %q is listed twice; first at %s", r.Ref, c.pos(first)), "list each forbidden role once")
		}
		if _, ok := c.forbidden[strings.ToLower(r.Ref)]; !ok {
			c.forbidden[strings.ToLower(r.Ref)] = p
		}
	}
	protected := func(list []OrgRef, key string) firstSeen {
		seen := firstSeen{}
		for i, r := range list {
			if r.ID == "" {
				continue
			}
			p := path(Pointer("protect", key, i))
			if first, dup := seen.dup(r.ID, p); dup {
				l.errorAt(c.at(p), fmt.Sprintf("org %s is listed twice; first at %s", r.ID, c.pos(first)), "list each protected org once")
			}
		}
		return seen
	}
	protectedTrustees := protected(cfg.Protect.Trustees, "trustees")
	protectedTrustors := protected(cfg.Protect.Trustors, "trustors")

	trustees := firstSeen{}
	for i, t := range cfg.Trustees {
		tp := path(Pointer("trustees", i))
		if l.notMapping[string(tp)] {
			continue
		}
		if t.ID != "" {
			c.orgEntry("trustee", t.ID, tp, orgID, trustees, protectedTrustees)
		}
		c.expiry(t, tp)
		c.memberLimit(tp, t.ManageUsers, len(t.Users), t.ManageGroups, len(t.Groups), "remove users, or split the work so that fewer users need access")
		users := firstSeen{}
		for j, u := range t.Users {
			c.trusteeMember(tp.key("users").index(j), "user", u.ID, u.Roles, users)
		}
		groups := firstSeen{}
		for j, g := range t.Groups {
			c.trusteeMember(tp.key("groups").index(j), "group", g.ID, g.Roles, groups)
		}
	}

	trustors := firstSeen{}
	for i, t := range cfg.Trustors {
		tp := path(Pointer("trustors", i))
		if l.notMapping[string(tp)] {
			continue
		}
		if t.ID != "" {
			c.orgEntry("trustor", t.ID, tp, orgID, trustors, protectedTrustors)
		}
		c.memberLimit(tp, t.ManageUsers, len(t.Users), t.ManageGroups, len(t.Groups), "remove users from the trust")
		users := firstSeen{}
		for j, u := range t.Users {
			c.trustorMember(tp.key("users").index(j), "user", u.ID, users)
		}
		groups := firstSeen{}
		for j, g := range t.Groups {
			c.trustorMember(tp.key("groups").index(j), "group", g.ID, groups)
		}
	}
}

// idPath is where a member's id was written: its id key, or the member
// itself when it is a bare id.
func (c *checker) idPath(p path) path {
	if _, ok := c.cfg.Positions[string(p.key("id"))]; ok {
		return p.key("id")
	}
	return p
}

// memberLimit checks that a trust lists at most policy.maxUsersPerTrust
// members, users and groups together.
func (c *checker) memberLimit(tp path, manageUsers bool, users int, manageGroups bool, groups int, hint string) {
	limit := c.cfg.Policy.MaxUsersPerTrust
	if !manageUsers {
		users = 0
	}
	if !manageGroups {
		groups = 0
	}
	if users+groups <= limit {
		return
	}
	switch {
	case groups == 0:
		c.l.errorAt(c.at(tp.key("users")), fmt.Sprintf("%d users; at most %d are allowed per trust%s", users, limit, c.setAt("maxUsersPerTrust")), hint)
	case users == 0:
		c.l.errorAt(c.at(tp.key("groups")), fmt.Sprintf("%d groups; at most %d members are allowed per trust%s", groups, limit, c.setAt("maxUsersPerTrust")),
			"remove groups from the trust")
	default:
		c.l.errorAt(c.at(tp.key("groups")), fmt.Sprintf("%d members (%s and %s); at most %d are allowed per trust, users and groups together%s",
			users+groups, plural(users, "user"), plural(groups, "group"), limit, c.setAt("maxUsersPerTrust")),
			"remove users or groups; a group counts as one member however many people it holds")
	}
}

// trusteeMember checks one trustee user or group (kind) at p: listed once,
// holding some roles, each role once and none forbidden.
func (c *checker) trusteeMember(p path, kind, id string, roles []RoleRef, seen firstSeen) {
	if c.l.notMapping[string(p)] {
		return
	}
	if id != "" {
		idp := c.idPath(p)
		if first, dup := seen.dup(id, idp); dup {
			c.l.errorAt(c.at(idp), fmt.Sprintf("duplicate %s %s; first listed at %s", kind, id, c.pos(first)),
				"list each "+kind+" once, with all of its roles")
		}
	}
	if roles != nil && len(roles) == 0 {
		c.l.warnAt(c.at(p.key("roles")), fmt.Sprintf("no roles: the %s is in the trust but cannot do anything in this organization", kind),
			"give the "+kind+" a role, or remove the "+kind)
	}
	// A member's roles have their positions on them, not in
	// Config.Positions.
	rs := make(map[string]Pos, len(roles))
	for k, r := range roles {
		if r.Ref == "" {
			continue
		}
		at := c.l.atPos(r.Pos, p.key("roles").index(k))
		if first, dup := rs[r.Ref]; dup {
			c.l.errorAt(at, fmt.Sprintf("role %q is listed twice for this %s; first at %s", r.Ref, kind, first), "list each role once")
			continue
		}
		rs[r.Ref] = r.Pos
		if fp, bad := c.forbidden[strings.ToLower(r.Ref)]; bad {
			c.l.errorAt(at, fmt.Sprintf("role %q is forbidden by policy.forbiddenRoles (at %s)", r.Ref, c.pos(fp)),
				"forbidden roles are never granted to another organization's users; remove the role")
		}
	}
}

// trustorMember checks one of our users or groups in a trustor's trust.
func (c *checker) trustorMember(p path, kind, id string, seen firstSeen) {
	if id == "" {
		return
	}
	idp := c.idPath(p)
	if first, dup := seen.dup(id, idp); dup {
		c.l.errorAt(c.at(idp), fmt.Sprintf("duplicate %s %s; first listed at %s", kind, id, c.pos(first)), "list each "+kind+" once")
	}
}

// orgEntry applies the rules every trustee or trustor entry (kind) at p
// shares: its org is listed once across all files (seen), is not this
// organization itself, and is not also protected (an entry for a protected
// org has no effect).
func (c *checker) orgEntry(kind, id string, p path, orgID string, seen, protected firstSeen) {
	idp := p.key("id")
	if first, dup := seen.dup(id, idp); dup {
		c.l.errorAt(c.at(idp), fmt.Sprintf("duplicate %s %s; first listed at %s", kind, id, c.pos(first)),
			fmt.Sprintf("list each %s org once; merge the two entries", kind))
	}
	if id == orgID {
		c.l.errorAt(c.at(p), fmt.Sprintf("%s %s is this organization itself (organization.id)", kind, id),
			fmt.Sprintf("a %s is another organization; check the id", kind))
	}
	if pp, ok := protected[id]; ok {
		c.l.warnAt(c.at(p), fmt.Sprintf("%s %s is protected (protect.%ss at %s); this entry has no effect", kind, id, kind, c.pos(pp)),
			fmt.Sprintf("remove the entry, or remove the org from protect.%ss to manage it", kind))
	}
}

// expiry applies the expiry rules to one trustee: a missing expiry when
// policy.requireExpiry is set, an expiry beyond policy.maxTrustDays, and
// (as a warning) an expiry in the past.
func (c *checker) expiry(t Trustee, tp path) {
	pol, now := c.cfg.Policy, c.now
	ep := tp.key("expires")
	if _, written := c.cfg.Positions[string(ep)]; !written {
		if pol.RequireExpiry {
			hint := "add `expires: YYYY-MM-DD`"
			if pol.MaxTrustDays > 0 {
				hint += fmt.Sprintf(", at most %d days ahead (on or before %s)", pol.MaxTrustDays, now.AddDate(0, 0, pol.MaxTrustDays).UTC().Format(time.DateOnly))
			}
			c.l.errorAt(c.at(tp), "no expires, but policy.requireExpiry is true"+c.setAt("requireExpiry"), hint)
		}
		return
	}
	e := t.Expires
	if e == nil { // malformed, already reported
		return
	}
	if !e.After(now) {
		c.l.warnAt(c.at(ep), formatExpiry(*e)+" is in the past",
			"the trust is expired or expires as soon as it is applied; move the date forward, or remove the trustee")
		last := &c.l.diags[len(c.l.diags)-1]
		last.Code, last.TrusteeID = WarnExpired, t.ID
		return
	}
	if pol.MaxTrustDays > 0 {
		limit := now.AddDate(0, 0, pol.MaxTrustDays)
		if e.After(limit) {
			days := int(math.Ceil(e.Sub(now).Hours() / 24))
			c.l.errorAt(c.at(ep), fmt.Sprintf("%s is %d days ahead; policy.maxTrustDays allows at most %d%s", formatExpiry(*e), days, pol.MaxTrustDays, c.setAt("maxTrustDays")),
				"bring expires to "+limit.UTC().Format(time.DateOnly)+" or earlier, or raise policy.maxTrustDays")
		}
	}
}

// formatExpiry shows an expiry as a date when it is midnight UTC, else as
// an RFC 3339 date-time: the form a desired-state file uses.
func formatExpiry(t time.Time) string { return expiry.Format(t) }

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
