// Package permission knows which Genesys Cloud permissions each API
// operation trustsync calls needs, and what trustsync does with it: which
// commands call it and for which part of the desired state. It turns a 403
// answer into a message that says what to grant and why, for example
// "apply needs authorization:orgTrusteeUser:add to add users to trusts
// (trustees[].users)".
//
// [Rules] is the one table of these facts on the client side;
// docs/authentication.md shows it (a test checks that they agree).
package permission

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/trustsync/trustsync/internal/client"
)

// Permission names.
const (
	TrusteeView        = "authorization:orgTrustee:view"
	TrusteeAdd         = "authorization:orgTrustee:add"
	TrusteeEdit        = "authorization:orgTrustee:edit"
	TrusteeDelete      = "authorization:orgTrustee:delete"
	TrusteeUserView    = "authorization:orgTrusteeUser:view"
	TrusteeUserAdd     = "authorization:orgTrusteeUser:add"
	TrusteeUserEdit    = "authorization:orgTrusteeUser:edit"
	TrusteeUserDelete  = "authorization:orgTrusteeUser:delete"
	TrusteeGroupView   = "authorization:orgTrusteeGroup:view"
	TrusteeGroupAdd    = "authorization:orgTrusteeGroup:add"
	TrusteeGroupEdit   = "authorization:orgTrusteeGroup:edit"
	TrusteeGroupDelete = "authorization:orgTrusteeGroup:delete"
	TrustorView        = "authorization:orgTrustor:view"
	TrustorDelete      = "authorization:orgTrustor:delete"
	AuditView          = "authorization:audit:view"
	RoleView           = "authorization:role:view"
	UserView           = "directory:user:view"
)

// Rule is one API operation trustsync calls and what it needs.
type Rule struct {
	// Method and Path name the operation; Path is under /api/v2, with
	// {name} standing for one path segment.
	Method, Path string
	// All is set when every one of Permissions is needed; otherwise any
	// one of them is enough. Permissions is empty when the operation
	// needs none.
	All         bool
	Permissions []string
	// Does says what trustsync does with the operation, completing
	// "needs P to ...".
	Does string
	// Section is the part of the desired state that makes trustsync call
	// the operation ("" when no file is involved).
	Section string
	// Commands are the trustsync commands that may call it.
	Commands []string
}

var (
	reads     = []string{"plan", "apply", "export", "report"}
	planReads = []string{"plan", "apply"}
	writes    = []string{"apply"}
	// withAudit: the audit command lists the trusts when it is not told
	// which to query.
	withAudit = []string{"plan", "apply", "export", "report", "audit"}
	// readBacks are the reads apply makes to confirm its writes.
	readBacks = []string{"apply"}
)

func anyOf(p ...string) []string { return p }

const oa = "/orgauthorization"

