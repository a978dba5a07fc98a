// Package report builds the access review of an organization: every trust
// in both directions with its users and groups (with member counts), their
// roles, when and by whom each user was added, the trust's expiry and
// flags, and flags for what a reviewer must look at. [Build] assembles a [Report] from live state (which carries when and
// by whom each user was added), the audit log and, optionally, the
// configuration; Markdown,
// JSON (a documented contract, docs/report.md) and CSV are written from
// that data.
package report

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/audit"
	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/plan"
)

// Version is the JSON report's report_version.
const Version = "1"

// Flags a reviewer must look at.
const (
	FlagNoExpiry     = "no_expiry"      // the trust never expires
	FlagExpiresSoon  = "expires_soon"   // within the warning window
	FlagExpired      = "expired"        // the expiry is past
	FlagDisabled     = "disabled"       // the trust exists but grants nothing
	FlagCustomerCare = "customer_care"  // a Genesys Customer Care trust
	FlagForbidden    = "forbidden_role" // a user holds a role of policy.forbiddenRoles
	FlagNotInConfig  = "not_in_config"  // the trust, user or group is not in the configuration
	FlagFullAccess   = "full_access"    // the trustee trust's hasFullAccess: every permission, whatever the roles
	FlagTrustedUser  = "trusted_user"   // the trustee trust's isTrustedUser
)

// Direction of a trust as seen from the home org.
const (
	Trustee = "trustee" // the home org grants the other org access
	Trustor = "trustor" // the other org grants the home org access
)

// Report is the access review of one org.
type Report struct {
	Organization plan.Org
	// At is the time days left are counted from.
	At time.Time
	// WarnDays is the expiry warning window.
	WarnDays int
	// ConfigFiles are the files users and trusts were compared with; nil
	// when none were given (no not_in_config flags then).
	ConfigFiles []string
	// AuditNote says why the audit log was not read, "" when it was.
	AuditNote string
	Trusts    []Trust
}

// Party is a user, client or org as the API names it.
type Party struct {
	ID   string
	Name string
}

// Change is the latest audit entry about a trust or a user in it.
type Change struct {
	At     time.Time
	By     string
	ByKind string
	ByID   string
	Action string
}

// Trust is one trust with its users.
type Trust struct {
	Direction string // Trustee or Trustor
	Org       Party  // the other org
	Enabled   bool
	CreatedAt *time.Time
	CreatedBy *Party
	Expires   *time.Time
	// DaysLeft is whole days from Report.At to Expires; nil without one.
	DaysLeft   *int
	Flags      []string
	LastChange *Change
	Users      []User
	// Groups are the trust's groups: trustee-org groups in a trustee
	// trust, the home org's in a trustor trust.
	Groups []Group
}

// Group is a group in a trust. MemberCount is how many people it reaches,
// nil when the service does not say. Roles are known for trustee trusts
// only, as for users.
type Group struct {
	ID             string
	Name           string
	MemberCount    *int64
	Roles          []plan.Role
	Flags          []string
	ForbiddenRoles []string // names (ids when nameless) of the forbidden roles held
}

// User is a user in a trust. Roles are known for trustee trusts only
// (they are roles of the home org); in a trustor trust they belong to the
// other org and cannot be read.
type User struct {
	ID             string
	Name           string
	Roles          []plan.Role
	AddedAt        *time.Time
	AddedBy        *Party
	Flags          []string
	ForbiddenRoles []string // names (ids when nameless) of the forbidden roles held
	LastChange     *Change
}

// Options tune Build.
type Options struct {
	// Now is when days left are counted from.
	Now time.Time
	// Config, when set, is compared with live state (not_in_config) and
	// gives policy.forbiddenRoles and policy.warnExpiryDays (without it the
	// window is config.DefaultWarnExpiryDays).
	Config *config.Config
	// NoAudit skips the audit log.
	NoAudit bool
}

// trustKey and userKey index details and audit entries.
type trustKey struct{ dir, org string }
type userKey struct {
	trustKey
	user string
}

