package config

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// merge combines the files into one Config. Scalar settings (organization
// keys, policy values) may be repeated across files only with the same
// value; lists are concatenated in file order, and duplicates in them are
// reported by check.
func (l *loader) merge(docs []*fileDoc) *Config {
	cfg := &Config{Version: 1}
	orgFirst := make(map[string]loc)
	for _, doc := range docs {
		if doc.org == nil {
			continue
		}
		if cfg.Organization == nil {
			cfg.Organization = &Organization{Pos: doc.org.Pos}
		}
		for _, key := range []string{"id", "name", "region"} {
			at, ok := doc.orgLocs[key]
			if !ok {
				continue
			}
			field := orgField(cfg.Organization, key)
			val := *orgField(doc.org, key)
			if first, seen := orgFirst[key]; seen {
				if *field != val {
					l.conflict(at, "organization."+key, fmt.Sprintf("%q", *field), first)
				}
				continue
			}
			orgFirst[key] = at
			*field = val
		}
	}

	pol := &cfg.Policy
	var first policyDoc
	for _, doc := range docs {
		p := doc.policy
		mergeSetting(l, &first.requireExpiry, p.requireExpiry, "policy.requireExpiry")
		mergeSetting(l, &first.maxTrustDays, p.maxTrustDays, "policy.maxTrustDays")
		mergeSetting(l, &first.maxUsersPerTrust, p.maxUsersPerTrust, "policy.maxUsersPerTrust")
		mergeSetting(l, &first.maxRemovalPercent, p.maxRemovalPercent, "policy.maxRemovalPercent")
		for _, r := range p.forbiddenRoles {
			pol.ForbiddenRoles = append(pol.ForbiddenRoles, RoleRef{Ref: r.val, Pos: r.pos})
		}
		for _, r := range doc.protectTrustees {
			cfg.Protect.Trustees = append(cfg.Protect.Trustees, OrgRef{ID: r.val, Pos: r.pos})
		}
		for _, r := range doc.protectTrustors {
			cfg.Protect.Trustors = append(cfg.Protect.Trustors, OrgRef{ID: r.val, Pos: r.pos})
		}
		cfg.ManageTrustees = cfg.ManageTrustees || doc.hasTrustees
		cfg.ManageTrustors = cfg.ManageTrustors || doc.hasTrustors
		for _, td := range doc.trustees {
			t := td.t
			for _, ud := range td.users {
				u := TrusteeUser{ID: ud.id, Name: ud.name, Roles: []RoleRef{}, Pos: ud.pos}
				for _, r := range ud.roles {
					u.Roles = append(u.Roles, RoleRef{Ref: r.val, Pos: r.pos})
				}
				t.Users = append(t.Users, u)
			}
			if t.ManageUsers && t.Users == nil {
				t.Users = []TrusteeUser{}
			}
			cfg.Trustees = append(cfg.Trustees, t)
		}
		for _, td := range doc.trustors {
			t := td.t
			for _, ud := range td.users {
				u := ud.TrustorUser
				t.Users = append(t.Users, u)
			}
			if t.ManageUsers && t.Users == nil {
				t.Users = []TrustorUser{}
			}
			cfg.Trustors = append(cfg.Trustors, t)
		}
	}
	pol.RequireExpiry = first.requireExpiry.val
	pol.MaxTrustDays = first.maxTrustDays.val
	pol.MaxUsersPerTrust = DefaultMaxUsersPerTrust
	if first.maxUsersPerTrust.set {
		pol.MaxUsersPerTrust = first.maxUsersPerTrust.val
	}
	pol.MaxRemovalPercent = DefaultMaxRemovalPercent
	if first.maxRemovalPercent.set {
		pol.MaxRemovalPercent = first.maxRemovalPercent.val
	}
	return cfg
}

func orgField(o *Organization, key string) *string {
	switch key {
	case "id":
		return &o.ID
	case "name":
		return &o.Name
	}
	return &o.Region
}

// mergeSetting keeps the first file's value of a setting and reports a
// later file that sets it differently.
func mergeSetting[T comparable](l *loader, first *setting[T], next setting[T], name string) {
	if !next.set {
		return
	}
	if !first.set {
		*first = next
		return
	}
	if first.val != next.val {
		l.conflict(next.loc, name, fmt.Sprint(first.val), first.loc)
	}
}

func (l *loader) conflict(at loc, name, firstVal string, first loc) {
	l.add(diag{Diagnostic: Diagnostic{
		Pos: at.pos, Severity: Error,
		Message: fmt.Sprintf("%s conflicts with %s set at %s", name, firstVal, first.pos),
		Hint:    "files are merged: set " + name + " in one file only, or to the same value in each",
	}, ptr: at.p.ptr})
}

