package config

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"
)

// canonical is the content of a Config that Digest covers.
type canonical struct {
	Version        int                `json:"version"`
	Organization   *canonicalOrg      `json:"organization,omitempty"`
	Policy         canonicalPolicy    `json:"policy"`
	Protect        canonicalProtect   `json:"protect"`
	ManageTrustees bool               `json:"manageTrustees"`
	Trustees       []canonicalTrustee `json:"trustees"`
	ManageTrustors bool               `json:"manageTrustors"`
	Trustors       []canonicalTrustor `json:"trustors"`
}

type canonicalOrg struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Region string `json:"region"`
}

type canonicalPolicy struct {
	RequireExpiry     bool     `json:"requireExpiry"`
	MaxTrustDays      int      `json:"maxTrustDays"`
	ForbiddenRoles    []string `json:"forbiddenRoles"`
	MaxUsersPerTrust  int      `json:"maxUsersPerTrust"`
	MaxRemovalPercent int      `json:"maxRemovalPercent"`
}

type canonicalProtect struct {
	Trustees []string `json:"trustees"`
	Trustors []string `json:"trustors"`
}

type canonicalTrustee struct {
	ID          string                 `json:"id"`
	Name        string                 `json:"name"`
	PairingID   string                 `json:"pairingId"`
	Enabled     bool                   `json:"enabled"`
	Expires     string                 `json:"expires"`
	ManageUsers bool                   `json:"manageUsers"`
	Users       []canonicalTrusteeUser `json:"users"`
}

type canonicalTrusteeUser struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

type canonicalTrustor struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	ManageUsers bool               `json:"manageUsers"`
	Users       []canonicalUserRef `json:"users"`
}

type canonicalUserRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Digest returns the SHA-256 (hex) of the configuration's content.
//
// Positions, file names, comments, formatting, the order of list entries
// (trustees, trustors, users, roles, protected and forbidden entries) and
// how the content is split across files do not change the digest; any
// change to a value, informational names included, does. Policy defaults
// are filled in first, so `maxUsersPerTrust: 25` and an omitted key digest
// the same.
// Plan files record the digest so that apply can tell whether the
// configuration changed since the plan was made.
func (c *Config) Digest() string {
	cn := canonical{
		Version:        c.Version,
		ManageTrustees: c.ManageTrustees,
		ManageTrustors: c.ManageTrustors,
		Trustees:       []canonicalTrustee{},
		Trustors:       []canonicalTrustor{},
		Policy: canonicalPolicy{
			RequireExpiry:     c.Policy.RequireExpiry,
			MaxTrustDays:      c.Policy.MaxTrustDays,
			ForbiddenRoles:    sortedRefs(c.Policy.ForbiddenRoles),
			MaxUsersPerTrust:  c.Policy.MaxUsersPerTrust,
			MaxRemovalPercent: c.Policy.MaxRemovalPercent,
		},
		Protect: canonicalProtect{Trustees: sortedOrgs(c.Protect.Trustees), Trustors: sortedOrgs(c.Protect.Trustors)},
	}
	if o := c.Organization; o != nil {
		cn.Organization = &canonicalOrg{ID: o.ID, Name: o.Name, Region: o.Region}
	}
	for _, t := range c.Trustees {
		ct := canonicalTrustee{ID: t.ID, Name: t.Name, PairingID: t.PairingID, Enabled: t.Enabled,
			ManageUsers: t.ManageUsers, Users: []canonicalTrusteeUser{}}
		if t.Expires != nil {
			ct.Expires = t.Expires.UTC().Format(time.RFC3339Nano)
		}
		for _, u := range t.Users {
			ct.Users = append(ct.Users, canonicalTrusteeUser{ID: u.ID, Name: u.Name, Roles: sortedRefs(u.Roles)})
		}
		slices.SortFunc(ct.Users, func(a, b canonicalTrusteeUser) int { return cmp.Compare(a.ID, b.ID) })
		cn.Trustees = append(cn.Trustees, ct)
	}
	slices.SortFunc(cn.Trustees, func(a, b canonicalTrustee) int { return cmp.Compare(a.ID, b.ID) })
	for _, t := range c.Trustors {
		ct := canonicalTrustor{ID: t.ID, Name: t.Name, ManageUsers: t.ManageUsers, Users: []canonicalUserRef{}}
		for _, u := range t.Users {
			ct.Users = append(ct.Users, canonicalUserRef{ID: u.ID, Name: u.Name})
		}
		slices.SortFunc(ct.Users, func(a, b canonicalUserRef) int { return cmp.Compare(a.ID, b.ID) })
		cn.Trustors = append(cn.Trustors, ct)
	}
	slices.SortFunc(cn.Trustors, func(a, b canonicalTrustor) int { return cmp.Compare(a.ID, b.ID) })

	// Marshaling these plain types cannot fail.
	b, _ := json.Marshal(cn)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func sortedRefs(rs []RoleRef) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Ref)
	}
	slices.Sort(out)
	return out
}

func sortedOrgs(rs []OrgRef) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}
