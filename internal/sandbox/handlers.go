package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	defaultPageSize = 25
	maxPageSize     = 100
	orgAuthPrefix   = "/api/v2/orgauthorization"
)

// page is a requested listing page.
type page struct{ size, number int }

// parsePage reads pageSize and pageNumber from q.
func parsePage(q url.Values) (page, error) {
	p := page{size: defaultPageSize, number: 1}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, invalidField("pageSize", "pageSize must be a whole number from 1 to %d, got %q", maxPageSize, v)
		}
		if n > maxPageSize {
			return p, invalidField("pageSize", "pageSize %d is above the maximum of %d", n, maxPageSize)
		}
		p.size = n
	}
	if v := q.Get("pageNumber"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, invalidField("pageNumber", "pageNumber must be a whole number from 1, got %q", v)
		}
		p.number = n
	}
	return p, nil
}

// window returns the items of page p and the page count.
func window[T any](items []T, p page) ([]T, int) {
	pageCount := (len(items) + p.size - 1) / p.size
	start := (p.number - 1) * p.size
	if start >= len(items) {
		return []T{}, pageCount
	}
	end := min(start+p.size, len(items))
	return slices.Clone(items[start:end]), pageCount
}

// paginate builds a listing of page p of items. Its URIs start, as the
// service's do, with pageSize then pageNumber, followed by the request's
// other query parameters sorted by name (each name's values in request
// order).
func paginate[T any](c *call, items []T, p page) entityListing[T] {
	ents, pageCount := window(items, p)
	rest := c.r.URL.Query()
	rest.Del("pageSize")
	rest.Del("pageNumber")
	tail := rest.Encode()
	if tail != "" {
		tail = "&" + tail
	}
	uri := func(n int) string {
		return c.r.URL.EscapedPath() + "?pageSize=" + strconv.Itoa(p.size) + "&pageNumber=" + strconv.Itoa(n) + tail
	}
	l := entityListing[T]{
		Entities:   nonNil(ents),
		PageSize:   p.size,
		PageNumber: p.number,
		Total:      len(items),
		PageCount:  pageCount,
		FirstURI:   uri(1),
		SelfURI:    uri(p.number),
		LastURI:    uri(max(pageCount, 1)),
	}
	if p.number < pageCount {
		l.NextURI = uri(p.number + 1)
	}
	if p.number > 1 {
		l.PreviousURI = uri(min(p.number-1, max(pageCount, 1)))
	}
	return l
}

// Wire views.

func orgWire(o *orgRec) wireOrg {
	return wireOrg{ID: o.ID, Name: o.Name, SelfURI: "/api/v2/organizations/" + o.ID}
}

// actorWire is the OrgUser of a createdBy: the user, or for a
// client-credentials caller the client (its id as id and name).
func (c *call) actorWire(a *actor) *orgUser {
	if a == nil {
		return nil
	}
	u := &orgUser{ID: a.ClientID, Name: a.ClientID}
	if a.UserID != "" {
		u = &orgUser{ID: a.UserID, Name: c.st.userByID[a.UserID].user.Name}
	}
	if o := c.st.orgByID[a.OrgID]; o != nil {
		w := orgWire(o)
		u.Organization = &w
	}
	return u
}

// me is the caller as an actor: client-credentials tokens act as their
// OAuth client.
func (c *call) me() *actor { return &actor{ClientID: c.clientID, OrgID: c.org.ID} }

func userWire(u FixtureUser) wireUser {
	return wireUser{ID: u.ID, Name: u.Name, Email: u.Email, Username: u.Email, State: "active", Version: 1, SelfURI: "/api/v2/users/" + u.ID}
}

func (c *call) trusteeView(t *trustRec) trustee {
	return trustee{
		ID:              t.Trustee,
		Enabled:         t.Enabled,
		UsesDefaultRole: t.UsesDefaultRole,
		HasFullAccess:   t.HasFullAccess,
		IsTrustedUser:   t.IsTrustedUser,
		DateCreated:     wireTime(t.DateCreated),
		DateExpired:     timePtr(t.DateExpired),
		CreatedBy:       c.actorWire(t.CreatedBy),
		Organization:    orgWire(c.st.orgByID[t.Trustee]),
		SelfURI:         orgAuthPrefix + "/trustees/" + t.Trustee,
	}
}

func (c *call) trustorView(t *trustRec) trustor {
	return trustor{
		ID:            t.Trustor,
		Enabled:       t.Enabled,
		DateCreated:   wireTime(t.DateCreated),
		CreatedBy:     c.actorWire(t.CreatedBy),
		Organization:  orgWire(c.st.orgByID[t.Trustor]),
		Authorization: trustorAuthorized{Permissions: []string{}},
		SelfURI:       orgAuthPrefix + "/trustors/" + t.Trustor,
	}
}

