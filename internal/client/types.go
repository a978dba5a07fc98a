package client

import (
	"encoding/json"
	"fmt"
	"time"
)

// Organization is a Genesys Cloud organization reference.
type Organization struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	SelfURI string `json:"selfUri,omitempty"`
}

// Role is an authorization role of the caller's organization
// (GET /api/v2/authorization/roles).
type Role struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Description   string `json:"description,omitempty"`
	DefaultRoleID string `json:"defaultRoleId,omitempty"`
	Base          bool   `json:"base,omitempty"`
	Default       bool   `json:"default,omitempty"`
	UserCount     int    `json:"userCount,omitempty"`
	SelfURI       string `json:"selfUri,omitempty"`
}

// User is a user of the caller's organization (GET /api/v2/users).
type User struct {
	ID         string `json:"id"`
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	Username   string `json:"username,omitempty"`
	State      string `json:"state,omitempty"`
	Title      string `json:"title,omitempty"`
	Department string `json:"department,omitempty"`
	Version    int    `json:"version,omitempty"`
	SelfURI    string `json:"selfUri,omitempty"`
}

// OrgUser is a user as it appears inside trust objects (createdBy and the
// users of a pairing).
type OrgUser struct {
	ID           string        `json:"id,omitempty"`
	Name         string        `json:"name,omitempty"`
	Email        string        `json:"email,omitempty"`
	Username     string        `json:"username,omitempty"`
	State        string        `json:"state,omitempty"`
	Version      int           `json:"version,omitempty"`
	Organization *Organization `json:"organization,omitempty"`
	SelfURI      string        `json:"selfUri,omitempty"`
}

// Trustee is a trust seen from the trustor: an organization granted access
// to the caller's organization. ID is the trustee org id.
type Trustee struct {
	ID              string        `json:"id"`
	Enabled         bool          `json:"enabled"`
	UsesDefaultRole *bool         `json:"usesDefaultRole,omitempty"`
	HasFullAccess   *bool         `json:"hasFullAccess,omitempty"`
	IsTrustedUser   *bool         `json:"isTrustedUser,omitempty"`
	DateCreated     *time.Time    `json:"dateCreated,omitempty"`
	DateExpired     *time.Time    `json:"dateExpired,omitempty"`
	CreatedBy       *OrgUser      `json:"createdBy,omitempty"`
	Organization    *Organization `json:"organization,omitempty"`
	SelfURI         string        `json:"selfUri,omitempty"`
}

// TrusteeAuthorization is what a trustee user may do in the trustor org.
type TrusteeAuthorization struct {
	Permissions []string `json:"permissions,omitempty"`
}

// Trustor is a trust seen from the trustee: an organization that trusts the
// caller's organization. ID is the trustor org id.
type Trustor struct {
	ID            string                `json:"id"`
	Enabled       bool                  `json:"enabled"`
	DateCreated   *time.Time            `json:"dateCreated,omitempty"`
	CreatedBy     *OrgUser              `json:"createdBy,omitempty"`
	Organization  *Organization         `json:"organization,omitempty"`
	Authorization *TrusteeAuthorization `json:"authorization,omitempty"`
	SelfURI       string                `json:"selfUri,omitempty"`
}

// TrustUserDetails says when and by whom a user was added to a trust.
type TrustUserDetails struct {
	DateCreated *time.Time `json:"dateCreated,omitempty"`
	CreatedBy   *OrgUser   `json:"createdBy,omitempty"`
}

// TrustUser is a user in a trust: a User of the trustee org plus when and
// by whom it was added (the official model has no selfUri). Its roles are
// not part of the listing; read them with GetTrusteeUserRoles.
type TrustUser struct {
	ID               string            `json:"id"`
	Name             string            `json:"name,omitempty"`
	Email            string            `json:"email,omitempty"`
	Username         string            `json:"username,omitempty"`
	State            string            `json:"state,omitempty"`
	Version          int               `json:"version,omitempty"`
	TrustUserDetails *TrustUserDetails `json:"trustUserDetails,omitempty"`
}

// TrustGroup is a group of the trustee org in a trust (the trustees and
// trustors group listings). Its roles are not part of the listing; read
// them with GetTrusteeGroupRoles.
type TrustGroup struct {
	ID               string            `json:"id"`
	Name             string            `json:"name,omitempty"`
	Description      string            `json:"description,omitempty"`
	MemberCount      *int64            `json:"memberCount,omitempty"`
	State            string            `json:"state,omitempty"`
	Type             string            `json:"type,omitempty"`
	Visibility       string            `json:"visibility,omitempty"`
	Version          int               `json:"version,omitempty"`
	DateModified     *time.Time        `json:"dateModified,omitempty"`
	DateCreated      *time.Time        `json:"dateCreated,omitempty"`
	CreatedBy        *OrgUser          `json:"createdBy,omitempty"`
	TrustUserDetails *TrustUserDetails `json:"trustUserDetails,omitempty"`
	SelfURI          string            `json:"selfUri,omitempty"`
}

