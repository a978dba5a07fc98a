package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Outcome is how a write ended when it succeeded.
type Outcome int

const (
	// Applied means the service made the change in answer to this call.
	Applied Outcome = iota
	// AlreadyGone means a retried delete was answered 404 after an earlier
	// attempt may have deleted the object (its answer was lost).
	AlreadyGone
	// AlreadyPresent means a retried add was answered 409 after an earlier
	// attempt may have added the object (its answer was lost).
	AlreadyPresent
)

// String returns "applied", "already gone" or "already present".
func (o Outcome) String() string {
	switch o {
	case Applied:
		return "applied"
	case AlreadyGone:
		return "already gone"
	case AlreadyPresent:
		return "already present"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

const orgAuthPath = "/api/v2/orgauthorization"

func esc(s string) string { return url.PathEscape(s) }

func get(path string, query url.Values) request {
	return request{method: http.MethodGet, path: path, query: query, repeatable: true}
}

// GetOrganizationMe returns the caller's organization
// (GET /api/v2/organizations/me).
func (c *Client) GetOrganizationMe(ctx context.Context) (*Organization, error) {
	var o Organization
	if _, err := c.do(ctx, get("/api/v2/organizations/me", nil), &o); err != nil {
		return nil, fmt.Errorf("get own organization: %w", err)
	}
	return &o, nil
}

// ListRoles returns every role of the caller's organization
// (GET /api/v2/authorization/roles, all pages).
func (c *Client) ListRoles(ctx context.Context) ([]Role, error) {
	roles, err := listAll[Role](ctx, c, "/api/v2/authorization/roles", url.Values{"userCount": {"false"}})
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	return roles, nil
}

// MaxUsersPerCall is the most ids [Client.GetUsersByID] sends in one
// request.
const MaxUsersPerCall = 100

// GetUsersByID returns those of the given users of the caller's
// organization that exist (GET /api/v2/users?id=A&id=B, up to
// MaxUsersPerCall ids a call, every page). Users the service returns but
// that were not asked for are dropped; a missing id is simply absent from
// the result.
func (c *Client) GetUsersByID(ctx context.Context, ids []string) ([]User, error) {
	want := make(map[string]bool, len(ids))
	var uniq []string
	for _, id := range ids {
		k := strings.ToLower(id)
		if id != "" && !want[k] {
			want[k] = true
			uniq = append(uniq, id)
		}
	}
	out := []User{}
	for start := 0; start < len(uniq); start += MaxUsersPerCall {
		batch := uniq[start:min(start+MaxUsersPerCall, len(uniq))]
		users, err := listAll[User](ctx, c, "/api/v2/users", url.Values{"id": batch})
		if err != nil {
			return nil, fmt.Errorf("read users %s: %w", batchName(batch), err)
		}
		for _, u := range users {
			if want[strings.ToLower(u.ID)] {
				out = append(out, u)
			}
		}
	}
	return out, nil
}

// batchName names a batch of ids in an error.
func batchName(ids []string) string {
	if len(ids) == 1 {
		return ids[0]
	}
	return fmt.Sprintf("%s and %d more", ids[0], len(ids)-1)
}

// GetUser returns a user of the caller's organization
// (GET /api/v2/users/{userId}).
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	var u User
	if _, err := c.do(ctx, get("/api/v2/users/"+esc(id), nil), &u); err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, err)
	}
	return &u, nil
}

// ListCareTrustees returns the Genesys Customer Care org ids
// (GET /orgauthorization/trustees/care). The answer is read strictly: an
// empty body, null or an entity without id is an error, never "no
// Customer Care orgs", since protection depends on it.
func (c *Client) ListCareTrustees(ctx context.Context) ([]string, error) {
	var l careListing
	if _, err := c.do(ctx, get(orgAuthPath+"/trustees/care", nil), &l); err != nil {
		return nil, fmt.Errorf("list Customer Care orgs: %w", err)
	}
	ids := make([]string, 0, len(l.Entities))
	for _, e := range l.Entities {
		ids = append(ids, e.ID)
	}
	return ids, nil
}

// CreatePairing creates a pairing for the trustor to accept
// (POST /orgauthorization/pairings). It is retried only when it provably
// did not reach the service.
func (c *Client) CreatePairing(ctx context.Context, body TrustRequestCreate) (*TrustRequest, error) {
	var tr TrustRequest
	req := request{method: http.MethodPost, path: orgAuthPath + "/pairings", body: body}
	if _, err := c.do(ctx, req, &tr); err != nil {
		return nil, fmt.Errorf("create pairing: %w", err)
	}
	return &tr, nil
}

