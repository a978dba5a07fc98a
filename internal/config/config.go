// Package config loads and checks trustsync's desired-state files.
//
// A desired-state file is YAML that names the trusts an organization wants:
// the trustees it grants access to (with their users and roles) and the
// trustors whose trusts it takes part in (with its own users in them).
// Loading works on yaml.v3 nodes so that every diagnostic carries the file,
// line and column it is about; the result is a [Config], plain data that the
// planner diffs against live state.
//
// Whether a section is managed matters as much as what it holds: an omitted
// `trustees` key means trustsync leaves trustees alone, while `trustees: []`
// means no trustee may exist. The Manage* fields record that difference.
package config

import "time"

// Pos is a position in a desired-state file. Line and Col start at 1; a zero
// Line means the position is unknown (for example a value set by default).
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// Config is the merged desired state of one organization.
type Config struct {
	// Version is the file format version; only 1 exists.
	Version int
	// Organization pins and describes the managed org; nil when omitted.
	Organization *Organization
	// Policy holds the checks that validate, plan and apply enforce.
	Policy Policy
	// Protect lists live trusts that are never changed or removed.
	Protect Protect

	// ManageTrustees is true when any file has a `trustees` key; only then
	// are live trustees compared against Trustees (an empty list means
	// none may exist).
	ManageTrustees bool
	Trustees       []Trustee

	// ManageTrustors is true when any file has a `trustors` key.
	ManageTrustors bool
	Trustors       []Trustor

	// Files lists the files the configuration was merged from, in order.
	Files []string
}

// Organization describes the org the configuration is for.
type Organization struct {
	// ID, when set, pins the org: plan and apply refuse any other.
	ID     string
	Name   string
	Region string
	Pos    Pos
}

// Default policy values.
const (
	DefaultMaxUsersPerTrust  = 25
	DefaultMaxRemovalPercent = 25
)

// Policy holds organization-wide rules. Loading fills in defaults, so
// MaxUsersPerTrust and MaxRemovalPercent are always set.
type Policy struct {
	RequireExpiry     bool
	MaxTrustDays      int // 0: no limit
	ForbiddenRoles    []RoleRef
	MaxUsersPerTrust  int
	MaxRemovalPercent int
}

// Protect lists org ids whose live trusts trustsync never touches.
type Protect struct {
	Trustees []OrgRef
	Trustors []OrgRef
}

// OrgRef is an org id as written in a file.
type OrgRef struct {
	ID  string
	Pos Pos
}

// Trustee is an org this organization grants access to.
type Trustee struct {
	ID        string
	Name      string // informational
	PairingID string // needed only to create the trust
	Enabled   bool   // default true
	// Expires is the trust's expiry in UTC; nil means none.
	Expires *time.Time
	// ManageUsers is true when the trustee has a `users` key; only then are
	// the live trust's users compared against Users.
	ManageUsers bool
	Users       []TrusteeUser
	Pos         Pos
}

// TrusteeUser is a user of the trustee org and the roles (of this org) it
// holds in the trust.
type TrusteeUser struct {
	ID    string
	Name  string // informational
	Roles []RoleRef
	Pos   Pos
}

// RoleRef names a role of this org by name or by id, exactly as written.
// The planner resolves it against the org's roles.
type RoleRef struct {
	Ref string
	Pos Pos
}

// Trustor is an org that trusts this organization.
type Trustor struct {
	ID   string
	Name string // informational
	// ManageUsers is true when the trustor has a `users` key.
	ManageUsers bool
	Users       []TrustorUser
	Pos         Pos
}

// TrustorUser is one of this org's users in a trustor's trust.
type TrustorUser struct {
	ID   string
	Name string // informational
	Pos  Pos
}