// DomainRole is a role reference inside a UserAuthorization.
type DomainRole struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// UserAuthorization is the set of roles (of the trustor org) a trustee user
// holds in a trust.
type UserAuthorization struct {
	Roles              []DomainRole      `json:"roles"`
	UnusedRoles        []DomainRole      `json:"unusedRoles,omitempty"`
	Permissions        []string          `json:"permissions,omitempty"`
	PermissionPolicies []json.RawMessage `json:"permissionPolicies,omitempty"`
}

// RoleIDs returns the ids of a.Roles in the order the service sent them.
// A nil a has none.
func (a *UserAuthorization) RoleIDs() []string {
	if a == nil {
		return nil
	}
	ids := make([]string, 0, len(a.Roles))
	for _, r := range a.Roles {
		ids = append(ids, r.ID)
	}
	return ids
}

// Group is a group reference.
type Group struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	SelfURI string `json:"selfUri,omitempty"`
}

// TrustRequestCreate is the body of POST /pairings: the trustee-org users
// (and groups) the trust will include.
type TrustRequestCreate struct {
	UserIDs  []string `json:"userIds,omitempty"`
	GroupIDs []string `json:"groupIds,omitempty"`
}

// TrustRequest is a pairing, created by the trustee and handed to the
// trustor, who creates the trust with its id.
type TrustRequest struct {
	ID          string        `json:"id"`
	CreatedBy   *OrgUser      `json:"createdBy,omitempty"`
	DateCreated *time.Time    `json:"dateCreated,omitempty"`
	Trustee     *Organization `json:"trustee,omitempty"`
	Users       []OrgUser     `json:"users,omitempty"`
	Groups      []Group       `json:"groups,omitempty"`
	SelfURI     string        `json:"selfUri,omitempty"`
}

// RoleDivision grants a role in one division.
type RoleDivision struct {
	RoleID     string `json:"roleId"`
	DivisionID string `json:"divisionId"`
}

// RoleDivisionGrants is a set of division-scoped role grants.
type RoleDivisionGrants struct {
	Grants []RoleDivision `json:"grants"`
}

// TrustMemberCreate adds a trustee-org user (or group) to a trust with roles
// of the trustor org.
type TrustMemberCreate struct {
	ID            string              `json:"id"`
	RoleIDs       []string            `json:"roleIds,omitempty"`
	RoleDivisions *RoleDivisionGrants `json:"roleDivisions,omitempty"`
}

// TrustCreate is the body of POST /trustees. The service needs at least
// one user or group: a trust is never created empty, and the pairing's
// users do not join by themselves.
type TrustCreate struct {
	PairingID string `json:"pairingId,omitempty"`
	Enabled   bool   `json:"enabled"`
	// Users and Groups are the trustee-org members the trust starts with,
	// each with roles of the trustor org. Users, when non-nil (even
	// empty), is sent as given; nil leaves the key out. Nothing joins a
	// trust that is not named here.
	Users       *[]TrustMemberCreate `json:"users,omitempty"`
	Groups      []TrustMemberCreate  `json:"groups,omitempty"`
	DateExpired *time.Time           `json:"dateExpired,omitempty"`
	// UsesDefaultRole, HasFullAccess and IsTrustedUser are the trust's
	// flags; nil leaves each to the service's default.
	UsesDefaultRole *bool `json:"usesDefaultRole,omitempty"`
	HasFullAccess   *bool `json:"hasFullAccess,omitempty"`
	IsTrustedUser   *bool `json:"isTrustedUser,omitempty"`
}

// TrustUpdate is the body of PUT /trustees/{trusteeOrgId}. A nil
// DateExpired means the trust does not expire.
type TrustUpdate struct {
	Enabled     bool       `json:"enabled"`
	DateExpired *time.Time `json:"dateExpired,omitempty"`
}

// EntityRef is a reference to an entity in an audit message.
type EntityRef struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	SelfURI string `json:"selfUri,omitempty"`
}

// PropertyChange is one changed property in an audit message.
type PropertyChange struct {
	Property  string   `json:"property"`
	OldValues []string `json:"oldValues,omitempty"`
	NewValues []string `json:"newValues,omitempty"`
}

// AuditLogMessage is one audit entry of the trustee/trustor audit queries.
// What the service puts in EntityType, Action and Context for trusts is not
// documented, so consumers must cope with any of them being empty.
type AuditLogMessage struct {
	ID              string           `json:"id"`
	UserHomeOrgID   string           `json:"userHomeOrgId,omitempty"`
	User            *EntityRef       `json:"user,omitempty"`
	Client          *EntityRef       `json:"client,omitempty"`
	RemoteIP        []string         `json:"remoteIp,omitempty"`
	ServiceName     string           `json:"serviceName,omitempty"`
	Level           string           `json:"level,omitempty"`
	EventDate       *time.Time       `json:"eventDate,omitempty"`
	Action          string           `json:"action,omitempty"`
	Entity          *EntityRef       `json:"entity,omitempty"`
	EntityType      string           `json:"entityType,omitempty"`
	Status          string           `json:"status,omitempty"`
	Context         AuditContext     `json:"context,omitempty"`
	PropertyChanges []PropertyChange `json:"propertyChanges,omitempty"`
}

