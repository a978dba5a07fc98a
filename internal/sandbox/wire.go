package sandbox

import (
	"encoding/json"
	"time"
)

// This file holds the JSON shapes the sandbox answers with. Field names are
// exactly those of the Genesys Cloud API. The types are the sandbox's own:
// it never shares them with the client package, so that a mistake in one
// cannot hide the same mistake in the other.

// wireTimeLayout is how the API writes date-times: UTC, milliseconds.
const wireTimeLayout = "2006-01-02T15:04:05.000Z"

// formatTime writes t in the API's date-time format.
func formatTime(t time.Time) string { return t.UTC().Format(wireTimeLayout) }

// wireTime marshals as the API's date-time format.
type wireTime time.Time

func (t wireTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(formatTime(time.Time(t)))
}

func (t *wireTime) UnmarshalJSON(data []byte) error {
	var v time.Time
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*t = wireTime(v)
	return nil
}

// timePtr converts an optional time for the wire.
func timePtr(t *time.Time) *wireTime {
	if t == nil {
		return nil
	}
	w := wireTime(*t)
	return &w
}

// AuditLogMessage is one audit log entry, as the audit queries answer it.
type AuditLogMessage struct {
	ID string `json:"id"`
	// UserHomeOrgID is the org of the caller that made the change.
	UserHomeOrgID string `json:"userHomeOrgId"`
	// User is absent: client-credentials callers have no user.
	User   *AuditUser   `json:"user,omitempty"`
	Client *AuditClient `json:"client,omitempty"`
	// ServiceName is always "OrgAuthorization".
	ServiceName string `json:"serviceName"`
	// Level is always "USER".
	Level string `json:"level"`
	// EventDate is RFC 3339 in UTC with milliseconds.
	EventDate string `json:"eventDate"`
	// Action is CREATE, UPDATE or DELETE.
	Action string       `json:"action"`
	Entity *AuditEntity `json:"entity,omitempty"`
	// EntityType is ORG_TRUSTEE, ORG_TRUSTEE_USER, ORG_TRUSTEE_USER_ROLES,
	// ORG_TRUSTEE_GROUP, ORG_TRUSTEE_GROUP_ROLES or ORG_TRUST_PAIRING.
	EntityType string `json:"entityType"`
	// Status is always "SUCCESS".
	Status string `json:"status"`
	// Context holds trustorOrgId (not on pairings), trusteeOrgId and, on
	// user entries, userId, on group entries, groupId.
	Context         map[string]string `json:"context,omitempty"`
	PropertyChanges []PropertyChange  `json:"propertyChanges"`
}

// AuditUser names the user behind an audit entry.
type AuditUser struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// AuditClient names the OAuth client behind an audit entry.
type AuditClient struct {
	ID string `json:"id"`
}

// AuditEntity is what an audit entry is about: the trustee org of a trust,
// a user, a group or a pairing.
type AuditEntity struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// PropertyChange is one changed property of an audited entity. Values are
// strings; absent values are empty lists.
type PropertyChange struct {
	Property  string   `json:"property"`
	OldValues []string `json:"oldValues"`
	NewValues []string `json:"newValues"`
}

// Audit entity types, actions and context keys.
const (
	entityTrustee           = "ORG_TRUSTEE"
	entityTrusteeUser       = "ORG_TRUSTEE_USER"
	entityTrusteeUserRoles  = "ORG_TRUSTEE_USER_ROLES"
	entityTrusteeGroup      = "ORG_TRUSTEE_GROUP"
	entityTrusteeGroupRoles = "ORG_TRUSTEE_GROUP_ROLES"
	entityPairing           = "ORG_TRUST_PAIRING"

	actionCreate = "CREATE"
	actionUpdate = "UPDATE"
	actionDelete = "DELETE"

	ctxTrustorOrgID = "trustorOrgId"
	ctxTrusteeOrgID = "trusteeOrgId"
	ctxUserID       = "userId"
	ctxGroupID      = "groupId"
)