// GetPairing reads a pairing (GET /orgauthorization/pairings/{pairingId}).
func (c *Client) GetPairing(ctx context.Context, pairingID string) (*TrustRequest, error) {
	var tr TrustRequest
	if _, err := c.do(ctx, get(orgAuthPath+"/pairings/"+esc(pairingID), nil), &tr); err != nil {
		return nil, fmt.Errorf("get pairing %s: %w", pairingID, err)
	}
	return &tr, nil
}

// ListTrustees returns every org the caller's org trusts
// (GET /orgauthorization/trustees, all pages).
func (c *Client) ListTrustees(ctx context.Context) ([]Trustee, error) {
	ts, err := listAll[Trustee](ctx, c, orgAuthPath+"/trustees", nil)
	if err != nil {
		return nil, fmt.Errorf("list trustees: %w", err)
	}
	return ts, nil
}

// GetTrustee reads a trust the caller's org grants
// (GET /orgauthorization/trustees/{trusteeOrgId}).
func (c *Client) GetTrustee(ctx context.Context, trusteeOrgID string) (*Trustee, error) {
	var t Trustee
	if _, err := c.do(ctx, get(orgAuthPath+"/trustees/"+esc(trusteeOrgID), nil), &t); err != nil {
		return nil, fmt.Errorf("get trustee %s: %w", trusteeOrgID, err)
	}
	return &t, nil
}

// CreateTrustee creates a trust from a pairing
// (POST /orgauthorization/trustees). Being a POST, it is retried only when
// it provably did not reach the service; when an answer is lost the error
// is returned and the caller reads back to learn whether the trust exists.
// With AlreadyPresent (a retry answered 409 after an attempt that may have
// created the trust) the returned Trustee is nil: read it back.
func (c *Client) CreateTrustee(ctx context.Context, body TrustCreate) (*Trustee, Outcome, error) {
	var t Trustee
	req := request{method: http.MethodPost, path: orgAuthPath + "/trustees", body: body}
	res, err := c.do(ctx, req, &t)
	if o, ok := present(res, err); ok {
		return nil, o, nil
	}
	if err != nil {
		return nil, Applied, fmt.Errorf("create trust from pairing %s: %w", body.PairingID, err)
	}
	return &t, Applied, nil
}

// UpdateTrustee sets a trust's enabled flag and expiry
// (PUT /orgauthorization/trustees/{trusteeOrgId}).
func (c *Client) UpdateTrustee(ctx context.Context, trusteeOrgID string, body TrustUpdate) (*Trustee, error) {
	var t Trustee
	req := request{method: http.MethodPut, path: orgAuthPath + "/trustees/" + esc(trusteeOrgID), body: body, repeatable: true}
	if _, err := c.do(ctx, req, &t); err != nil {
		return nil, fmt.Errorf("update trustee %s: %w", trusteeOrgID, err)
	}
	return &t, nil
}

// DeleteTrustee removes a trust the caller's org grants
// (DELETE /orgauthorization/trustees/{trusteeOrgId}).
func (c *Client) DeleteTrustee(ctx context.Context, trusteeOrgID string) (Outcome, error) {
	return c.del(ctx, orgAuthPath+"/trustees/"+esc(trusteeOrgID), "delete trustee "+trusteeOrgID)
}

// ListTrusteeUsers returns the trustee-org users in a trust
// (GET /orgauthorization/trustees/{trusteeOrgId}/users, all pages).
func (c *Client) ListTrusteeUsers(ctx context.Context, trusteeOrgID string) ([]TrustUser, error) {
	us, err := listAll[TrustUser](ctx, c, orgAuthPath+"/trustees/"+esc(trusteeOrgID)+"/users", nil)
	if err != nil {
		return nil, fmt.Errorf("list trustee users of %s: %w", trusteeOrgID, err)
	}
	return us, nil
}

// GetTrusteeUser reads a trustee user of a trust
// (GET /orgauthorization/trustees/{trusteeOrgId}/users/{userId}).
func (c *Client) GetTrusteeUser(ctx context.Context, trusteeOrgID, userID string) (*TrustUser, error) {
	var u TrustUser
	if _, err := c.do(ctx, get(trusteeUserPath(trusteeOrgID, userID), nil), &u); err != nil {
		return nil, fmt.Errorf("get trustee user %s of %s: %w", userID, trusteeOrgID, err)
	}
	return &u, nil
}