// AuditContext holds an audit message's context. The official model has
// string values; any other JSON value is kept in its JSON text, so an
// unexpected shape never fails a whole page.
type AuditContext map[string]string

// UnmarshalJSON accepts an object with values of any JSON type.
func (c *AuditContext) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("audit context: %w", err)
	}
	if raw == nil {
		*c = nil
		return nil
	}
	out := make(AuditContext, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
			continue
		}
		out[k] = string(v)
	}
	*c = out
	return nil
}

// AuditFacet asks for a facet in an audit query.
type AuditFacet struct {
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
}

// AuditFilter narrows an audit query.
type AuditFilter struct {
	Name     string   `json:"name"`
	Type     string   `json:"type,omitempty"`
	Operator string   `json:"operator,omitempty"`
	Values   []string `json:"values,omitempty"`
}

// TrusteeAuditQuery is the body of POST /trustees/audits.
// TrusteeUserIDs is required on the wire; nil is sent as an empty list.
type TrusteeAuditQuery struct {
	TrusteeOrganizationIDs []string      `json:"trusteeOrganizationIds"`
	TrusteeUserIDs         []string      `json:"trusteeUserIds"`
	StartDate              *time.Time    `json:"startDate,omitempty"`
	EndDate                *time.Time    `json:"endDate,omitempty"`
	QueryPhrase            string        `json:"queryPhrase,omitempty"`
	Facets                 []AuditFacet  `json:"facets,omitempty"`
	Filters                []AuditFilter `json:"filters,omitempty"`
}

// TrustorAuditQuery is the body of POST /trustor/audits.
type TrustorAuditQuery struct {
	TrustorOrganizationID string        `json:"trustorOrganizationId"`
	TrusteeUserIDs        []string      `json:"trusteeUserIds"`
	StartDate             *time.Time    `json:"startDate,omitempty"`
	EndDate               *time.Time    `json:"endDate,omitempty"`
	QueryPhrase           string        `json:"queryPhrase,omitempty"`
	Facets                []AuditFacet  `json:"facets,omitempty"`
	Filters               []AuditFilter `json:"filters,omitempty"`
}

// AuditPageOptions selects a page of an audit query. Zero values leave the
// choice to the service (page 1; trustsync asks for 100 entries a page).
type AuditPageOptions struct {
	PageNumber int
	PageSize   int
	SortBy     string // e.g. "timestamp"
	SortOrder  string // "ascending" or "descending"
}

// AuditPage is one page of audit messages.
type AuditPage struct {
	PageNumber int               `json:"pageNumber"`
	PageSize   int               `json:"pageSize"`
	Total      int64             `json:"total"`
	PageCount  int               `json:"pageCount"`
	Entities   []AuditLogMessage `json:"entities"`
}

// Listing is one page of a paged listing.
type Listing[T any] struct {
	Entities    []T    `json:"entities"`
	PageSize    int    `json:"pageSize"`
	PageNumber  int    `json:"pageNumber"`
	Total       int64  `json:"total"`
	PageCount   int    `json:"pageCount"`
	FirstURI    string `json:"firstUri,omitempty"`
	SelfURI     string `json:"selfUri,omitempty"`
	NextURI     string `json:"nextUri,omitempty"`
	PreviousURI string `json:"previousUri,omitempty"`
	LastURI     string `json:"lastUri,omitempty"`
}

// ErrorDetail is one entry of an error body's details.
type ErrorDetail struct {
	ErrorCode  string `json:"errorCode,omitempty"`
	FieldName  string `json:"fieldName,omitempty"`
	EntityID   string `json:"entityId,omitempty"`
	EntityName string `json:"entityName,omitempty"`
}

// ErrorBody is the body of every non-2xx API answer. The service's model
// types messageParams as strings, but any JSON value may come: a string
// is kept as is, anything else as its JSON text (see [ErrorBody.UnmarshalJSON]).
type ErrorBody struct {
	Message           string            `json:"message,omitempty"`
	Code              string            `json:"code,omitempty"`
	Status            int               `json:"status,omitempty"`
	EntityID          string            `json:"entityId,omitempty"`
	EntityName        string            `json:"entityName,omitempty"`
	MessageWithParams string            `json:"messageWithParams,omitempty"`
	MessageParams     map[string]string `json:"messageParams,omitempty"`
	ContextID         string            `json:"contextId,omitempty"`
	Details           []ErrorDetail     `json:"details,omitempty"`
	Errors            []ErrorBody       `json:"errors,omitempty"`
}
