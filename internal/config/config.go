// Package config loads, checks and writes trustsync's desired-state files.
//
// A desired-state file is YAML that names the trusts an organization wants:
// the trustees it grants access to (with their users, groups and roles) and
// the trustors whose trusts it takes part in (with its own users and groups
// in them).
//
// # One file model
//
// The types in this file are the file format: their yaml tags name the keys
// a file holds, and the same values are what the planner diffs against live
// state. Three things are built from them and from nothing else:
//
//   - [Load] walks yaml.v3 nodes (so that every diagnostic carries the file,
//     line and column it is about) and fills a [Config]; where each value
//     was written is kept beside it in [Config.Positions], keyed by the
//     value's JSON pointer in the Config;
//   - [Config.Digest] hashes a normalised copy of the Config;
//   - [Encode] writes a Config back as YAML, with comments, such that
//     loading the output gives the same Config and digest.
//
// Whether a section is managed matters as much as what it holds: an omitted
// `trustees` key means trustsync leaves trustees alone, while `trustees: []`
// means no trustee may exist. The Manage* fields record that difference.
package config

import (
	"strconv"
	"strings"
	"time"
)

// Positions says where the values of a Config were written. Keys are JSON
// pointers (RFC 6901) into the Config as it is encoded, for example
// "/trustees/0", "/trustees/0/expires" or "/trustees/0/users/1/roles";
// "" is the first file's top level. A value taken from a default has no
// entry, and neither has a role of a trustee user or group: its position
// is its [RoleRef.Pos] (those roles are a third of a large file's values).
// When several files set the same scalar (an organization key or a policy
// value), the first file's position is kept.
type Positions map[string]Pos

// At returns the position of the value at ptr, or the zero Pos.
func (p Positions) At(ptr string) Pos { return p[ptr] }

// Pointer builds the JSON pointer of a value from its keys and list indexes:
// Pointer("trustees", 2, "users", 0) is "/trustees/2/users/0".
func Pointer(tokens ...any) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		switch v := t.(type) {
		case int:
			b.WriteString(strconv.Itoa(v))
		case string:
			b.WriteString(escapePointer(v))
		}
	}
	return b.String()
}

// Config is the merged desired state of one organization.
//
// Entries that failed their own checks are kept, with the values that
// failed left zero, so that list indexes match the files; callers must not
// act on a Config whose Diagnostics have errors.
type Config struct {
	// Version is the file format version; only 1 exists.
	Version int `yaml:"version" json:"version"`
	// Organization pins and describes the managed org; nil when omitted.
	Organization *Organization `yaml:"organization,omitempty" json:"organization,omitempty"`
	// Policy holds the checks that validate, plan and apply enforce.
	Policy Policy `yaml:"policy" json:"policy"`
	// Protect lists live trusts that are never changed or removed.
	Protect Protect `yaml:"protect,omitempty" json:"protect"`

	// ManageTrustees is true when any file has a `trustees` key; only then
	// are live trustees compared against Trustees (an empty list means
	// none may exist).
	ManageTrustees bool      `yaml:"-" json:"manageTrustees"`
	Trustees       []Trustee `yaml:"trustees" json:"trustees"`

	// ManageTrustors is true when any file has a `trustors` key.
	ManageTrustors bool      `yaml:"-" json:"manageTrustors"`
	Trustors       []Trustor `yaml:"trustors" json:"trustors"`

	// Files lists the files the configuration was merged from, in order.
	Files []string `yaml:"-" json:"-"`
	// Positions says where each value was written.
	Positions Positions `yaml:"-" json:"-"`
}

// Organization describes the org the configuration is for.
type Organization struct {
	// ID, when set, pins the org: plan and apply refuse any other.
	ID     string `yaml:"id,omitempty" json:"id"`
	Name   string `yaml:"name,omitempty" json:"name"`
	Region string `yaml:"region,omitempty" json:"region"`
	// Pos is Positions["/organization"], kept on the value for callers
	// that hold it without its Config.
	Pos Pos `yaml:"-" json:"-"`
}

// Default policy values, filled in by Load for keys no file sets.
const (
	DefaultMaxUsersPerTrust  = 25
	DefaultMaxRemovalPercent = 25
	DefaultWarnExpiryDays    = 30
)