// Build assembles the report of st (read with both sections and their
// groups, Scope.TrusteeGroups and Scope.TrustorGroups); q reads
// the audit log. The audit log is information: when it cannot be read,
// the report says so in AuditNote and has no last changes.
func Build(ctx context.Context, q audit.Querier, st *live.State, opts Options) (*Report, error) {
	if !st.TrusteesRead || !st.TrustorsRead || !st.TrusteeGroupsRead || !st.TrustorGroupsRead {
		return nil, errors.New("build the access review: live state must be read in both directions, with groups")
	}
	r := &Report{Organization: plan.Org{ID: st.Org.ID, Name: st.Org.Name}, At: opts.Now.UTC(), WarnDays: config.DefaultWarnExpiryDays}
	if opts.Config != nil {
		r.WarnDays = opts.Config.Policy.WarnExpiryDays
		r.ConfigFiles = append([]string{}, opts.Config.Files...)
	}
	roleByID := map[string]live.Role{}
	for _, ro := range st.Roles {
		roleByID[strings.ToLower(ro.ID)] = ro
	}
	forbidden := forbiddenSet(opts.Config, st.Roles)
	care := map[string]bool{}
	for _, id := range st.CareOrgIDs {
		care[strings.ToLower(id)] = true
	}

	trustChange, userChange := map[trustKey]*Change{}, map[userKey]*Change{}
	if !opts.NoAudit && len(st.Trustees)+len(st.Trustors) > 0 {
		aq := audit.Query{Home: st.Org.ID, MaxPages: 10}
		for _, t := range st.Trustees {
			aq.TrusteeIDs = append(aq.TrusteeIDs, t.OrgID)
		}
		for _, t := range st.Trustors {
			aq.TrustorIDs = append(aq.TrustorIDs, t.OrgID)
		}
		res, err := audit.Fetch(ctx, q, aq)
		var fe *audit.ForbiddenError
		switch {
		case errors.As(err, &fe):
			r.AuditNote = "the audit log was not read: the credentials lack " + audit.Permission
		case err != nil:
			r.AuditNote = "the audit log was not read: " + err.Error()
		default:
			for _, e := range res.Entries { // newest first: keep the first per object
				if e.At.IsZero() || e.By == "" {
					continue
				}
				dir := Trustee
				if e.Side == audit.TrustorSide {
					dir = Trustor
				}
				tk := trustKey{dir, strings.ToLower(e.Other())}
				ch := &Change{At: e.At, By: e.By, ByKind: e.ByKind, ByID: e.ByID, Action: e.Action}
				if trustChange[tk] == nil {
					trustChange[tk] = ch
				}
				if e.UserID != "" && e.Object != audit.ObjectTrust {
					uk := userKey{tk, strings.ToLower(e.UserID)}
					if userChange[uk] == nil {
						userChange[uk] = ch
					}
				}
			}
			if res.Truncated {
				r.AuditNote = "only the newest part of the audit log was read; older changes are not shown"
			}
		}
	}

	var cfgTrustees map[string]*config.Trustee
	var cfgTrustors map[string]*config.Trustor
	if c := opts.Config; c != nil {
		cfgTrustees, cfgTrustors = map[string]*config.Trustee{}, map[string]*config.Trustor{}
		for i := range c.Trustees {
			cfgTrustees[strings.ToLower(c.Trustees[i].ID)] = &c.Trustees[i]
		}
		for i := range c.Trustors {
			cfgTrustors[strings.ToLower(c.Trustors[i].ID)] = &c.Trustors[i]
		}
	}

	for _, lt := range st.Trustees {
		tk := trustKey{Trustee, strings.ToLower(lt.OrgID)}
		t := Trust{Direction: Trustee, Org: Party{ID: lt.OrgID, Name: lt.OrgName}, Enabled: lt.Enabled, Expires: lt.Expires, LastChange: trustChange[tk]}
		r.expiry(&t)
		if lt.HasFullAccess {
			t.Flags = append(t.Flags, FlagFullAccess)
		}
		if lt.IsTrustedUser {
			t.Flags = append(t.Flags, FlagTrustedUser)
		}
		if care[tk.org] {
			t.Flags = append(t.Flags, FlagCustomerCare)
		}
		var inCfg *config.Trustee
		if opts.Config != nil && opts.Config.ManageTrustees {
			if inCfg = cfgTrustees[tk.org]; inCfg == nil && !care[tk.org] && !listed(opts.Config.Protect.Trustees, lt.OrgID) {
				t.Flags = append(t.Flags, FlagNotInConfig)
			}
		}
		for _, lu := range lt.Users {
			uk := userKey{tk, strings.ToLower(lu.ID)}
			u := User{ID: lu.ID, Name: lu.Name, LastChange: userChange[uk]}
			u.Roles, u.ForbiddenRoles = resolveRoles(lu.RoleIDs, roleByID, forbidden)
			if len(u.ForbiddenRoles) > 0 {
				u.Flags = append(u.Flags, FlagForbidden)
			}
			if inCfg != nil && inCfg.ManageUsers && !slices.ContainsFunc(inCfg.Users, func(cu config.TrusteeUser) bool { return strings.EqualFold(cu.ID, lu.ID) }) {
				u.Flags = append(u.Flags, FlagNotInConfig)
			}
			u.addDetails(lu.Added)
			t.Users = append(t.Users, u)
		}
		for _, lg := range lt.Groups {
			g := Group{ID: lg.ID, Name: lg.Name, MemberCount: lg.MemberCount}
			g.Roles, g.ForbiddenRoles = resolveRoles(lg.RoleIDs, roleByID, forbidden)
			if len(g.ForbiddenRoles) > 0 {
				g.Flags = append(g.Flags, FlagForbidden)
			}
			if inCfg != nil && inCfg.ManageGroups && !slices.ContainsFunc(inCfg.Groups, func(cg config.TrusteeGroup) bool { return strings.EqualFold(cg.ID, lg.ID) }) {
				g.Flags = append(g.Flags, FlagNotInConfig)
			}
			t.Groups = append(t.Groups, g)
		}
		r.Trusts = append(r.Trusts, t)
	}
	for _, lt := range st.Trustors {
		tk := trustKey{Trustor, strings.ToLower(lt.OrgID)}
		// the service does not show a trustor trust's expiry to the trustee
		t := Trust{Direction: Trustor, Org: Party{ID: lt.OrgID, Name: lt.OrgName}, Enabled: lt.Enabled, LastChange: trustChange[tk]}
		r.enabled(&t)
		if care[tk.org] {
			t.Flags = append(t.Flags, FlagCustomerCare)
		}
		var inCfg *config.Trustor
		if opts.Config != nil && opts.Config.ManageTrustors {
			if inCfg = cfgTrustors[tk.org]; inCfg == nil && !listed(opts.Config.Protect.Trustors, lt.OrgID) {
				t.Flags = append(t.Flags, FlagNotInConfig)
			}
		}
		for _, lu := range lt.Users {
			uk := userKey{tk, strings.ToLower(lu.ID)}
			u := User{ID: lu.ID, Name: lu.Name, LastChange: userChange[uk]}
			if inCfg != nil && inCfg.ManageUsers && !slices.ContainsFunc(inCfg.Users, func(cu config.TrustorUser) bool { return strings.EqualFold(cu.ID, lu.ID) }) {
				u.Flags = append(u.Flags, FlagNotInConfig)
			}
			u.addDetails(lu.Added)
			t.Users = append(t.Users, u)
		}
		for _, lg := range lt.Groups {
			g := Group{ID: lg.ID, Name: lg.Name, MemberCount: lg.MemberCount}
			if inCfg != nil && inCfg.ManageGroups && !slices.ContainsFunc(inCfg.Groups, func(cg config.TrustorGroup) bool { return strings.EqualFold(cg.ID, lg.ID) }) {
				g.Flags = append(g.Flags, FlagNotInConfig)
			}
			t.Groups = append(t.Groups, g)
		}
		r.Trusts = append(r.Trusts, t)
	}
	for i := range r.Trusts {
		slices.SortFunc(r.Trusts[i].Users, func(a, b User) int { return byNameThenID(a.Name, a.ID, b.Name, b.ID) })
		slices.SortFunc(r.Trusts[i].Groups, func(a, b Group) int { return byNameThenID(a.Name, a.ID, b.Name, b.ID) })
	}
	slices.SortStableFunc(r.Trusts, func(a, b Trust) int {
		if a.Direction != b.Direction {
			return cmp.Compare(a.Direction, b.Direction) // trustee before trustor
		}
		return byNameThenID(a.Org.Name, a.Org.ID, b.Org.Name, b.Org.ID)
	})
	return r, nil
}