// rules is the table behind [Rules].
var rules = []Rule{
	{Method: "GET", Path: "/organizations/me", Does: "learn which organization the credentials belong to", Commands: []string{"every command that connects"}},
	{Method: "GET", Path: "/authorization/roles", Permissions: anyOf(RoleView), Does: "resolve role names and show them", Section: "trustees[].users[].roles, trustees[].groups[].roles", Commands: reads},
	{Method: "GET", Path: "/users", Permissions: anyOf(UserView), Does: "check this org's own users", Section: "trustors[].users", Commands: planReads},
	{Method: "GET", Path: "/users/{userId}", Permissions: anyOf(UserView), Does: "check this org's own users", Section: "trustors[].users", Commands: planReads},

	{Method: "GET", Path: oa + "/trustees/care", Permissions: anyOf(TrusteeView, TrusteeUserView), Does: "find the Genesys Customer Care trusts, which it never changes", Section: "trustees", Commands: reads},
	{Method: "POST", Path: oa + "/pairings", Permissions: anyOf(TrusteeAdd), Does: "create a pairing for another org to trust this one", Commands: []string{"pairing"}},
	{Method: "GET", Path: oa + "/pairings/{pairingId}", Permissions: anyOf(TrusteeView, TrustorView), Does: "check the pairing of a trust to create", Section: "trustees[].pairingId", Commands: []string{"plan", "apply", "pairing"}},

	{Method: "GET", Path: oa + "/trustees", Permissions: anyOf(TrusteeView), Does: "read the trusts this org grants", Section: "trustees", Commands: withAudit},
	{Method: "POST", Path: oa + "/trustees", All: true, Permissions: anyOf(TrusteeAdd, TrusteeUserAdd), Does: "create trusts", Section: "trustees[].pairingId", Commands: writes},
	{Method: "GET", Path: oa + "/trustees/{trusteeOrgId}", Permissions: anyOf(TrusteeView), Does: "read back a trust it created or changed", Section: "trustees", Commands: readBacks},
	{Method: "PUT", Path: oa + "/trustees/{trusteeOrgId}", Permissions: anyOf(TrusteeEdit), Does: "enable or disable trusts and change their expiry", Section: "trustees[].enabled, trustees[].expires", Commands: writes},
	{Method: "DELETE", Path: oa + "/trustees/{trusteeOrgId}", Permissions: anyOf(TrusteeDelete), Does: "remove trusts this org grants", Section: "trustees", Commands: writes},

	{Method: "GET", Path: oa + "/trustees/{trusteeOrgId}/users", Permissions: anyOf(TrusteeUserView), Does: "read the users of trusts", Section: "trustees[].users", Commands: reads},
	{Method: "POST", Path: oa + "/trustees/{trusteeOrgId}/users", Permissions: anyOf(TrusteeUserAdd), Does: "add users to trusts", Section: "trustees[].users", Commands: writes},
	{Method: "GET", Path: oa + "/trustees/{trusteeOrgId}/users/{trusteeUserId}", Permissions: anyOf(TrusteeUserView), Does: "read back a user it added or removed", Section: "trustees[].users", Commands: readBacks},
	{Method: "DELETE", Path: oa + "/trustees/{trusteeOrgId}/users/{trusteeUserId}", Permissions: anyOf(TrusteeUserDelete), Does: "remove users from trusts", Section: "trustees[].users", Commands: writes},
	{Method: "GET", Path: oa + "/trustees/{trusteeOrgId}/users/{trusteeUserId}/roles", Permissions: anyOf(TrusteeUserView), Does: "read the roles of trust users", Section: "trustees[].users[].roles", Commands: reads},
	{Method: "PUT", Path: oa + "/trustees/{trusteeOrgId}/users/{trusteeUserId}/roles", Permissions: anyOf(TrusteeUserEdit), Does: "change the roles of trust users", Section: "trustees[].users[].roles", Commands: writes},
	{Method: "DELETE", Path: oa + "/trustees/{trusteeOrgId}/users/{trusteeUserId}/roles", Permissions: anyOf(TrusteeUserDelete), Does: "take every role from trust users", Section: "trustees[].users[].roles", Commands: writes},

	{Method: "GET", Path: oa + "/trustees/{trusteeOrgId}/groups", Permissions: anyOf(TrusteeGroupView), Does: "read the groups of trusts", Section: "trustees[].groups", Commands: reads},
	{Method: "POST", Path: oa + "/trustees/{trusteeOrgId}/groups", Permissions: anyOf(TrusteeGroupAdd), Does: "add groups to trusts", Section: "trustees[].groups", Commands: writes},
	{Method: "GET", Path: oa + "/trustees/{trusteeOrgId}/groups/{trusteeGroupId}", Permissions: anyOf(TrusteeGroupView), Does: "read back a group it added or removed", Section: "trustees[].groups", Commands: readBacks},
	{Method: "DELETE", Path: oa + "/trustees/{trusteeOrgId}/groups/{trusteeGroupId}", Permissions: anyOf(TrusteeGroupDelete), Does: "remove groups from trusts", Section: "trustees[].groups", Commands: writes},
	{Method: "GET", Path: oa + "/trustees/{trusteeOrgId}/groups/{trusteeGroupId}/roles", Permissions: anyOf(TrusteeGroupView), Does: "read the roles of trust groups", Section: "trustees[].groups[].roles", Commands: reads},
	{Method: "PUT", Path: oa + "/trustees/{trusteeOrgId}/groups/{trusteeGroupId}/roles", Permissions: anyOf(TrusteeGroupEdit), Does: "change the roles of trust groups", Section: "trustees[].groups[].roles", Commands: writes},
	{Method: "DELETE", Path: oa + "/trustees/{trusteeOrgId}/groups/{trusteeGroupId}/roles", Permissions: anyOf(TrusteeGroupDelete), Does: "take every role from trust groups", Section: "trustees[].groups[].roles", Commands: writes},

	{Method: "GET", Path: oa + "/trustors", Permissions: anyOf(TrustorView), Does: "read the trusts other orgs grant this org", Section: "trustors", Commands: withAudit},
	{Method: "GET", Path: oa + "/trustors/{trustorOrgId}", Permissions: anyOf(TrustorView), Does: "read back a trust it left", Section: "trustors", Commands: readBacks},
	{Method: "DELETE", Path: oa + "/trustors/{trustorOrgId}", Permissions: anyOf(TrustorDelete), Does: "leave trusts other orgs grant this org", Section: "trustors", Commands: writes},
	{Method: "GET", Path: oa + "/trustors/{trustorOrgId}/users", Permissions: anyOf(TrusteeUserView), Does: "read this org's users in trusts other orgs grant", Section: "trustors[].users", Commands: reads},
	{Method: "GET", Path: oa + "/trustors/{trustorOrgId}/users/{trusteeUserId}", Permissions: anyOf(TrusteeUserView), Does: "read back one of this org's users it added to or removed from a trust", Section: "trustors[].users", Commands: readBacks},
	{Method: "PUT", Path: oa + "/trustors/{trustorOrgId}/users/{trusteeUserId}", All: true, Permissions: anyOf(TrusteeUserAdd), Does: "add this org's users to trusts other orgs grant", Section: "trustors[].users", Commands: writes},
	{Method: "DELETE", Path: oa + "/trustors/{trustorOrgId}/users/{trusteeUserId}", Permissions: anyOf(TrusteeUserDelete), Does: "remove this org's users from trusts other orgs grant", Section: "trustors[].users", Commands: writes},
	{Method: "GET", Path: oa + "/trustors/{trustorOrgId}/groups", Permissions: anyOf(TrusteeGroupView), Does: "read this org's groups in trusts other orgs grant", Section: "trustors[].groups", Commands: reads},
	{Method: "GET", Path: oa + "/trustors/{trustorOrgId}/groups/{trustorGroupId}", Permissions: anyOf(TrusteeGroupView), Does: "read back one of this org's groups it added to or removed from a trust", Section: "trustors[].groups", Commands: readBacks},
	{Method: "PUT", Path: oa + "/trustors/{trustorOrgId}/groups/{trustorGroupId}", All: true, Permissions: anyOf(TrusteeGroupAdd), Does: "add this org's groups to trusts other orgs grant", Section: "trustors[].groups", Commands: writes},
	{Method: "DELETE", Path: oa + "/trustors/{trustorOrgId}/groups/{trustorGroupId}", Permissions: anyOf(TrusteeGroupDelete), Does: "remove this org's groups from trusts other orgs grant", Section: "trustors[].groups", Commands: writes},

	{Method: "POST", Path: oa + "/trustees/audits", Permissions: anyOf(AuditView), Does: "read the audit log of the trusts this org grants", Commands: []string{"audit", "report"}},
	{Method: "POST", Path: oa + "/trustor/audits", Permissions: anyOf(AuditView), Does: "read the audit log of the trusts other orgs grant this org", Commands: []string{"audit", "report"}},
}

