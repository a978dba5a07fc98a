package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// permRule is what an operation needs, as the API documentation states it:
// any one of names, or (all) every one of them. No names: nothing needed.
type permRule struct {
	all   bool
	names []string
}

func anyOf(names ...string) permRule { return permRule{names: names} }
func allOf(names ...string) permRule { return permRule{all: true, names: names} }

// missing returns the permissions a client holding have lacks for r, or
// nil when it may go ahead. A nil have holds every permission.
func (r permRule) missing(have []string) []string {
	if have == nil || len(r.names) == 0 {
		return nil
	}
	var out []string
	for _, n := range r.names {
		if slices.Contains(have, n) {
			if !r.all {
				return nil
			}
			continue
		}
		out = append(out, n)
	}
	return out
}

// String renders the rule as docs/sandbox.md shows it.
func (r permRule) String() string {
	switch {
	case len(r.names) == 0:
		return "none"
	case r.all:
		return "ALL " + strings.Join(r.names, ", ")
	}
	return "ANY " + strings.Join(r.names, ", ")
}

// missingPermissions is the service's 403 for a caller that lacks
// permissions.
func missingPermissions(names []string) *apiError {
	list := strings.Join(names, ", ")
	return &apiError{
		Status:            http.StatusForbidden,
		Code:              "missing.permissions",
		Message:           fmt.Sprintf("Unable to perform the requested action. You are missing the following permission(s): [%s]", list),
		MessageWithParams: "Unable to perform the requested action. You are missing the following permission(s): [{permissions}]",
		Params:            map[string]string{"permissions": list},
	}
}

// Permission names.
const (
	permTrusteeView        = "authorization:orgTrustee:view"
	permTrusteeAdd         = "authorization:orgTrustee:add"
	permTrusteeEdit        = "authorization:orgTrustee:edit"
	permTrusteeDelete      = "authorization:orgTrustee:delete"
	permTrusteeUserView    = "authorization:orgTrusteeUser:view"
	permTrusteeUserAdd     = "authorization:orgTrusteeUser:add"
	permTrusteeUserEdit    = "authorization:orgTrusteeUser:edit"
	permTrusteeUserDelete  = "authorization:orgTrusteeUser:delete"
	permTrusteeGroupView   = "authorization:orgTrusteeGroup:view"
	permTrusteeGroupAdd    = "authorization:orgTrusteeGroup:add"
	permTrusteeGroupEdit   = "authorization:orgTrusteeGroup:edit"
	permTrusteeGroupDelete = "authorization:orgTrusteeGroup:delete"
	permTrustorView        = "authorization:orgTrustor:view"
	permTrustorDelete      = "authorization:orgTrustor:delete"
	permAuditView          = "authorization:audit:view"
	permRoleView           = "authorization:role:view"
	permUserView           = "directory:user:view"
)