// AddTrusteeUser adds a trustee-org user with roles to a trust
// (POST /orgauthorization/trustees/{trusteeOrgId}/users). Being a POST, it
// is retried only when it provably did not reach the service. With
// AlreadyPresent the returned TrustUser is nil: read it back.
func (c *Client) AddTrusteeUser(ctx context.Context, trusteeOrgID string, body TrustMemberCreate) (*TrustUser, Outcome, error) {
	var u TrustUser
	req := request{method: http.MethodPost, path: orgAuthPath + "/trustees/" + esc(trusteeOrgID) + "/users", body: body}
	res, err := c.do(ctx, req, &u)
	if o, ok := present(res, err); ok {
		return nil, o, nil
	}
	if err != nil {
		return nil, Applied, fmt.Errorf("add user %s to trustee %s: %w", body.ID, trusteeOrgID, err)
	}
	return &u, Applied, nil
}

// DeleteTrusteeUser removes a trustee user from a trust
// (DELETE /orgauthorization/trustees/{trusteeOrgId}/users/{userId}).
func (c *Client) DeleteTrusteeUser(ctx context.Context, trusteeOrgID, userID string) (Outcome, error) {
	return c.del(ctx, trusteeUserPath(trusteeOrgID, userID), "remove user "+userID+" from trustee "+trusteeOrgID)
}

// GetTrusteeUserRoles reads the roles a trustee user holds in the trust
// (GET /orgauthorization/trustees/{trusteeOrgId}/users/{userId}/roles).
func (c *Client) GetTrusteeUserRoles(ctx context.Context, trusteeOrgID, userID string) (*UserAuthorization, error) {
	var a UserAuthorization
	if _, err := c.do(ctx, get(trusteeUserPath(trusteeOrgID, userID)+"/roles", nil), &a); err != nil {
		return nil, fmt.Errorf("get roles of user %s in trustee %s: %w", userID, trusteeOrgID, err)
	}
	return &a, nil
}

// SetTrusteeUserRoles sets the roles of a trustee user
// (PUT /orgauthorization/trustees/{trusteeOrgId}/users/{userId}/roles).
// Whether the service replaces or adds to the set is not documented; read
// the roles back to confirm.
func (c *Client) SetTrusteeUserRoles(ctx context.Context, trusteeOrgID, userID string, roleIDs []string) (*UserAuthorization, error) {
	if roleIDs == nil {
		roleIDs = []string{}
	}
	var a UserAuthorization
	req := request{method: http.MethodPut, path: trusteeUserPath(trusteeOrgID, userID) + "/roles", body: roleIDs, repeatable: true}
	if _, err := c.do(ctx, req, &a); err != nil {
		return nil, fmt.Errorf("set roles of user %s in trustee %s: %w", userID, trusteeOrgID, err)
	}
	return &a, nil
}

// DeleteTrusteeUserRoles removes every role of a trustee user
// (DELETE /orgauthorization/trustees/{trusteeOrgId}/users/{userId}/roles).
func (c *Client) DeleteTrusteeUserRoles(ctx context.Context, trusteeOrgID, userID string) (Outcome, error) {
	return c.del(ctx, trusteeUserPath(trusteeOrgID, userID)+"/roles", "remove roles of user "+userID+" in trustee "+trusteeOrgID)
}

// ListTrustors returns every org that trusts the caller's org
// (GET /orgauthorization/trustors, all pages).
func (c *Client) ListTrustors(ctx context.Context) ([]Trustor, error) {
	ts, err := listAll[Trustor](ctx, c, orgAuthPath+"/trustors", nil)
	if err != nil {
		return nil, fmt.Errorf("list trustors: %w", err)
	}
	return ts, nil
}

// GetTrustor reads a trust granted to the caller's org
// (GET /orgauthorization/trustors/{trustorOrgId}).
func (c *Client) GetTrustor(ctx context.Context, trustorOrgID string) (*Trustor, error) {
	var t Trustor
	if _, err := c.do(ctx, get(orgAuthPath+"/trustors/"+esc(trustorOrgID), nil), &t); err != nil {
		return nil, fmt.Errorf("get trustor %s: %w", trustorOrgID, err)
	}
	return &t, nil
}

