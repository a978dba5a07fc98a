// Package live reads an organization's current trusts through the API client
// into a [State]: the live side of a plan.
//
// It reads only what the configuration manages (trustees and their users and
// roles when trustees are managed, their groups when groups are; trustors and
// their users when trustors are managed), plus what plan-time checks need
// (the pairings of trusts to be created, the org's own users that trustors
// entries name), independent objects concurrently. Every answer it builds on
// was read strictly by the client: a listing that could not be read
// completely and consistently fails the read rather than looking empty. A
// State is plain, sorted data, so two reads of unchanged live state yield
// the same [State.Fingerprint].
package live

import "time"

// Org identifies an organization.
type Org struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Role is a role of the org being managed.
type Role struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// State is the live side of a plan.
type State struct {
	// Org is the org the credentials belong to (organizations/me).
	Org Org `json:"org"`
	// ReadAt is when the read started (UTC): plans count days until an
	// expiry from it. It is not part of the fingerprint; zero means
	// unknown, and then plans make no expires-soon warnings.
	ReadAt time.Time `json:"-"`
	// Roles are all roles of Org, sorted by name then id.
	Roles []Role `json:"roles"`
	// CareOrgIDs are the Genesys Customer Care org ids (trustees/care),
	// sorted. Read strictly whenever trustees are: plan never sees an empty
	// list that stands for an answer it could not read.
	CareOrgIDs []string `json:"careOrgIds"`

	// TrusteesRead is true when trustees were read (the configuration
	// manages them); Trustees is sorted by org id.
	TrusteesRead bool      `json:"trusteesRead"`
	Trustees     []Trustee `json:"trustees"`
	// TrusteeGroupsRead is true when the groups of each trustee were read
	// too (Scope.TrusteeGroups); otherwise every Trustee.Groups is empty
	// and says nothing about live groups.
	TrusteeGroupsRead bool `json:"trusteeGroupsRead,omitempty"`

	// TrustorsRead is true when trustors were read; Trustors is sorted by
	// org id.
	TrustorsRead bool      `json:"trustorsRead"`
	Trustors     []Trustor `json:"trustors"`
	// TrustorGroupsRead is true when Org's groups in each trustor were
	// read too (Scope.TrustorGroups).
	TrustorGroupsRead bool `json:"trustorGroupsRead,omitempty"`

	// Pairings are the pairings Scope.PairingIDs (and Scope.Then) named,
	// one per distinct id, sorted by id; one the service does not know has Exists false.
	Pairings []Pairing `json:"pairings,omitempty"`
	// OwnUsersRead is true when Scope.OwnUserIDs (or those Scope.Then
	// returned) were checked; OwnUsers are those of them that are users of
	// Org, sorted by id. An id named in the scope but absent here does not
	// exist in Org.
	OwnUsersRead bool   `json:"ownUsersRead,omitempty"`
	OwnUsers     []User `json:"ownUsers,omitempty"`
}

// Trustee is a trust Org grants to another org.
type Trustee struct {
	OrgID   string     `json:"orgId"`
	OrgName string     `json:"orgName"`
	Enabled bool       `json:"enabled"`
	Expires *time.Time `json:"expires,omitempty"` // UTC
	// HasFullAccess and IsTrustedUser are the trust's flags as the service
	// reports them (false when absent).
	HasFullAccess bool `json:"hasFullAccess,omitempty"`
	IsTrustedUser bool `json:"isTrustedUser,omitempty"`
	// Users are the trustee-org users in the trust, sorted by id.
	Users []TrusteeUser `json:"users"`
	// Groups are the trustee-org groups in the trust, sorted by id; read
	// only when State.TrusteeGroupsRead.
	Groups []TrusteeGroup `json:"groups,omitempty"`
}

// TrusteeUser is a trustee-org user in a trust with the roles (of Org) it
// holds.
type TrusteeUser struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	RoleIDs []string `json:"roleIds"` // sorted
	// Added is when and by whom the user was added to the trust, when the
	// service says (trustUserDetails).
	Added *Added `json:"added,omitempty"`
}

// Added says when and by whom a user was added to a trust, as the
// listing's trustUserDetails give it. Either part may be unknown.
type Added struct {
	At *time.Time `json:"at,omitempty"` // UTC
	By *User      `json:"by,omitempty"`
}

// TrusteeGroup is a trustee-org group in a trust with the roles (of Org)
// it holds.
type TrusteeGroup struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// MemberCount is how many users the group has, when the service says.
	MemberCount *int64   `json:"memberCount,omitempty"`
	RoleIDs     []string `json:"roleIds"` // sorted
}

// Trustor is a trust another org grants to Org.
type Trustor struct {
	OrgID   string `json:"orgId"`
	OrgName string `json:"orgName"`
	Enabled bool   `json:"enabled"`
	// A trustor trust has no expiry here: the service's Trustor model has
	// none (only the trustor org sees it, as its trustee's dateExpired).

	// Users are Org's users in the trust, sorted by id; each has Added
	// when the service says.
	Users []User `json:"users"`
	// Groups are Org's groups in the trust, sorted by id; read only when
	// State.TrustorGroupsRead.
	Groups []Group `json:"groups,omitempty"`
}

// User is a user with its display name.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Added is set only for a user in a trustor trust (Trustor.Users):
	// when and by whom it was added, when the service says.
	Added *Added `json:"added,omitempty"`
}

// Group is a group with its display name and, when known, member count.
type Group struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	MemberCount *int64 `json:"memberCount,omitempty"`
}

// PairingLifetime is how long a pairing can be used after it was created,
// as the service's model documents it.
const PairingLifetime = 48 * time.Hour

// Pairing is a pairing a trustee org created for a trust Org would create
// (GET /pairings/{id}).
type Pairing struct {
	ID string `json:"id"`
	// Exists is false when the service does not know the id; the other
	// fields are then empty.
	Exists bool `json:"exists"`
	// TrusteeOrg is the org that created the pairing: the trust it makes
	// is granted to that org.
	TrusteeOrg Org `json:"trusteeOrg"`
	// Users and Groups are the trustee-org members the pairing offers,
	// sorted by id.
	Users  []User  `json:"users,omitempty"`
	Groups []Group `json:"groups,omitempty"`
	// DateCreated is when it was created (UTC), if the service says.
	DateCreated *time.Time `json:"dateCreated,omitempty"`
}

// ExpiresAt returns when p stops being usable (DateCreated plus
// [PairingLifetime]); false when its creation date is unknown.
func (p Pairing) ExpiresAt() (time.Time, bool) {
	if p.DateCreated == nil {
		return time.Time{}, false
	}
	return p.DateCreated.Add(PairingLifetime), true
}