// errorBody is the API's ErrorBody, sent with every non-2xx answer.
type errorBody struct {
	Message           string            `json:"message"`
	Code              string            `json:"code"`
	Status            int               `json:"status"`
	MessageWithParams string            `json:"messageWithParams"`
	MessageParams     map[string]string `json:"messageParams"`
	ContextID         string            `json:"contextId"`
	Details           []errorDetail     `json:"details"`
	Errors            []errorBody       `json:"errors"`
}

// errorDetail is one entry of ErrorBody.details.
type errorDetail struct {
	ErrorCode  string `json:"errorCode,omitempty"`
	FieldName  string `json:"fieldName,omitempty"`
	EntityID   string `json:"entityId,omitempty"`
	EntityName string `json:"entityName,omitempty"`
}

// tokenError is the body of a refused token request: the OAuth 2 error
// fields (RFC 6749 section 5.2) plus the API's ErrorBody fields.
type tokenError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	Description      string `json:"description"`
	errorBody
}

// tokenResponse answers a successful token request.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// wireOrg is an Organization.
type wireOrg struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	DefaultLanguage string `json:"defaultLanguage,omitempty"`
	State           string `json:"state,omitempty"`
	Version         int    `json:"version,omitempty"`
	SelfURI         string `json:"selfUri,omitempty"`
}

// wireEntityRef is an `{id, selfUri}` reference.
type wireEntityRef struct {
	ID      string `json:"id"`
	SelfURI string `json:"selfUri,omitempty"`
}

// orgUser is an OrgUser, used for createdBy: a user, or the OAuth client
// of a client-credentials token (then id and name are the client id).
type orgUser struct {
	ID           string   `json:"id"`
	Name         string   `json:"name,omitempty"`
	Organization *wireOrg `json:"organization,omitempty"`
}

// wireUser is a User.
type wireUser struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	Username string `json:"username,omitempty"`
	State    string `json:"state"`
	Version  int    `json:"version"`
	SelfURI  string `json:"selfUri"`
}

// wireRole is a DomainOrganizationRole of the roles listing.
type wireRole struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
	Default     bool     `json:"default"`
	Base        bool     `json:"base"`
	UserCount   *int     `json:"userCount,omitempty"`
	SelfURI     string   `json:"selfUri"`
}

// roleRef is a role as trust user roles answer it.
type roleRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// trustee is a Trustee (the trustor's view of a trust).
type trustee struct {
	ID              string    `json:"id"`
	Enabled         bool      `json:"enabled"`
	UsesDefaultRole bool      `json:"usesDefaultRole"`
	HasFullAccess   bool      `json:"hasFullAccess"`
	IsTrustedUser   bool      `json:"isTrustedUser"`
	DateCreated     wireTime  `json:"dateCreated"`
	DateExpired     *wireTime `json:"dateExpired,omitempty"`
	CreatedBy       *orgUser  `json:"createdBy,omitempty"`
	Organization    wireOrg   `json:"organization"`
	SelfURI         string    `json:"selfUri"`
}

// trustor is a Trustor (the trustee's view of a trust). No official model
// has dateExpired on it.
type trustor struct {
	ID            string            `json:"id"`
	Enabled       bool              `json:"enabled"`
	DateCreated   wireTime          `json:"dateCreated"`
	CreatedBy     *orgUser          `json:"createdBy,omitempty"`
	Organization  wireOrg           `json:"organization"`
	Authorization trustorAuthorized `json:"authorization"`
	SelfURI       string            `json:"selfUri"`
}

// trustorAuthorized is Trustor.authorization.
type trustorAuthorized struct {
	Permissions []string `json:"permissions"`
}

// trustUser is a TrustUser: a User (without selfUri, which the model does
// not have) plus trustUserDetails.
type trustUser struct {
	ID               string           `json:"id"`
	Name             string           `json:"name"`
	Email            string           `json:"email,omitempty"`
	Username         string           `json:"username,omitempty"`
	State            string           `json:"state"`
	Version          int              `json:"version"`
	TrustUserDetails trustUserDetails `json:"trustUserDetails"`
}