// enabled flags t when it is disabled.
func (r *Report) enabled(t *Trust) {
	if !t.Enabled {
		t.Flags = append(t.Flags, FlagDisabled)
	}
}

// expiry sets the disabled flag, DaysLeft and the expiry flags of a
// trustee trust t.
func (r *Report) expiry(t *Trust) {
	r.enabled(t)
	if t.Expires == nil {
		t.Flags = append(t.Flags, FlagNoExpiry)
		return
	}
	d := plan.DaysLeft(*t.Expires, r.At)
	t.DaysLeft = &d
	switch {
	case t.Expires.Before(r.At):
		t.Flags = append(t.Flags, FlagExpired)
	case d <= r.WarnDays:
		t.Flags = append(t.Flags, FlagExpiresSoon)
	}
}

// resolveRoles names a member's roles (sorted by name, then id) and the
// forbidden ones among them (sorted).
func resolveRoles(ids []string, roleByID map[string]live.Role, forbidden map[string]bool) (roles []plan.Role, forbiddenNames []string) {
	roles = []plan.Role{}
	for _, id := range ids {
		ro := roleByID[strings.ToLower(id)]
		roles = append(roles, plan.Role{ID: id, Name: ro.Name})
		if forbidden[strings.ToLower(id)] {
			forbiddenNames = append(forbiddenNames, cmp.Or(ro.Name, id))
		}
	}
	slices.SortFunc(roles, func(a, b plan.Role) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })
	slices.Sort(forbiddenNames)
	return roles, forbiddenNames
}