func (c *call) trustUserView(m *memberRec) trustUser {
	u := c.st.userByID[m.ID].user
	return trustUser{
		ID: u.ID, Name: u.Name, Email: u.Email, Username: u.Email, State: "active", Version: 1,
		TrustUserDetails: trustUserDetails{DateCreated: wireTime(m.DateCreated), CreatedBy: c.actorWire(m.CreatedBy)},
	}
}

func (c *call) trustGroupView(m *memberRec) trustGroup {
	g := c.st.groupByID[m.ID].group
	return trustGroup{
		ID: g.ID, Name: g.Name, Description: g.Description, MemberCount: len(g.Members),
		State: "active", Version: 1, Type: "official", Visibility: "public",
		DateCreated: wireTime(m.DateCreated), CreatedBy: c.actorWire(m.CreatedBy),
		SelfURI: "/api/v2/groups/" + g.ID,
	}
}

func (c *call) userAuth(m *memberRec) userAuthorization {
	roles := make([]roleRef, 0, len(m.RoleIDs))
	for _, id := range m.RoleIDs {
		roles = append(roles, roleRef{ID: id, Name: c.st.roleByID[id].role.Name})
	}
	return userAuthorization{Roles: roles, UnusedRoles: []roleRef{}, Permissions: []string{}, PermissionPolicies: []any{}}
}

// Lookups that answer 404 for the caller.

// asTrustor finds the trust where the caller is trustor and trusteeID the
// trustee.
func (c *call) asTrustor(trusteeID string) (*trustRec, error) {
	if t := c.st.findTrust(c.org.ID, trusteeID); t != nil {
		return t, nil
	}
	return nil, notFound("organization %s is not a trustee of organization %s", trusteeID, c.org.ID)
}

// asTrustee finds the trust where the caller is trustee and trustorID the
// trustor.
func (c *call) asTrustee(trustorID string) (*trustRec, error) {
	if t := c.st.findTrust(trustorID, c.org.ID); t != nil {
		return t, nil
	}
	return nil, notFound("organization %s is not a trustor of organization %s", trustorID, c.org.ID)
}

// memberOf finds userID in t.
func memberOf(t *trustRec, userID string) (*memberRec, error) {
	if m := t.member(userID); m != nil {
		return m, nil
	}
	return nil, notFound("user %s is not in the trust between trustor %s and trustee %s", userID, t.Trustor, t.Trustee)
}

// groupOf finds groupID in t.
func groupOf(t *trustRec, groupID string) (*memberRec, error) {
	if m := t.group(groupID); m != nil {
		return m, nil
	}
	return nil, notFound("group %s is not in the trust between trustor %s and trustee %s", groupID, t.Trustor, t.Trustee)
}