// Rules returns every operation trustsync calls with what it needs, in
// the order docs/authentication.md lists them. The caller may modify the
// result.
func Rules() []Rule {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		out[i] = r.clone()
	}
	return out
}

// clone returns a copy of r that shares no slice with it.
func (r Rule) clone() Rule {
	r.Permissions = slices.Clone(r.Permissions)
	r.Commands = slices.Clone(r.Commands)
	return r
}

// apiPrefix is where every API path starts.
const apiPrefix = "/api/v2"

// Find returns the rule of a request by its method and URL path (with or
// without the /api/v2 prefix, without the query). Where a literal segment
// and a {name} both match (/trustees/care, /trustees/{trusteeOrgId}), the
// literal wins.
func Find(method, path string) (Rule, bool) {
	path = strings.TrimPrefix(path, apiPrefix)
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestLiterals := -1, -1
	for i, r := range rules {
		if !strings.EqualFold(r.Method, method) {
			continue
		}
		if n, ok := match(strings.Split(strings.Trim(r.Path, "/"), "/"), segs); ok && n > bestLiterals {
			best, bestLiterals = i, n
		}
	}
	if best < 0 {
		return Rule{}, false
	}
	return rules[best].clone(), true
}

// match reports whether a path's segments fit a pattern's, and how many
// literal segments matched.
func match(pattern, segs []string) (int, bool) {
	if len(pattern) != len(segs) {
		return 0, false
	}
	n := 0
	for i, p := range pattern {
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			if segs[i] == "" {
				return 0, false
			}
		case p == segs[i]:
			n++
		default:
			return 0, false
		}
	}
	return n, true
}