// DeleteTrustor leaves a trust granted to the caller's org
// (DELETE /orgauthorization/trustors/{trustorOrgId}).
func (c *Client) DeleteTrustor(ctx context.Context, trustorOrgID string) (Outcome, error) {
	return c.del(ctx, orgAuthPath+"/trustors/"+esc(trustorOrgID), "delete trustor "+trustorOrgID)
}

// ListTrustorUsers returns the caller's users in a trust granted to it
// (GET /orgauthorization/trustors/{trustorOrgId}/users, all pages).
func (c *Client) ListTrustorUsers(ctx context.Context, trustorOrgID string) ([]TrustUser, error) {
	us, err := listAll[TrustUser](ctx, c, orgAuthPath+"/trustors/"+esc(trustorOrgID)+"/users", nil)
	if err != nil {
		return nil, fmt.Errorf("list trustor users of %s: %w", trustorOrgID, err)
	}
	return us, nil
}

// GetTrustorUser reads one of the caller's users in a trust
// (GET /orgauthorization/trustors/{trustorOrgId}/users/{userId}).
func (c *Client) GetTrustorUser(ctx context.Context, trustorOrgID, userID string) (*TrustUser, error) {
	var u TrustUser
	if _, err := c.do(ctx, get(trustorUserPath(trustorOrgID, userID), nil), &u); err != nil {
		return nil, fmt.Errorf("get trustor user %s of %s: %w", userID, trustorOrgID, err)
	}
	return &u, nil
}

// AddTrustorUser adds one of the caller's users to a trust granted to it
// (PUT /orgauthorization/trustors/{trustorOrgId}/users/{userId}). A retry
// answered 409 after an attempt whose answer was lost returns
// AlreadyPresent and a nil TrustUser: read it back.
func (c *Client) AddTrustorUser(ctx context.Context, trustorOrgID, userID string) (*TrustUser, Outcome, error) {
	var u TrustUser
	req := request{method: http.MethodPut, path: trustorUserPath(trustorOrgID, userID), repeatable: true}
	res, err := c.do(ctx, req, &u)
	if o, ok := present(res, err); ok {
		return nil, o, nil
	}
	if err != nil {
		return nil, Applied, fmt.Errorf("add user %s to trustor %s: %w", userID, trustorOrgID, err)
	}
	return &u, Applied, nil
}

// DeleteTrustorUser removes one of the caller's users from a trust granted
// to it (DELETE /orgauthorization/trustors/{trustorOrgId}/users/{userId}).
func (c *Client) DeleteTrustorUser(ctx context.Context, trustorOrgID, userID string) (Outcome, error) {
	return c.del(ctx, trustorUserPath(trustorOrgID, userID), "remove user "+userID+" from trustor "+trustorOrgID)
}

// QueryTrusteeAudits reads one page of audit entries about trustees
// (POST /orgauthorization/trustees/audits). The POST only reads, so it is
// retried like a GET.
func (c *Client) QueryTrusteeAudits(ctx context.Context, q TrusteeAuditQuery, opts AuditPageOptions) (*AuditPage, error) {
	if q.TrusteeUserIDs == nil {
		q.TrusteeUserIDs = []string{}
	}
	if q.TrusteeOrganizationIDs == nil {
		q.TrusteeOrganizationIDs = []string{}
	}
	var p AuditPage
	req := request{method: http.MethodPost, path: orgAuthPath + "/trustees/audits", query: opts.query(), body: q, repeatable: true}
	if _, err := c.do(ctx, req, &p); err != nil {
		return nil, fmt.Errorf("query trustee audits: %w", err)
	}
	return &p, nil
}

// QueryTrustorAudits reads one page of audit entries about a trustor
// (POST /orgauthorization/trustor/audits, singular in the API).
func (c *Client) QueryTrustorAudits(ctx context.Context, q TrustorAuditQuery, opts AuditPageOptions) (*AuditPage, error) {
	if q.TrusteeUserIDs == nil {
		q.TrusteeUserIDs = []string{}
	}
	var p AuditPage
	req := request{method: http.MethodPost, path: orgAuthPath + "/trustor/audits", query: opts.query(), body: q, repeatable: true}
	if _, err := c.do(ctx, req, &p); err != nil {
		return nil, fmt.Errorf("query trustor audits of %s: %w", q.TrustorOrganizationID, err)
	}
	return &p, nil
}