func (l *loader) errorAt(at loc, msg, hint string) {
	l.add(diag{Diagnostic: Diagnostic{Pos: at.pos, Severity: Error, Message: at.p.prefix() + msg, Hint: hint}, ptr: at.p.ptr})
}

func (l *loader) warnAt(at loc, msg, hint string) {
	l.add(diag{Diagnostic: Diagnostic{Pos: at.pos, Severity: Warning, Message: at.p.prefix() + msg, Hint: hint}, ptr: at.p.ptr})
}

// firstSeen remembers where each value was first seen, to report a
// duplicate at its second occurrence.
type firstSeen map[string]loc

// dup records at as the location of key and returns the first location
// when key was seen before.
func (f firstSeen) dup(key string, at loc) (loc, bool) {
	if first, ok := f[key]; ok {
		return first, true
	}
	f[key] = at
	return loc{}, false
}

// check runs the semantic and policy rules on the merged configuration.
func (l *loader) check(cfg *Config, docs []*fileDoc, now time.Time) {
	var pol policyDoc // the first location of each policy setting, for messages
	for _, doc := range docs {
		for _, s := range []struct{ into, from *setting[int] }{
			{&pol.maxTrustDays, &doc.policy.maxTrustDays},
			{&pol.maxUsersPerTrust, &doc.policy.maxUsersPerTrust},
		} {
			if !s.into.set && s.from.set {
				*s.into = *s.from
			}
		}
		if !pol.requireExpiry.set && doc.policy.requireExpiry.set {
			pol.requireExpiry = doc.policy.requireExpiry
		}
	}
	setAt := func(s loc) string {
		if s.pos.File == "" {
			return ""
		}
		return " (set at " + s.pos.String() + ")"
	}

	orgID := ""
	if cfg.Organization != nil {
		orgID = cfg.Organization.ID
	}

	forbidden := firstSeen{}
	protectedTrustees := firstSeen{}
	protectedTrustors := firstSeen{}
	for _, doc := range docs {
		for _, r := range doc.policy.forbiddenRoles {
			if first, dup := forbidden.dup(r.val, r.loc); dup {
				l.errorAt(r.loc, fmt.Sprintf("role %q is listed twice; first at %s", r.val, first.pos), "list each forbidden role once")
			}
		}
		for _, r := range doc.protectTrustees {
			if first, dup := protectedTrustees.dup(r.val, r.loc); dup {
				l.errorAt(r.loc, fmt.Sprintf("org %s is listed twice; first at %s", r.val, first.pos), "list each protected org once")
			}
		}
		for _, r := range doc.protectTrustors {
			if first, dup := protectedTrustors.dup(r.val, r.loc); dup {
				l.errorAt(r.loc, fmt.Sprintf("org %s is listed twice; first at %s", r.val, first.pos), "list each protected org once")
			}
		}
	}
	forbiddenRole := func(ref string) (loc, bool) {
		for _, doc := range docs {
			for _, r := range doc.policy.forbiddenRoles {
				if strings.EqualFold(r.val, ref) {
					return r.loc, true
				}
			}
		}
		return loc{}, false
	}
	maxUsers := cfg.Policy.MaxUsersPerTrust

	trustees := firstSeen{}
	for _, doc := range docs {
		for _, td := range doc.trustees {
			if td.idOK {
				l.checkOrgEntry("trustee", td.t.ID, td.idLoc, td.loc, orgID, trustees, protectedTrustees)
			}
			l.checkExpiry(td, cfg.Policy, pol.requireExpiry, pol.maxTrustDays, now, setAt)
			if !td.t.ManageUsers {
				continue
			}
			if len(td.users) > maxUsers {
				l.errorAt(*td.usersLoc, fmt.Sprintf("%d users; at most %d are allowed per trust%s", len(td.users), maxUsers, setAt(pol.maxUsersPerTrust.loc)),
					"remove users, or split the work so that fewer users need access")
			}
			users := firstSeen{}
			for _, ud := range td.users {
				if ud.idOK {
					if first, dup := users.dup(ud.id, ud.idLoc); dup {
						l.errorAt(ud.idLoc, fmt.Sprintf("duplicate user %s; first listed at %s", ud.id, first.pos),
							"list each user once, with all of its roles")
					}
				}
				if ud.noRoles {
					l.warnAt(ud.rolesLoc, "no roles: the user is in the trust but cannot do anything in this organization",
						"give the user a role, or remove the user")
				}
				roles := firstSeen{}
				for _, r := range ud.roles {
					if first, dup := roles.dup(r.val, r.loc); dup {
						l.errorAt(r.loc, fmt.Sprintf("role %q is listed twice for this user; first at %s", r.val, first.pos), "list each role once")
						continue
					}
					if at, bad := forbiddenRole(r.val); bad {
						l.errorAt(r.loc, fmt.Sprintf("role %q is forbidden by policy.forbiddenRoles (at %s)", r.val, at.pos),
							"forbidden roles are never granted to another organization's users; remove the role")
					}
				}
			}
		}
	}

	trustors := firstSeen{}
	for _, doc := range docs {
		for _, td := range doc.trustors {
			if td.idOK {
				l.checkOrgEntry("trustor", td.t.ID, td.idLoc, td.loc, orgID, trustors, protectedTrustors)
			}
			if !td.t.ManageUsers {
				continue
			}
			if len(td.users) > maxUsers {
				l.errorAt(*td.usersLoc, fmt.Sprintf("%d users; at most %d are allowed per trust%s", len(td.users), maxUsers, setAt(pol.maxUsersPerTrust.loc)),
					"remove users from the trust")
			}
			users := firstSeen{}
			for _, ud := range td.users {
				if !ud.idOK {
					continue
				}
				if first, dup := users.dup(ud.ID, ud.idLoc); dup {
					l.errorAt(ud.idLoc, fmt.Sprintf("duplicate user %s; first listed at %s", ud.ID, first.pos), "list each user once")
				}
			}
		}
	}
}