// Explain returns what to do about a 403 in err's tree: which permissions
// command needs and what for, for example "apply needs
// authorization:orgTrusteeUser:add to add users to trusts
// (trustees[].users)". It names the permissions the answer says are
// missing, else those the operation needs. It returns "" when err holds
// no 403.
func Explain(command string, err error) string {
	ae := forbidden(err)
	if ae == nil {
		return ""
	}
	rule, known := Find(ae.Method, ae.Path)
	missing := ae.MissingPermissions()
	var need string
	switch {
	case len(missing) > 0:
		need = joinAll(missing)
	case known && len(rule.Permissions) > 1 && !rule.All:
		need = "one of " + strings.Join(rule.Permissions, ", ")
	case known && len(rule.Permissions) > 0:
		need = joinAll(rule.Permissions)
	default:
		need = "a permission the service did not name"
	}
	who := command
	if who == "" {
		who = "trustsync"
	}
	if !known {
		return who + " needs " + need + " for " + ae.Method + " " + ae.Path
	}
	msg := who + " needs " + need + " to " + rule.Does
	if rule.Section != "" {
		msg += " (" + rule.Section + ")"
	}
	return msg
}

// Hint is [Explain] with what to do next, as a "hint: " line, or "" when
// err holds no 403.
func Hint(command string, err error) string {
	e := Explain(command, err)
	if e == "" {
		return ""
	}
	return "hint: " + e + "; grant it to the OAuth client's role (docs/authentication.md lists what each command needs), then run again"
}

// forbidden returns the first 403 APIError in err's tree.
func forbidden(err error) *client.APIError {
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusForbidden {
		return ae
	}
	// errors.As stops at the first APIError; a joined error may hold a
	// 403 after another one.
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if ae := forbidden(e); ae != nil {
				return ae
			}
		}
	}
	if u := errors.Unwrap(err); u != nil {
		return forbidden(u)
	}
	return nil
}

// joinAll joins permissions that are all needed: "a", "a and b",
// "a, b and c".
func joinAll(ps []string) string {
	switch len(ps) {
	case 0:
		return ""
	case 1:
		return ps[0]
	}
	return strings.Join(ps[:len(ps)-1], ", ") + " and " + ps[len(ps)-1]
}

// Table renders [Rules] as the Markdown table docs/authentication.md
// shows.
func Table() string {
	var b strings.Builder
	b.WriteString("| API call | permissions | what trustsync does with it | commands |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, r := range rules {
		perms := "none"
		if len(r.Permissions) > 0 {
			quoted := make([]string, len(r.Permissions))
			for i, p := range r.Permissions {
				quoted[i] = "`" + p + "`"
			}
			sep := " or "
			if r.All {
				sep = " **and** "
			}
			perms = strings.Join(quoted, sep)
		}
		does := r.Does
		if r.Section != "" {
			does += " (`" + strings.ReplaceAll(r.Section, ", ", "`, `") + "`)"
		}
		fmt.Fprintf(&b, "| `%s %s` | %s | %s | %s |\n", r.Method, r.Path, perms, does, strings.Join(r.Commands, ", "))
	}
	return b.String()
}