func (o AuditPageOptions) query() url.Values {
	q := url.Values{}
	n, size := o.PageNumber, o.PageSize
	if n <= 0 {
		n = 1
	}
	if size <= 0 {
		size = 100
	}
	q.Set("pageNumber", strconv.Itoa(n))
	q.Set("pageSize", strconv.Itoa(size))
	if o.SortBy != "" {
		q.Set("sortBy", o.SortBy)
	}
	if o.SortOrder != "" {
		q.Set("sortOrder", o.SortOrder)
	}
	return q
}

func trusteeUserPath(orgID, userID string) string {
	return orgAuthPath + "/trustees/" + esc(orgID) + "/users/" + esc(userID)
}

func trustorUserPath(orgID, userID string) string {
	return orgAuthPath + "/trustors/" + esc(orgID) + "/users/" + esc(userID)
}

// del sends a DELETE; a 404 after an attempt that may have deleted the
// object is AlreadyGone.
func (c *Client) del(ctx context.Context, path, what string) (Outcome, error) {
	res, err := c.do(ctx, request{method: http.MethodDelete, path: path, repeatable: true}, nil)
	if err != nil {
		if res.mayHaveApplied && res.attempts > 1 && IsNotFound(err) {
			return AlreadyGone, nil
		}
		return Applied, fmt.Errorf("%s: %w", what, err)
	}
	return Applied, nil
}

// present maps a 409 after an attempt that may have added the object to
// AlreadyPresent.
func present(res result, err error) (Outcome, bool) {
	if err != nil && res.mayHaveApplied && res.attempts > 1 && IsConflict(err) {
		return AlreadyPresent, true
	}
	return Applied, false
}

func trusteeGroupPath(orgID, groupID string) string {
	return orgAuthPath + "/trustees/" + esc(orgID) + "/groups/" + esc(groupID)
}

func trustorGroupPath(orgID, groupID string) string {
	return orgAuthPath + "/trustors/" + esc(orgID) + "/groups/" + esc(groupID)
}

// ListTrusteeGroups returns the trustee-org groups in a trust
// (GET /orgauthorization/trustees/{trusteeOrgId}/groups, all pages).
func (c *Client) ListTrusteeGroups(ctx context.Context, trusteeOrgID string) ([]TrustGroup, error) {
	gs, err := listAll[TrustGroup](ctx, c, orgAuthPath+"/trustees/"+esc(trusteeOrgID)+"/groups", nil)
	if err != nil {
		return nil, fmt.Errorf("list groups of trustee %s: %w", trusteeOrgID, err)
	}
	return gs, nil
}

// AddTrusteeGroup adds a trustee-org group with roles to a trust
// (POST /orgauthorization/trustees/{trusteeOrgId}/groups). Being a POST, it
// is retried only when it provably did not reach the service. With
// AlreadyPresent the returned TrustGroup is nil: read it back.
func (c *Client) AddTrusteeGroup(ctx context.Context, trusteeOrgID string, body TrustMemberCreate) (*TrustGroup, Outcome, error) {
	var g TrustGroup
	req := request{method: http.MethodPost, path: orgAuthPath + "/trustees/" + esc(trusteeOrgID) + "/groups", body: body}
	res, err := c.do(ctx, req, &g)
	if o, ok := present(res, err); ok {
		return nil, o, nil
	}
	if err != nil {
		return nil, Applied, fmt.Errorf("add group %s to trustee %s: %w", body.ID, trusteeOrgID, err)
	}
	return &g, Applied, nil
}

// GetTrusteeGroup reads a trustee-org group of a trust
// (GET /orgauthorization/trustees/{trusteeOrgId}/groups/{trusteeGroupId}).
func (c *Client) GetTrusteeGroup(ctx context.Context, trusteeOrgID, groupID string) (*TrustGroup, error) {
	var g TrustGroup
	if _, err := c.do(ctx, get(trusteeGroupPath(trusteeOrgID, groupID), nil), &g); err != nil {
		return nil, fmt.Errorf("get group %s of trustee %s: %w", groupID, trusteeOrgID, err)
	}
	return &g, nil
}

// DeleteTrusteeGroup removes a group from a trust
// (DELETE /orgauthorization/trustees/{trusteeOrgId}/groups/{trusteeGroupId}).
func (c *Client) DeleteTrusteeGroup(ctx context.Context, trusteeOrgID, groupID string) (Outcome, error) {
	return c.del(ctx, trusteeGroupPath(trusteeOrgID, groupID), "remove group "+groupID+" from trustee "+trusteeOrgID)
}