// addDetails copies when and by whom the user was added, as live state
// read them.
func (u *User) addDetails(a *live.Added) {
	if a == nil {
		return
	}
	u.AddedAt = a.At
	if b := a.By; b != nil {
		u.AddedBy = &Party{ID: b.ID, Name: b.Name}
	}
}

// forbiddenSet resolves policy.forbiddenRoles against the org's roles: a
// reference is a role id, or the name of every role so named.
func forbiddenSet(cfg *config.Config, roles []live.Role) map[string]bool {
	set := map[string]bool{}
	if cfg == nil {
		return set
	}
	for _, ref := range cfg.Policy.ForbiddenRoles {
		for _, ro := range roles {
			if strings.EqualFold(ro.ID, ref.Ref) || ro.Name == ref.Ref {
				set[strings.ToLower(ro.ID)] = true
			}
		}
	}
	return set
}

func listed(refs []config.OrgRef, id string) bool {
	return slices.ContainsFunc(refs, func(r config.OrgRef) bool { return strings.EqualFold(r.ID, id) })
}

// byNameThenID orders by name (nameless last), then id.
func byNameThenID(an, aid, bn, bid string) int {
	if (an == "") != (bn == "") {
		if an == "" {
			return 1
		}
		return -1
	}
	return cmp.Or(cmp.Compare(an, bn), cmp.Compare(strings.ToLower(aid), strings.ToLower(bid)))
}

// Flagged counts the trusts, users and groups with at least one flag a
// reviewer must act on (customer_care alone is information).
func (r *Report) Flagged() (trusts, users, groups int) {
	for _, t := range r.Trusts {
		if actionable(t.Flags) {
			trusts++
		}
		for _, u := range t.Users {
			if actionable(u.Flags) {
				users++
			}
		}
		for _, g := range t.Groups {
			if actionable(g.Flags) {
				groups++
			}
		}
	}
	return trusts, users, groups
}

func actionable(flags []string) bool {
	return slices.ContainsFunc(flags, func(f string) bool { return f != FlagCustomerCare })
}