// checkRoles checks that every id is a role of the caller (the trustor)
// and returns them without repeats, in order.
func (c *call) checkRoles(field string, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		r, ok := c.st.roleByID[id]
		if !ok || r.org != c.org {
			return nil, invalidEntity(field, id, "role %q is not a role of organization %s (the trustor)", id, c.org.ID)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// isUserOf reports whether userID is a user of org.
func (c *call) isUserOf(userID string, org *orgRec) bool {
	u, ok := c.st.userByID[userID]
	return ok && u.org == org
}

// isGroupOf reports whether groupID is a group of org.
func (c *call) isGroupOf(groupID string, org *orgRec) bool {
	g, ok := c.st.groupByID[groupID]
	return ok && g.org == org
}

// checkRoom answers 400 when t cannot take one more member (users and
// groups count together).
func (c *call) checkRoom(t *trustRec, field, id, other string) error {
	if t.memberCount() >= c.st.MaxUsersPerTrust {
		return invalidEntity(field, id, "the trust with organization %s already holds the maximum of %d members (users and groups together)", other, c.st.MaxUsersPerTrust)
	}
	return nil
}

// parseDate reads an optional ISO-8601 (RFC 3339) date-time field.
func parseDate(field string, v *string) (*time.Time, error) {
	if v == nil || *v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return nil, invalidField(field, "%s %q is not an ISO-8601 date-time such as 2027-06-30T00:00:00.000Z", field, *v)
	}
	t = t.UTC().Truncate(time.Millisecond)
	return &t, nil
}

// Organizations, roles and users of the caller.

func handleOrgMe(c *call) (int, any, error) {
	o := orgWire(c.org)
	o.DefaultLanguage, o.State, o.Version = "en-us", "active", 1
	return http.StatusOK, o, nil
}

func handleRoles(c *call) (int, any, error) {
	q := c.r.URL.Query()
	p, err := parsePage(q)
	if err != nil {
		return 0, nil, err
	}
	withCount := false
	if v := q.Get("userCount"); v != "" {
		b, perr := strconv.ParseBool(v)
		if perr != nil {
			return 0, nil, invalidField("userCount", "userCount must be true or false, got %q", v)
		}
		withCount = b
	}
	name := strings.ToLower(q.Get("name"))
	roles := []wireRole{}
	for _, r := range c.org.Roles {
		if name != "" && !strings.Contains(strings.ToLower(r.Name), name) {
			continue
		}
		w := wireRole{ID: r.ID, Name: r.Name, Permissions: []string{}, SelfURI: "/api/v2/authorization/roles/" + r.ID}
		if withCount {
			n := 0
			for _, t := range c.st.Trusts {
				if t.Trustor != c.org.ID {
					continue
				}
				for _, m := range t.Users {
					if slices.Contains(m.RoleIDs, r.ID) {
						n++
					}
				}
			}
			w.UserCount = &n
		}
		roles = append(roles, w)
	}
	return http.StatusOK, paginate(c, roles, p), nil
}

// maxUserIDs is how many ids GET /users?id=... may name.
const maxUserIDs = 100

// handleUsers lists the caller's users, or with id parameters (repeated,
// or comma-separated) only those of them, in the order asked; ids that are
// not the caller's users are left out.
func handleUsers(c *call) (int, any, error) {
	q := c.r.URL.Query()
	p, err := parsePage(q)
	if err != nil {
		return 0, nil, err
	}
	users := make([]wireUser, 0, len(c.org.Users))
	if _, filtered := q["id"]; filtered {
		var ids []string
		for _, v := range q["id"] {
			for id := range strings.SplitSeq(v, ",") {
				if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
		if len(ids) > maxUserIDs {
			return 0, nil, invalidField("id", "at most %d ids may be given, got %d", maxUserIDs, len(ids))
		}
		for _, id := range ids {
			if c.isUserOf(id, c.org) {
				users = append(users, userWire(c.st.userByID[id].user))
			}
		}
		return http.StatusOK, paginate(c, users, p), nil
	}
	for _, u := range c.org.Users {
		users = append(users, userWire(u))
	}
	return http.StatusOK, paginate(c, users, p), nil
}

func handleUser(c *call) (int, any, error) {
	id := c.r.PathValue("userId")
	if !c.isUserOf(id, c.org) {
		return 0, nil, notFound("user %s not found in organization %s", id, c.org.ID)
	}
	return http.StatusOK, userWire(c.st.userByID[id].user), nil
}

func handleCare(c *call) (int, any, error) {
	out := careListing{Entities: []wireEntityRef{}}
	for _, o := range c.st.Orgs {
		if o.Care {
			out.Entities = append(out.Entities, wireEntityRef{ID: o.ID, SelfURI: "/api/v2/organizations/" + o.ID})
		}
	}
	return http.StatusOK, out, nil
}

// Pairings.

func (c *call) pairingView(p *pairingRec) trustRequest {
	org := c.st.orgByID[p.Trustee]
	users := make([]orgUser, 0, len(p.UserIDs))
	for _, id := range p.UserIDs {
		u := c.st.userByID[id].user
		users = append(users, orgUser{ID: u.ID, Name: u.Name})
	}
	groups := make([]groupRef, 0, len(p.GroupIDs))
	for _, id := range p.GroupIDs {
		g := c.st.groupByID[id].group
		groups = append(groups, groupRef{ID: g.ID, Name: g.Name, SelfURI: "/api/v2/groups/" + g.ID})
	}
	return trustRequest{
		ID:          p.ID,
		CreatedBy:   c.actorWire(p.CreatedBy),
		DateCreated: wireTime(p.DateCreated),
		Trustee:     orgWire(org),
		Users:       users,
		Groups:      groups,
		SelfURI:     orgAuthPrefix + "/pairings/" + p.ID,
	}
}

// expired reports whether pairing p can no longer be used at now.
func expired(p *pairingRec, now time.Time) bool { return now.Sub(p.DateCreated) >= PairingTTL }

func handleCreatePairing(c *call) (int, any, error) {
	var req pairingCreate
	if err := decodeJSON(c.body, &req); err != nil {
		return 0, nil, err
	}
	if len(req.UserIDs) == 0 && len(req.GroupIDs) == 0 {
		return 0, nil, invalidField("userIds", "a pairing needs at least one user (userIds) or group (groupIds)")
	}
	userIDs, err := uniqueIDs("userIds", req.UserIDs, "user", func(id string) bool { return c.isUserOf(id, c.org) }, c.org.ID)
	if err != nil {
		return 0, nil, err
	}
	groupIDs, err := uniqueIDs("groupIds", req.GroupIDs, "group", func(id string) bool { return c.isGroupOf(id, c.org) }, c.org.ID)
	if err != nil {
		return 0, nil, err
	}
	if n := len(userIDs) + len(groupIDs); n > c.st.MaxUsersPerTrust {
		return 0, nil, invalidField("userIds", "a trust holds at most %d members (users and groups together), the pairing names %d", c.st.MaxUsersPerTrust, n)
	}
	p := &pairingRec{ID: newUUID(), Trustee: c.org.ID, UserIDs: userIDs, GroupIDs: groupIDs, DateCreated: c.now, CreatedBy: c.me()}
	// Expired pairings are of no use to anyone: drop them as new ones come.
	c.st.Pairings = slices.DeleteFunc(c.st.Pairings, func(old *pairingRec) bool {
		if expired(old, c.now) {
			delete(c.st.pairByID, old.ID)
			return true
		}
		return false
	})
	c.st.Pairings = append(c.st.Pairings, p)
	c.st.pairByID[p.ID] = p
	c.mutated = true
	c.auditPairing(p)
	return http.StatusOK, c.pairingView(p), nil
}

// uniqueIDs checks that each id is one of the caller's (ok) and listed
// once, and returns them in order.
func uniqueIDs(field string, ids []string, kind string, ok func(string) bool, orgID string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !ok(id) {
			return nil, invalidEntity(field, id, "%s %q is not a %s of organization %s", kind, id, kind, orgID)
		}
		if slices.Contains(out, id) {
			return nil, invalidEntity(field, id, "%s %q is listed twice", kind, id)
		}
		out = append(out, id)
	}
	return out, nil
}

// handleGetPairing answers a pairing by id. An expired pairing is 404, as
// if it had never existed: the stricter of the answers the service might
// give, so that no client comes to rely on telling the two apart.
func handleGetPairing(c *call) (int, any, error) {
	id := c.r.PathValue("pairingId")
	p := c.st.pairByID[id]
	if p == nil || expired(p, c.now) {
		return 0, nil, notFound("pairing %s not found (it may have expired: pairings last 48 hours)", id)
	}
	return http.StatusOK, c.pairingView(p), nil
}

// Trustees: the caller is the trustor.

func handleListTrustees(c *call) (int, any, error) {
	p, err := parsePage(c.r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	var out []trustee
	for _, t := range c.st.Trusts {
		if t.Trustor == c.org.ID {
			out = append(out, c.trusteeView(t))
		}
	}
	return http.StatusOK, paginate(c, out, p), nil
}

// newMembers checks the users or groups of a TrustCreate (kind "users" or
// "groups") against the trustee org and the caller's roles.
func (c *call) newMembers(kind string, reqs []memberCreate, trusteeOrg *orgRec) ([]*memberRec, error) {
	var out []*memberRec
	for i, u := range reqs {
		field := fmt.Sprintf("%s[%d].id", kind, i)
		if u.ID == nil || *u.ID == "" {
			return nil, missingField(field)
		}
		switch {
		case kind == "users" && !c.isUserOf(*u.ID, trusteeOrg):
			return nil, invalidEntity(field, *u.ID, "user %q is not a user of the trustee organization %s", *u.ID, trusteeOrg.ID)
		case kind == "groups" && !c.isGroupOf(*u.ID, trusteeOrg):
			return nil, invalidEntity(field, *u.ID, "group %q is not a group of the trustee organization %s", *u.ID, trusteeOrg.ID)
		}
		if findMember(out, *u.ID) != nil {
			return nil, invalidEntity(field, *u.ID, "%q is listed twice in %s", *u.ID, kind)
		}
		if len(u.RoleDivisions) > 0 {
			return nil, invalidField(fmt.Sprintf("%s[%d].roleDivisions", kind, i), "roleDivisions are not supported: the sandbox has no divisions; use roleIds")
		}
		roles, err := c.checkRoles(fmt.Sprintf("%s[%d].roleIds", kind, i), u.RoleIDs)
		if err != nil {
			return nil, err
		}
		out = append(out, &memberRec{ID: *u.ID, RoleIDs: roles, DateCreated: c.now, CreatedBy: c.me()})
	}
	return nonNil(out), nil
}

func handleCreateTrustee(c *call) (int, any, error) {
	var req trustCreate
	if err := decodeJSON(c.body, &req); err != nil {
		return 0, nil, err
	}
	if req.PairingID == nil || *req.PairingID == "" {
		return 0, nil, missingField("pairingId")
	}
	if req.Enabled == nil {
		return 0, nil, missingField("enabled")
	}
	var users, groups []memberCreate
	if req.Users != nil {
		users = *req.Users
	}
	if req.Groups != nil {
		groups = *req.Groups
	}
	exp, err := parseDate("dateExpired", req.DateExpired)
	if err != nil {
		return 0, nil, err
	}
	p := c.st.pairByID[*req.PairingID]
	if p == nil {
		return 0, nil, notFound("pairing %s not found", *req.PairingID)
	}
	if expired(p, c.now) {
		return 0, nil, invalidEntity("pairingId", p.ID, "pairing %s expired at %s (pairings last 48 hours); ask the trustee org for a new one", p.ID, formatTime(p.DateCreated.Add(PairingTTL)))
	}
	if p.Trustee == c.org.ID {
		return 0, nil, invalidEntity("pairingId", p.ID, "pairing %s was created by organization %s itself; an organization cannot trust itself", p.ID, c.org.ID)
	}
	if p.UsedBy != "" {
		return 0, nil, conflict("pairing %s has already been used", p.ID)
	}
	if c.st.findTrust(c.org.ID, p.Trustee) != nil {
		return 0, nil, conflict("organization %s already trusts organization %s", c.org.ID, p.Trustee)
	}
	if len(users) == 0 && len(groups) == 0 {
		return 0, nil, invalidField("users", "a trust needs at least one member: if no users are specified, at least one group is required")
	}
	trusteeOrg := c.st.orgByID[p.Trustee]
	userRecs, err := c.newMembers("users", users, trusteeOrg)
	if err != nil {
		return 0, nil, err
	}
	groupRecs, err := c.newMembers("groups", groups, trusteeOrg)
	if err != nil {
		return 0, nil, err
	}
	if n := len(userRecs) + len(groupRecs); n > c.st.MaxUsersPerTrust {
		return 0, nil, invalidField("users", "a trust holds at most %d members (users and groups together), the request names %d", c.st.MaxUsersPerTrust, n)
	}
	t := &trustRec{
		Trustor:     c.org.ID,
		Trustee:     p.Trustee,
		Enabled:     *req.Enabled,
		DateCreated: c.now,
		DateExpired: exp,
		CreatedBy:   c.me(),
		Users:       userRecs,
		Groups:      groupRecs,
	}
	c.st.Trusts = append(c.st.Trusts, t)
	p.UsedBy = c.org.ID
	c.mutated = true
	changes := []PropertyChange{change("enabled", nil, []string{strconv.FormatBool(t.Enabled)})}
	if exp != nil {
		changes = append(changes, change("dateExpired", nil, []string{formatTime(*exp)}))
	}
	c.audit(entityTrustee, actionCreate, t, "", "", changes)
	for _, m := range userRecs {
		c.audit(entityTrusteeUser, actionCreate, t, ctxUserID, m.ID, roleChange(nil, m.RoleIDs))
	}
	for _, m := range groupRecs {
		c.audit(entityTrusteeGroup, actionCreate, t, ctxGroupID, m.ID, roleChange(nil, m.RoleIDs))
	}
	return http.StatusOK, c.trusteeView(t), nil
}

func handleGetTrustee(c *call) (int, any, error) {
	t, err := c.asTrustor(c.r.PathValue("trusteeOrgId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.trusteeView(t), nil
}

func handleUpdateTrustee(c *call) (int, any, error) {
	t, err := c.asTrustor(c.r.PathValue("trusteeOrgId"))
	if err != nil {
		return 0, nil, err
	}
	var req trustUpdate
	if err := decodeJSON(c.body, &req); err != nil {
		return 0, nil, err
	}
	if req.Enabled == nil {
		return 0, nil, missingField("enabled")
	}
	exp, err := parseDate("dateExpired", req.DateExpired)
	if err != nil {
		return 0, nil, err
	}
	var changes []PropertyChange
	if t.Enabled != *req.Enabled {
		changes = append(changes, change("enabled", []string{strconv.FormatBool(t.Enabled)}, []string{strconv.FormatBool(*req.Enabled)}))
	}
	if oldExp, newExp := dateValues(t.DateExpired), dateValues(exp); !slices.Equal(oldExp, newExp) {
		changes = append(changes, change("dateExpired", oldExp, newExp))
	}
	// A PUT that sets what is already there commits nothing: no write, no
	// audit entry.
	if len(changes) > 0 {
		t.Enabled = *req.Enabled
		t.DateExpired = exp
		c.mutated = true
		c.audit(entityTrustee, actionUpdate, t, "", "", changes)
	}
	return http.StatusOK, c.trusteeView(t), nil
}

func handleDeleteTrustee(c *call) (int, any, error) {
	t, err := c.asTrustor(c.r.PathValue("trusteeOrgId"))
	if err != nil {
		return 0, nil, err
	}
	c.deleteTrust(t)
	return http.StatusNoContent, nil, nil
}

// deleteTrust removes a whole trust, from either side.
func (c *call) deleteTrust(t *trustRec) {
	c.st.removeTrust(t)
	c.mutated = true
	changes := []PropertyChange{change("enabled", []string{strconv.FormatBool(t.Enabled)}, nil)}
	if t.DateExpired != nil {
		changes = append(changes, change("dateExpired", dateValues(t.DateExpired), nil))
	}
	c.audit(entityTrustee, actionDelete, t, "", "", changes)
}

func handleListTrusteeUsers(c *call) (int, any, error) {
	t, err := c.asTrustor(c.r.PathValue("trusteeOrgId"))
	if err != nil {
		return 0, nil, err
	}
	return c.listMembers(t)
}

func (c *call) listMembers(t *trustRec) (int, any, error) {
	p, err := parsePage(c.r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	users := make([]trustUser, 0, len(t.Users))
	for _, m := range t.Users {
		users = append(users, c.trustUserView(m))
	}
	return http.StatusOK, paginate(c, users, p), nil
}

func (c *call) listGroups(t *trustRec) (int, any, error) {
	p, err := parsePage(c.r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	groups := make([]trustGroup, 0, len(t.Groups))
	for _, m := range t.Groups {
		groups = append(groups, c.trustGroupView(m))
	}
	return http.StatusOK, paginate(c, groups, p), nil
}

// addTrusteeMember is POST /trustees/{id}/users and .../groups: kind is
// "user" or "group".
func (c *call) addTrusteeMember(kind string) (*trustRec, *memberRec, error) {
	t, err := c.asTrustor(c.r.PathValue("trusteeOrgId"))
	if err != nil {
		return nil, nil, err
	}
	var req memberCreate
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, nil, err
	}
	if req.ID == nil || *req.ID == "" {
		return nil, nil, missingField("id")
	}
	trusteeOrg := c.st.orgByID[t.Trustee]
	if kind == "user" && !c.isUserOf(*req.ID, trusteeOrg) || kind == "group" && !c.isGroupOf(*req.ID, trusteeOrg) {
		return nil, nil, invalidEntity("id", *req.ID, "%s %q is not a %s of the trustee organization %s", kind, *req.ID, kind, t.Trustee)
	}
	if len(req.RoleDivisions) > 0 {
		return nil, nil, invalidField("roleDivisions", "roleDivisions are not supported: the sandbox has no divisions; use roleIds")
	}
	roles, err := c.checkRoles("roleIds", req.RoleIDs)
	if err != nil {
		return nil, nil, err
	}
	if kind == "user" && t.member(*req.ID) != nil || kind == "group" && t.group(*req.ID) != nil {
		return nil, nil, conflict("%s %s is already in the trust with organization %s", kind, *req.ID, t.Trustee)
	}
	if err := c.checkRoom(t, "id", *req.ID, t.Trustee); err != nil {
		return nil, nil, err
	}
	m := &memberRec{ID: *req.ID, RoleIDs: roles, DateCreated: c.now, CreatedBy: c.me()}
	c.mutated = true
	if kind == "user" {
		t.Users = append(t.Users, m)
		c.audit(entityTrusteeUser, actionCreate, t, ctxUserID, m.ID, roleChange(nil, m.RoleIDs))
	} else {
		t.Groups = append(t.Groups, m)
		c.audit(entityTrusteeGroup, actionCreate, t, ctxGroupID, m.ID, roleChange(nil, m.RoleIDs))
	}
	return t, m, nil
}

func handleAddTrusteeUser(c *call) (int, any, error) {
	_, m, err := c.addTrusteeMember("user")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.trustUserView(m), nil
}

// trusteeMember finds the trust user a /trustees/{trusteeOrgId}/users/
// {trusteeUserId} path names, in a trust where the caller is the trustor.
func (c *call) trusteeMember() (*trustRec, *memberRec, error) {
	t, err := c.asTrustor(c.r.PathValue("trusteeOrgId"))
	if err != nil {
		return nil, nil, err
	}
	m, err := memberOf(t, c.r.PathValue("trusteeUserId"))
	if err != nil {
		return nil, nil, err
	}
	return t, m, nil
}

// trusteeGroup finds the trust group a /trustees/{trusteeOrgId}/groups/
// {trusteeGroupId} path names, in a trust where the caller is the trustor.
func (c *call) trusteeGroup() (*trustRec, *memberRec, error) {
	t, err := c.asTrustor(c.r.PathValue("trusteeOrgId"))
	if err != nil {
		return nil, nil, err
	}
	m, err := groupOf(t, c.r.PathValue("trusteeGroupId"))
	if err != nil {
		return nil, nil, err
	}
	return t, m, nil
}

func handleGetTrusteeUser(c *call) (int, any, error) {
	_, m, err := c.trusteeMember()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.trustUserView(m), nil
}

func handleDeleteTrusteeUser(c *call) (int, any, error) {
	t, err := c.asTrustor(c.r.PathValue("trusteeOrgId"))
	if err != nil {
		return 0, nil, err
	}
	return c.removeMember(t, c.r.PathValue("trusteeUserId"))
}

// removeMember takes a user out of a trust, from either side.
func (c *call) removeMember(t *trustRec, userID string) (int, any, error) {
	m, err := memberOf(t, userID)
	if err != nil {
		return 0, nil, err
	}
	t.Users = slices.DeleteFunc(t.Users, func(x *memberRec) bool { return x == m })
	c.mutated = true
	c.audit(entityTrusteeUser, actionDelete, t, ctxUserID, userID, roleChange(m.RoleIDs, nil))
	return http.StatusNoContent, nil, nil
}

// removeGroup takes a group out of a trust, from either side.
func (c *call) removeGroup(t *trustRec, groupID string) (int, any, error) {
	m, err := groupOf(t, groupID)
	if err != nil {
		return 0, nil, err
	}
	t.Groups = slices.DeleteFunc(t.Groups, func(x *memberRec) bool { return x == m })
	c.mutated = true
	c.audit(entityTrusteeGroup, actionDelete, t, ctxGroupID, groupID, roleChange(m.RoleIDs, nil))
	return http.StatusNoContent, nil, nil
}

func handleGetRoles(c *call) (int, any, error) {
	_, m, err := c.trusteeMember()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.userAuth(m), nil
}

// setRoles replaces m's roles with the JSON array of role ids in the body.
func (c *call) setRoles(t *trustRec, m *memberRec, entityType, ctxKey string) (int, any, error) {
	var ids []string
	if err := decodeJSON(c.body, &ids); err != nil {
		return 0, nil, err
	}
	if ids == nil {
		return 0, nil, badRequest("the request body must be a JSON array of role ids, not null")
	}
	roles, err := c.checkRoles("body", ids)
	if err != nil {
		return 0, nil, err
	}
	// The same role set in another order changes nothing: the stored order
	// stays, and there is no write and no audit entry.
	if old := m.RoleIDs; !sameSet(old, roles) {
		m.RoleIDs = roles
		c.mutated = true
		c.audit(entityType, actionUpdate, t, ctxKey, m.ID, roleChange(old, roles))
	}
	return http.StatusOK, c.userAuth(m), nil
}

// clearRoles takes every role from m.
func (c *call) clearRoles(t *trustRec, m *memberRec, entityType, ctxKey string) (int, any, error) {
	// Clearing roles the member does not have changes nothing.
	if old := m.RoleIDs; len(old) > 0 {
		m.RoleIDs = []string{}
		c.mutated = true
		c.audit(entityType, actionDelete, t, ctxKey, m.ID, roleChange(old, nil))
	}
	return http.StatusNoContent, nil, nil
}

func handleSetRoles(c *call) (int, any, error) {
	t, m, err := c.trusteeMember()
	if err != nil {
		return 0, nil, err
	}
	return c.setRoles(t, m, entityTrusteeUserRoles, ctxUserID)
}

func handleDeleteRoles(c *call) (int, any, error) {
	t, m, err := c.trusteeMember()
	if err != nil {
		return 0, nil, err
	}
	return c.clearRoles(t, m, entityTrusteeUserRoles, ctxUserID)
}

// Trustee groups: the caller is the trustor.

func handleListTrusteeGroups(c *call) (int, any, error) {
	t, err := c.asTrustor(c.r.PathValue("trusteeOrgId"))
	if err != nil {
		return 0, nil, err
	}
	return c.listGroups(t)
}

func handleAddTrusteeGroup(c *call) (int, any, error) {
	_, m, err := c.addTrusteeMember("group")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.trustGroupView(m), nil
}

func handleGetTrusteeGroup(c *call) (int, any, error) {
	_, m, err := c.trusteeGroup()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.trustGroupView(m), nil
}

func handleDeleteTrusteeGroup(c *call) (int, any, error) {
	t, err := c.asTrustor(c.r.PathValue("trusteeOrgId"))
	if err != nil {
		return 0, nil, err
	}
	return c.removeGroup(t, c.r.PathValue("trusteeGroupId"))
}

func handleGetGroupRoles(c *call) (int, any, error) {
	_, m, err := c.trusteeGroup()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.userAuth(m), nil
}

func handleSetGroupRoles(c *call) (int, any, error) {
	t, m, err := c.trusteeGroup()
	if err != nil {
		return 0, nil, err
	}
	return c.setRoles(t, m, entityTrusteeGroupRoles, ctxGroupID)
}

func handleDeleteGroupRoles(c *call) (int, any, error) {
	t, m, err := c.trusteeGroup()
	if err != nil {
		return 0, nil, err
	}
	return c.clearRoles(t, m, entityTrusteeGroupRoles, ctxGroupID)
}

// Trustors: the caller is the trustee.

func handleListTrustors(c *call) (int, any, error) {
	p, err := parsePage(c.r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	var out []trustor
	for _, t := range c.st.Trusts {
		if t.Trustee == c.org.ID {
			out = append(out, c.trustorView(t))
		}
	}
	return http.StatusOK, paginate(c, out, p), nil
}

func handleGetTrustor(c *call) (int, any, error) {
	t, err := c.asTrustee(c.r.PathValue("trustorOrgId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.trustorView(t), nil
}

func handleDeleteTrustor(c *call) (int, any, error) {
	t, err := c.asTrustee(c.r.PathValue("trustorOrgId"))
	if err != nil {
		return 0, nil, err
	}
	c.deleteTrust(t)
	return http.StatusNoContent, nil, nil
}

func handleListTrustorUsers(c *call) (int, any, error) {
	t, err := c.asTrustee(c.r.PathValue("trustorOrgId"))
	if err != nil {
		return 0, nil, err
	}
	return c.listMembers(t)
}

func handleGetTrustorUser(c *call) (int, any, error) {
	t, err := c.asTrustee(c.r.PathValue("trustorOrgId"))
	if err != nil {
		return 0, nil, err
	}
	m, err := memberOf(t, c.r.PathValue("trusteeUserId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.trustUserView(m), nil
}

func handleAddTrustorUser(c *call) (int, any, error) {
	t, err := c.asTrustee(c.r.PathValue("trustorOrgId"))
	if err != nil {
		return 0, nil, err
	}
	uid := c.r.PathValue("trusteeUserId")
	if !c.isUserOf(uid, c.org) {
		return 0, nil, invalidEntity("trusteeUserId", uid, "user %q is not a user of organization %s (the trustee)", uid, c.org.ID)
	}
	if t.member(uid) != nil {
		return 0, nil, conflict("user %s is already in the trust with organization %s", uid, t.Trustor)
	}
	if err := c.checkRoom(t, "trusteeUserId", uid, t.Trustor); err != nil {
		return 0, nil, err
	}
	m := &memberRec{ID: uid, RoleIDs: []string{}, DateCreated: c.now, CreatedBy: c.me()}
	t.Users = append(t.Users, m)
	c.mutated = true
	c.audit(entityTrusteeUser, actionCreate, t, ctxUserID, uid, nil)
	return http.StatusOK, c.trustUserView(m), nil
}

func handleDeleteTrustorUser(c *call) (int, any, error) {
	t, err := c.asTrustee(c.r.PathValue("trustorOrgId"))
	if err != nil {
		return 0, nil, err
	}
	return c.removeMember(t, c.r.PathValue("trusteeUserId"))
}

// Trustor groups: the caller is the trustee, and the groups are its own.

func handleListTrustorGroups(c *call) (int, any, error) {
	t, err := c.asTrustee(c.r.PathValue("trustorOrgId"))
	if err != nil {
		return 0, nil, err
	}
	return c.listGroups(t)
}

func handleGetTrustorGroup(c *call) (int, any, error) {
	t, err := c.asTrustee(c.r.PathValue("trustorOrgId"))
	if err != nil {
		return 0, nil, err
	}
	m, err := groupOf(t, c.r.PathValue("trustorGroupId"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.trustGroupView(m), nil
}

func handleAddTrustorGroup(c *call) (int, any, error) {
	t, err := c.asTrustee(c.r.PathValue("trustorOrgId"))
	if err != nil {
		return 0, nil, err
	}
	gid := c.r.PathValue("trustorGroupId")
	if !c.isGroupOf(gid, c.org) {
		return 0, nil, invalidEntity("trustorGroupId", gid, "group %q is not a group of organization %s (the trustee)", gid, c.org.ID)
	}
	if t.group(gid) != nil {
		return 0, nil, conflict("group %s is already in the trust with organization %s", gid, t.Trustor)
	}
	if err := c.checkRoom(t, "trustorGroupId", gid, t.Trustor); err != nil {
		return 0, nil, err
	}
	m := &memberRec{ID: gid, RoleIDs: []string{}, DateCreated: c.now, CreatedBy: c.me()}
	t.Groups = append(t.Groups, m)
	c.mutated = true
	c.audit(entityTrusteeGroup, actionCreate, t, ctxGroupID, gid, nil)
	return http.StatusOK, c.trustGroupView(m), nil
}

func handleDeleteTrustorGroup(c *call) (int, any, error) {
	t, err := c.asTrustee(c.r.PathValue("trustorOrgId"))
	if err != nil {
		return 0, nil, err
	}
	return c.removeGroup(t, c.r.PathValue("trustorGroupId"))
}

// Helpers for audit property changes.

func change(prop string, old, new []string) PropertyChange {
	return PropertyChange{Property: prop, OldValues: nonNil(old), NewValues: nonNil(new)}
}

// roleChange is the roleIds change from old to new, or nothing when both
// are empty.
func roleChange(old, new []string) []PropertyChange {
	if len(old) == 0 && len(new) == 0 {
		return nil
	}
	return []PropertyChange{change("roleIds", slices.Clone(old), slices.Clone(new))}
}

func dateValues(t *time.Time) []string {
	if t == nil {
		return nil
	}
	return []string{formatTime(*t)}
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