// GetTrusteeGroupRoles reads the roles a group holds in the trust
// (GET /orgauthorization/trustees/{trusteeOrgId}/groups/{trusteeGroupId}/roles).
func (c *Client) GetTrusteeGroupRoles(ctx context.Context, trusteeOrgID, groupID string) (*UserAuthorization, error) {
	var a UserAuthorization
	if _, err := c.do(ctx, get(trusteeGroupPath(trusteeOrgID, groupID)+"/roles", nil), &a); err != nil {
		return nil, fmt.Errorf("get roles of group %s in trustee %s: %w", groupID, trusteeOrgID, err)
	}
	return &a, nil
}

// SetTrusteeGroupRoles sets the roles of a group in a trust
// (PUT /orgauthorization/trustees/{trusteeOrgId}/groups/{trusteeGroupId}/roles).
// As for users, read the roles back to confirm.
func (c *Client) SetTrusteeGroupRoles(ctx context.Context, trusteeOrgID, groupID string, roleIDs []string) (*UserAuthorization, error) {
	if roleIDs == nil {
		roleIDs = []string{}
	}
	var a UserAuthorization
	req := request{method: http.MethodPut, path: trusteeGroupPath(trusteeOrgID, groupID) + "/roles", body: roleIDs, repeatable: true}
	if _, err := c.do(ctx, req, &a); err != nil {
		return nil, fmt.Errorf("set roles of group %s in trustee %s: %w", groupID, trusteeOrgID, err)
	}
	return &a, nil
}

// DeleteTrusteeGroupRoles removes every role of a group in a trust
// (DELETE /orgauthorization/trustees/{trusteeOrgId}/groups/{trusteeGroupId}/roles).
func (c *Client) DeleteTrusteeGroupRoles(ctx context.Context, trusteeOrgID, groupID string) (Outcome, error) {
	return c.del(ctx, trusteeGroupPath(trusteeOrgID, groupID)+"/roles", "remove roles of group "+groupID+" in trustee "+trusteeOrgID)
}

// ListTrustorGroups returns the caller's groups in a trust granted to it
// (GET /orgauthorization/trustors/{trustorOrgId}/groups, all pages).
func (c *Client) ListTrustorGroups(ctx context.Context, trustorOrgID string) ([]TrustGroup, error) {
	gs, err := listAll[TrustGroup](ctx, c, orgAuthPath+"/trustors/"+esc(trustorOrgID)+"/groups", nil)
	if err != nil {
		return nil, fmt.Errorf("list groups of trustor %s: %w", trustorOrgID, err)
	}
	return gs, nil
}

// GetTrustorGroup reads one of the caller's groups in a trust
// (GET /orgauthorization/trustors/{trustorOrgId}/groups/{trustorGroupId}).
func (c *Client) GetTrustorGroup(ctx context.Context, trustorOrgID, groupID string) (*TrustGroup, error) {
	var g TrustGroup
	if _, err := c.do(ctx, get(trustorGroupPath(trustorOrgID, groupID), nil), &g); err != nil {
		return nil, fmt.Errorf("get group %s of trustor %s: %w", groupID, trustorOrgID, err)
	}
	return &g, nil
}

// AddTrustorGroup adds one of the caller's groups to a trust granted to it
// (PUT /orgauthorization/trustors/{trustorOrgId}/groups/{trustorGroupId}).
// A retry answered 409 after an attempt whose answer was lost returns
// AlreadyPresent and a nil TrustGroup: read it back.
func (c *Client) AddTrustorGroup(ctx context.Context, trustorOrgID, groupID string) (*TrustGroup, Outcome, error) {
	var g TrustGroup
	req := request{method: http.MethodPut, path: trustorGroupPath(trustorOrgID, groupID), repeatable: true}
	res, err := c.do(ctx, req, &g)
	if o, ok := present(res, err); ok {
		return nil, o, nil
	}
	if err != nil {
		return nil, Applied, fmt.Errorf("add group %s to trustor %s: %w", groupID, trustorOrgID, err)
	}
	return &g, Applied, nil
}

// DeleteTrustorGroup removes one of the caller's groups from a trust
// granted to it (DELETE /orgauthorization/trustors/{trustorOrgId}/groups/{trustorGroupId}).
func (c *Client) DeleteTrustorGroup(ctx context.Context, trustorOrgID, groupID string) (Outcome, error) {
	return c.del(ctx, trustorGroupPath(trustorOrgID, groupID), "remove group "+groupID+" from trustor "+trustorOrgID)
}