// checkOrgEntry applies the rules every trustee or trustor entry (kind)
// shares: its org is listed once across all files (seen), is not this
// organization itself, and is not also protected (an entry for a protected
// org has no effect).
func (l *loader) checkOrgEntry(kind, id string, idLoc, entry loc, orgID string, seen, protected firstSeen) {
	if first, dup := seen.dup(id, idLoc); dup {
		l.errorAt(idLoc, fmt.Sprintf("duplicate %s %s; first listed at %s", kind, id, first.pos),
			fmt.Sprintf("list each %s org once; merge the two entries", kind))
	}
	if id == orgID {
		l.errorAt(entry, fmt.Sprintf("%s %s is this organization itself (organization.id)", kind, id),
			fmt.Sprintf("a %s is another organization; check the id", kind))
	}
	if p, ok := protected[id]; ok {
		l.warnAt(entry, fmt.Sprintf("%s %s is protected (protect.%ss at %s); this entry has no effect", kind, id, kind, p.pos),
			fmt.Sprintf("remove the entry, or remove the org from protect.%ss to manage it", kind))
	}
}

// checkExpiry applies the expiry rules to one trustee: a missing expiry
// when policy.requireExpiry is set, an expiry beyond policy.maxTrustDays,
// and (as a warning) an expiry in the past.
func (l *loader) checkExpiry(td trusteeDoc, pol Policy, requireAt setting[bool], maxDaysAt setting[int], now time.Time, setAt func(loc) string) {
	if td.expires == nil {
		if pol.RequireExpiry {
			hint := "add `expires: YYYY-MM-DD`"
			if pol.MaxTrustDays > 0 {
				hint += fmt.Sprintf(", at most %d days ahead (on or before %s)", pol.MaxTrustDays, now.AddDate(0, 0, pol.MaxTrustDays).UTC().Format(time.DateOnly))
			}
			l.errorAt(td.loc, "no expires, but policy.requireExpiry is true"+setAt(requireAt.loc), hint)
		}
		return
	}
	t := td.t.Expires
	if t == nil { // malformed, already reported
		return
	}
	if !t.After(now) {
		l.warnAt(*td.expires, formatExpiry(*t)+" is in the past",
			"the trust is expired or expires as soon as it is applied; move the date forward, or remove the trustee")
		return
	}
	if pol.MaxTrustDays > 0 {
		limit := now.AddDate(0, 0, pol.MaxTrustDays)
		if t.After(limit) {
			days := int(math.Ceil(t.Sub(now).Hours() / 24))
			l.errorAt(*td.expires, fmt.Sprintf("%s is %d days ahead; policy.maxTrustDays allows at most %d%s", formatExpiry(*t), days, pol.MaxTrustDays, setAt(maxDaysAt.loc)),
				"bring expires to "+limit.UTC().Format(time.DateOnly)+" or earlier, or raise policy.maxTrustDays")
		}
	}
}

// formatExpiry shows an expiry as a date when it is midnight UTC, else as
// an RFC 3339 date-time.
func formatExpiry(t time.Time) string {
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}