// Policy holds organization-wide rules. Loading fills in defaults, so
// MaxUsersPerTrust, MaxRemovalPercent and WarnExpiryDays are always set.
type Policy struct {
	RequireExpiry  bool      `yaml:"requireExpiry,omitempty" json:"requireExpiry"`
	MaxTrustDays   int       `yaml:"maxTrustDays,omitempty" json:"maxTrustDays"` // 0: no limit
	ForbiddenRoles []RoleRef `yaml:"forbiddenRoles,omitempty,flow" json:"forbiddenRoles"`
	// MaxUsersPerTrust is the most members (users and groups together) one
	// trust may list.
	MaxUsersPerTrust  int `yaml:"maxUsersPerTrust" json:"maxUsersPerTrust"`
	MaxRemovalPercent int `yaml:"maxRemovalPercent" json:"maxRemovalPercent"`
	// WarnExpiryDays: plan warns about trusts that expire within this many
	// days (0: only about expired ones).
	WarnExpiryDays int `yaml:"warnExpiryDays" json:"warnExpiryDays"`
	// ForbidFullAccess makes a live trust with full access a plan error
	// unless it is protected.
	ForbidFullAccess bool `yaml:"forbidFullAccess,omitempty" json:"forbidFullAccess"`
}

// Protect lists org ids whose live trusts trustsync never touches.
type Protect struct {
	Trustees []OrgRef `yaml:"trustees,omitempty,flow" json:"trustees"`
	Trustors []OrgRef `yaml:"trustors,omitempty,flow" json:"trustors"`
}

// OrgRef is an org id as written in a file. It is written as a bare id.
type OrgRef struct {
	ID  string
	Pos Pos
}

// Trustee is an org this organization grants access to.
type Trustee struct {
	ID        string `yaml:"id" json:"id"`
	Name      string `yaml:"name,omitempty" json:"name"`           // informational
	PairingID string `yaml:"pairingId,omitempty" json:"pairingId"` // needed only to create the trust
	Enabled   bool   `yaml:"enabled" json:"enabled"`               // default true
	// Expires is the trust's expiry in UTC; nil means none.
	Expires *time.Time `yaml:"expires,omitempty" json:"expires"`
	// ManageUsers is true when the trustee has a `users` key; only then are
	// the live trust's users compared against Users.
	ManageUsers bool          `yaml:"-" json:"manageUsers"`
	Users       []TrusteeUser `yaml:"users" json:"users"`
	// ManageGroups is true when the trustee has a `groups` key.
	ManageGroups bool           `yaml:"-" json:"manageGroups"`
	Groups       []TrusteeGroup `yaml:"groups" json:"groups"`
	// Pos is Positions["/trustees/N"].
	Pos Pos `yaml:"-" json:"-"`
}

// TrusteeUser is a user of the trustee org and the roles (of this org) it
// holds in the trust.
type TrusteeUser struct {
	ID    string    `yaml:"id" json:"id"`
	Name  string    `yaml:"name,omitempty" json:"name"` // informational
	Roles []RoleRef `yaml:"roles,flow" json:"roles"`
	Pos   Pos       `yaml:"-" json:"-"`
}

// TrusteeGroup is a group of the trustee org and the roles (of this org)
// its members hold in the trust.
type TrusteeGroup struct {
	ID    string    `yaml:"id" json:"id"`
	Name  string    `yaml:"name,omitempty" json:"name"` // informational
	Roles []RoleRef `yaml:"roles,flow" json:"roles"`
	Pos   Pos       `yaml:"-" json:"-"`
}

// RoleRef names a role of this org by name or by id, exactly as written.
// The planner resolves it against the org's roles. It is written as a bare
// string.
type RoleRef struct {
	Ref string
	Pos Pos
}

// Trustor is an org that trusts this organization.
type Trustor struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name,omitempty" json:"name"` // informational
	// ManageUsers is true when the trustor has a `users` key.
	ManageUsers bool          `yaml:"-" json:"manageUsers"`
	Users       []TrustorUser `yaml:"users" json:"users"`
	// ManageGroups is true when the trustor has a `groups` key.
	ManageGroups bool           `yaml:"-" json:"manageGroups"`
	Groups       []TrustorGroup `yaml:"groups" json:"groups"`
	Pos          Pos            `yaml:"-" json:"-"`
}

// TrustorUser is one of this org's users in a trustor's trust. It is
// written as a bare id, or as {id, name} when it has a name.
type TrustorUser struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name,omitempty" json:"name"` // informational
	Pos  Pos    `yaml:"-" json:"-"`
}

// TrustorGroup is one of this org's groups in a trustor's trust, written
// like a TrustorUser.
type TrustorGroup struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name,omitempty" json:"name"` // informational
	Pos  Pos    `yaml:"-" json:"-"`
}
