// Package export turns an organization's live trusts into a desired-state
// file: the configuration that, planned against the same live state,
// shows no changes.
//
// [FromLive] builds the configuration ([config.Config], the file model
// the loader produces) and [Export.Encode] writes it with the model's own
// writer, [config.Encode], adding comments that name the org, trusts and
// roles. The output depends on live state only: no
// timestamp, a fixed key order and trusts sorted by org name, then id,
// so exporting unchanged live state twice gives identical bytes.
package export

import (
	"cmp"
	"slices"
	"strings"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
)

// Sections selects what to export.
type Sections struct {
	Trustees bool
	Trustors bool
}

// Export is a configuration built from live state, with what its comments
// need.
type Export struct {
	Config *config.Config
	// Care are the Customer Care trustee trusts. Plan protects them unless
	// a trustee entry lists one, so they are left out of the
	// configuration and named in a comment instead.
	Care []live.Trustee
	// RoleNames names every role id the configuration refers to by id
	// (because its name is not unique, or it has none).
	RoleNames map[string]string
	// GroupMembers is the member count of every group the configuration
	// lists, by lower-case id; nil where the service did not say.
	GroupMembers map[string]*int64
}

// FromLive builds the configuration that matches st in the sections asked
// for (st must have read them). Groups are written, trustees' with their
// roles and trustors' as ids, when st read them (State.TrusteeGroupsRead,
// State.TrustorGroupsRead); otherwise the groups key is left out and
// plan does not manage them. region is organization.region, "" when
// unknown. Roles are referred to by name where the name is unique among
// the org's roles, by id otherwise. Customer Care trustees go to Care,
// not into the configuration.
func FromLive(st *live.State, region string, sec Sections) *Export {
	cfg := &config.Config{
		Version:      1,
		Organization: &config.Organization{ID: st.Org.ID, Name: st.Org.Name, Region: region},
		Policy: config.Policy{
			MaxUsersPerTrust:  config.DefaultMaxUsersPerTrust,
			MaxRemovalPercent: config.DefaultMaxRemovalPercent,
			WarnExpiryDays:    config.DefaultWarnExpiryDays,
		},
	}
	ex := &Export{Config: cfg, RoleNames: map[string]string{}, GroupMembers: map[string]*int64{}}
	roleByID := map[string]live.Role{}
	nameCount := map[string]int{}
	for _, r := range st.Roles {
		roleByID[strings.ToLower(r.ID)] = r
		nameCount[r.Name]++
	}
	care := map[string]bool{}
	for _, id := range st.CareOrgIDs {
		care[strings.ToLower(id)] = true
	}

	if sec.Trustees && st.TrusteesRead {
		cfg.ManageTrustees = true
		cfg.Trustees = []config.Trustee{}
		trustees := slices.Clone(st.Trustees)
		slices.SortFunc(trustees, func(a, b live.Trustee) int { return byNameThenID(a.OrgName, a.OrgID, b.OrgName, b.OrgID) })
		for _, lt := range trustees {
			if care[strings.ToLower(lt.OrgID)] {
				ex.Care = append(ex.Care, lt)
				continue
			}
			t := config.Trustee{ID: lt.OrgID, Name: lt.OrgName, Enabled: lt.Enabled, ManageUsers: true, Users: []config.TrusteeUser{}}
			if lt.Expires != nil {
				e := lt.Expires.UTC()
				t.Expires = &e
			}
			users := slices.Clone(lt.Users)
			slices.SortFunc(users, func(a, b live.TrusteeUser) int { return byNameThenID(a.Name, a.ID, b.Name, b.ID) })
			for _, lu := range users {
				u := config.TrusteeUser{ID: lu.ID, Name: lu.Name}
				u.Roles = ex.roleRefs(lu.RoleIDs, roleByID, nameCount, st.Roles)
				t.Users = append(t.Users, u)
			}
			if st.TrusteeGroupsRead {
				t.ManageGroups = true
				t.Groups = []config.TrusteeGroup{}
				groups := slices.Clone(lt.Groups)
				slices.SortFunc(groups, func(a, b live.TrusteeGroup) int { return byNameThenID(a.Name, a.ID, b.Name, b.ID) })
				for _, lg := range groups {
					t.Groups = append(t.Groups, config.TrusteeGroup{ID: lg.ID, Name: lg.Name, Roles: ex.roleRefs(lg.RoleIDs, roleByID, nameCount, st.Roles)})
					ex.GroupMembers[strings.ToLower(lg.ID)] = lg.MemberCount
				}
			}
			cfg.Trustees = append(cfg.Trustees, t)
		}
	}
	if sec.Trustors && st.TrustorsRead {
		cfg.ManageTrustors = true
		cfg.Trustors = []config.Trustor{}
		trustors := slices.Clone(st.Trustors)
		slices.SortFunc(trustors, func(a, b live.Trustor) int { return byNameThenID(a.OrgName, a.OrgID, b.OrgName, b.OrgID) })
		for _, lt := range trustors {
			t := config.Trustor{ID: lt.OrgID, Name: lt.OrgName, ManageUsers: true, Users: []config.TrustorUser{}}
			users := slices.Clone(lt.Users)
			slices.SortFunc(users, func(a, b live.User) int { return byNameThenID(a.Name, a.ID, b.Name, b.ID) })
			for _, lu := range users {
				t.Users = append(t.Users, config.TrustorUser{ID: lu.ID, Name: lu.Name})
			}
			if st.TrustorGroupsRead {
				t.ManageGroups = true
				t.Groups = []config.TrustorGroup{}
				groups := slices.Clone(lt.Groups)
				slices.SortFunc(groups, func(a, b live.Group) int { return byNameThenID(a.Name, a.ID, b.Name, b.ID) })
				for _, lg := range groups {
					t.Groups = append(t.Groups, config.TrustorGroup{ID: lg.ID, Name: lg.Name})
					ex.GroupMembers[strings.ToLower(lg.ID)] = lg.MemberCount
				}
			}
			cfg.Trustors = append(cfg.Trustors, t)
		}
	}
	return ex
}

