// Package live reads an organization's current trusts through the API client
// into a [State]: the live side of a plan.
//
// It reads only what the configuration manages (trustees and their users and
// roles when trustees are managed; trustors and their users when trustors are
// managed), independent objects concurrently. A State is plain, sorted data,
// so two reads of unchanged live state yield the same [State.Fingerprint].
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
	// sorted.
	CareOrgIDs []string `json:"careOrgIds"`

	// TrusteesRead is true when trustees were read (the configuration
	// manages them); Trustees is sorted by org id.
	TrusteesRead bool      `json:"trusteesRead"`
	Trustees     []Trustee `json:"trustees"`

	// TrustorsRead is true when trustors were read; Trustors is sorted by
	// org id.
	TrustorsRead bool      `json:"trustorsRead"`
	Trustors     []Trustor `json:"trustors"`
}

// Trustee is a trust Org grants to another org.
type Trustee struct {
	OrgID   string     `json:"orgId"`
	OrgName string     `json:"orgName"`
	Enabled bool       `json:"enabled"`
	Expires *time.Time `json:"expires,omitempty"` // UTC
	// Users are the trustee-org users in the trust, sorted by id.
	Users []TrusteeUser `json:"users"`
}

// TrusteeUser is a trustee-org user in a trust with the roles (of Org) it
// holds.
type TrusteeUser struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	RoleIDs []string `json:"roleIds"` // sorted
}

// Trustor is a trust another org grants to Org.
type Trustor struct {
	OrgID   string     `json:"orgId"`
	OrgName string     `json:"orgName"`
	Enabled bool       `json:"enabled"`
	Expires *time.Time `json:"expires,omitempty"`
	// Users are Org's users in the trust, sorted by id.
	Users []User `json:"users"`
}

// User is a user with its display name.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}