// trustGroup is a TrustGroup: a Group plus when and by whom it joined the
// trust.
type trustGroup struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Description  string   `json:"description,omitempty"`
	MemberCount  int      `json:"memberCount"`
	State        string   `json:"state"`
	Version      int      `json:"version"`
	Type         string   `json:"type"`
	Visibility   string   `json:"visibility"`
	RulesVisible bool     `json:"rulesVisible"`
	DateCreated  wireTime `json:"dateCreated"`
	CreatedBy    *orgUser `json:"createdBy,omitempty"`
	SelfURI      string   `json:"selfUri"`
}

// groupRef is a Group as a pairing names it.
type groupRef struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	SelfURI string `json:"selfUri"`
}

// trustUserDetails says when and by whom a user joined a trust.
type trustUserDetails struct {
	DateCreated wireTime `json:"dateCreated"`
	CreatedBy   *orgUser `json:"createdBy,omitempty"`
}

// userAuthorization is a UserAuthorization (a trust user's roles).
type userAuthorization struct {
	Roles              []roleRef `json:"roles"`
	UnusedRoles        []roleRef `json:"unusedRoles"`
	Permissions        []string  `json:"permissions"`
	PermissionPolicies []any     `json:"permissionPolicies"`
}

// trustRequest is a TrustRequest (a pairing).
type trustRequest struct {
	ID          string     `json:"id"`
	CreatedBy   *orgUser   `json:"createdBy,omitempty"`
	DateCreated wireTime   `json:"dateCreated"`
	Trustee     wireOrg    `json:"trustee"`
	Users       []orgUser  `json:"users"`
	Groups      []groupRef `json:"groups"`
	SelfURI     string     `json:"selfUri"`
}

// entityListing is the paged listing shape shared by every list endpoint.
type entityListing[T any] struct {
	Entities    []T    `json:"entities"`
	PageSize    int    `json:"pageSize"`
	PageNumber  int    `json:"pageNumber"`
	Total       int    `json:"total"`
	PageCount   int    `json:"pageCount"`
	FirstURI    string `json:"firstUri"`
	SelfURI     string `json:"selfUri"`
	NextURI     string `json:"nextUri,omitempty"`
	PreviousURI string `json:"previousUri,omitempty"`
	LastURI     string `json:"lastUri"`
}

// auditPage answers the audit queries.
type auditPage struct {
	PageNumber int               `json:"pageNumber"`
	PageSize   int               `json:"pageSize"`
	Total      int               `json:"total"`
	PageCount  int               `json:"pageCount"`
	Entities   []AuditLogMessage `json:"entities"`
}

// careListing answers GET /trustees/care.
type careListing struct {
	Entities []wireEntityRef `json:"entities"`
}

// Request bodies. Pointers tell "absent" from "zero" so that a missing
// required field is named in the 400.

// pairingCreate is a TrustRequestCreate.
type pairingCreate struct {
	UserIDs  []string `json:"userIds"`
	GroupIDs []string `json:"groupIds"`
}

// trustCreate is a TrustCreate.
type trustCreate struct {
	PairingID   *string         `json:"pairingId"`
	Enabled     *bool           `json:"enabled"`
	Users       *[]memberCreate `json:"users"`
	Groups      *[]memberCreate `json:"groups"`
	DateExpired *string         `json:"dateExpired"`
}

// memberCreate is a TrustMemberCreate.
type memberCreate struct {
	ID            *string           `json:"id"`
	RoleIDs       []string          `json:"roleIds"`
	RoleDivisions []json.RawMessage `json:"roleDivisions"`
}

// trustUpdate is a TrustUpdate.
type trustUpdate struct {
	Enabled     *bool   `json:"enabled"`
	DateExpired *string `json:"dateExpired"`
}

// auditQuery is TrusteeAuditQueryRequest and TrustorAuditQueryRequest in
// one: each endpoint checks the fields it needs.
type auditQuery struct {
	TrusteeOrganizationIDs *[]string       `json:"trusteeOrganizationIds"`
	TrustorOrganizationID  *string         `json:"trustorOrganizationId"`
	TrusteeUserIDs         *[]string       `json:"trusteeUserIds"`
	StartDate              *string         `json:"startDate"`
	EndDate                *string         `json:"endDate"`
	QueryPhrase            *string         `json:"queryPhrase"`
	Facets                 json.RawMessage `json:"facets"`
	Filters                json.RawMessage `json:"filters"`
}