// roleRefs refers to the roles ids names, sorted by name then id: by name
// where the name is unique among the org's roles and is no role's id, by
// id otherwise (recorded in RoleNames for the comment).
func (ex *Export) roleRefs(ids []string, roleByID map[string]live.Role, nameCount map[string]int, all []live.Role) []config.RoleRef {
	roles := make([]live.Role, 0, len(ids))
	for _, id := range ids {
		r, ok := roleByID[strings.ToLower(id)]
		if !ok {
			r = live.Role{ID: id}
		}
		roles = append(roles, r)
	}
	slices.SortFunc(roles, func(a, b live.Role) int { return byNameThenID(a.Name, a.ID, b.Name, b.ID) })
	refs := make([]config.RoleRef, 0, len(roles))
	for _, r := range roles {
		ref := r.Name
		if r.Name == "" || nameCount[r.Name] != 1 || looksLikeID(r.Name, all) {
			ref = r.ID
			ex.RoleNames[strings.ToLower(r.ID)] = r.Name
		}
		refs = append(refs, config.RoleRef{Ref: ref})
	}
	return refs
}

// looksLikeID reports whether name is also some role's id: the planner
// reads a reference equal to a role id as that role, so such a name must
// be written as the id.
func looksLikeID(name string, roles []live.Role) bool {
	for _, r := range roles {
		if strings.EqualFold(r.ID, name) {
			return true
		}
	}
	return false
}

// byNameThenID orders by name (objects without a name last), then id.
func byNameThenID(an, aid, bn, bid string) int {
	if (an == "") != (bn == "") {
		if an == "" {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(an, bn); c != 0 {
		return c
	}
	return cmp.Compare(strings.ToLower(aid), strings.ToLower(bid))
}