// apiOps is every operation the sandbox serves, with the permissions the
// official API documentation names for it. It is the one table of both:
// the routes are registered from it and docs/sandbox.md lists it (a test
// checks that the two agree).
func apiOps() []op {
	const oa = orgAuthPrefix
	return []op{
		// GET /organizations/me needs no permission in the documentation;
		// the users endpoints need directory:user:view.
		{"GET /api/v2/organizations/me", permRule{}, handleOrgMe},
		{"GET /api/v2/authorization/roles", anyOf(permRoleView), handleRoles},
		{"GET /api/v2/users", anyOf(permUserView), handleUsers},
		{"GET /api/v2/users/{userId}", anyOf(permUserView), handleUser},
		{"GET " + oa + "/trustees/care", anyOf(permTrusteeView, permTrusteeUserView), handleCare},

		{"POST " + oa + "/pairings", anyOf(permTrusteeAdd), handleCreatePairing},
		{"GET " + oa + "/pairings/{pairingId}", anyOf(permTrusteeView, permTrustorView), handleGetPairing},

		{"GET " + oa + "/trustees", anyOf(permTrusteeView), handleListTrustees},
		{"POST " + oa + "/trustees", allOf(permTrusteeAdd, permTrusteeUserAdd), handleCreateTrustee},
		{"GET " + oa + "/trustees/{trusteeOrgId}", anyOf(permTrusteeView), handleGetTrustee},
		{"PUT " + oa + "/trustees/{trusteeOrgId}", anyOf(permTrusteeEdit), handleUpdateTrustee},
		{"DELETE " + oa + "/trustees/{trusteeOrgId}", anyOf(permTrusteeDelete), handleDeleteTrustee},
		{"GET " + oa + "/trustees/{trusteeOrgId}/users", anyOf(permTrusteeUserView), handleListTrusteeUsers},
		{"POST " + oa + "/trustees/{trusteeOrgId}/users", anyOf(permTrusteeUserAdd), handleAddTrusteeUser},
		{"GET " + oa + "/trustees/{trusteeOrgId}/users/{trusteeUserId}", anyOf(permTrusteeUserView), handleGetTrusteeUser},
		{"DELETE " + oa + "/trustees/{trusteeOrgId}/users/{trusteeUserId}", anyOf(permTrusteeUserDelete), handleDeleteTrusteeUser},
		{"GET " + oa + "/trustees/{trusteeOrgId}/users/{trusteeUserId}/roles", anyOf(permTrusteeUserView), handleGetRoles},
		{"PUT " + oa + "/trustees/{trusteeOrgId}/users/{trusteeUserId}/roles", anyOf(permTrusteeUserEdit), handleSetRoles},
		{"DELETE " + oa + "/trustees/{trusteeOrgId}/users/{trusteeUserId}/roles", anyOf(permTrusteeUserDelete), handleDeleteRoles},
		{"GET " + oa + "/trustees/{trusteeOrgId}/groups", anyOf(permTrusteeGroupView), handleListTrusteeGroups},
		{"POST " + oa + "/trustees/{trusteeOrgId}/groups", anyOf(permTrusteeGroupAdd), handleAddTrusteeGroup},
		{"GET " + oa + "/trustees/{trusteeOrgId}/groups/{trusteeGroupId}", anyOf(permTrusteeGroupView), handleGetTrusteeGroup},
		{"DELETE " + oa + "/trustees/{trusteeOrgId}/groups/{trusteeGroupId}", anyOf(permTrusteeGroupDelete), handleDeleteTrusteeGroup},
		{"GET " + oa + "/trustees/{trusteeOrgId}/groups/{trusteeGroupId}/roles", anyOf(permTrusteeGroupView), handleGetGroupRoles},
		{"PUT " + oa + "/trustees/{trusteeOrgId}/groups/{trusteeGroupId}/roles", anyOf(permTrusteeGroupEdit), handleSetGroupRoles},
		{"DELETE " + oa + "/trustees/{trusteeOrgId}/groups/{trusteeGroupId}/roles", anyOf(permTrusteeGroupDelete), handleDeleteGroupRoles},

		{"GET " + oa + "/trustors", anyOf(permTrustorView), handleListTrustors},
		{"GET " + oa + "/trustors/{trustorOrgId}", anyOf(permTrustorView), handleGetTrustor},
		{"DELETE " + oa + "/trustors/{trustorOrgId}", anyOf(permTrustorDelete), handleDeleteTrustor},
		{"GET " + oa + "/trustors/{trustorOrgId}/users", anyOf(permTrusteeUserView), handleListTrustorUsers},
		{"GET " + oa + "/trustors/{trustorOrgId}/users/{trusteeUserId}", anyOf(permTrusteeUserView), handleGetTrustorUser},
		{"PUT " + oa + "/trustors/{trustorOrgId}/users/{trusteeUserId}", allOf(permTrusteeUserAdd), handleAddTrustorUser},
		{"DELETE " + oa + "/trustors/{trustorOrgId}/users/{trusteeUserId}", anyOf(permTrusteeUserDelete), handleDeleteTrustorUser},
		{"GET " + oa + "/trustors/{trustorOrgId}/groups", anyOf(permTrusteeGroupView), handleListTrustorGroups},
		{"GET " + oa + "/trustors/{trustorOrgId}/groups/{trustorGroupId}", anyOf(permTrusteeGroupView), handleGetTrustorGroup},
		{"PUT " + oa + "/trustors/{trustorOrgId}/groups/{trustorGroupId}", allOf(permTrusteeGroupAdd), handleAddTrustorGroup},
		{"DELETE " + oa + "/trustors/{trustorOrgId}/groups/{trustorGroupId}", anyOf(permTrusteeGroupDelete), handleDeleteTrustorGroup},

		{"POST " + oa + "/trustees/audits", anyOf(permAuditView), handleTrusteeAudits},
		{"POST " + oa + "/trustor/audits", anyOf(permAuditView), handleTrustorAudits},
	}
}
