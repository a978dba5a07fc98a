// Package plan computes the changes that bring an organization's live trusts
// in line with its desired-state configuration.
//
// A [Plan] is plain data: an ordered list of [Change] values plus the items
// that are deliberately left alone (protected trusts, trustor trusts that do
// not exist yet) and warnings. Rendering (text, Markdown, JSON) and applying
// are done by other packages from this data; nothing here formats output for
// people or talks to the API.
//
// Every change carries an [Effect]: whether it widens access, narrows it, or
// neither. Changes are ordered so that every narrowing change comes before
// every widening one, so a half-finished apply never leaves more access than
// either the old or the new state allows.
package plan

import (
	"errors"
	"fmt"
	"time"
)

// Action is what a change does to its object.
type Action int

const (
	// NoOp means the object is already as configured. Plans never hold NoOp
	// changes; it is the zero value so that a forgotten Action is harmless.
	NoOp Action = iota
	// Create makes an object that does not exist live.
	Create
	// Update changes an existing object in place.
	Update
	// Delete removes a live object.
	Delete
)

// String returns the lowercase name used in JSON plans ("create", ...).
func (a Action) String() string {
	switch a {
	case NoOp:
		return "no-op"
	case Create:
		return "create"
	case Update:
		return "update"
	case Delete:
		return "delete"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Kind is the type of object a change is about. Its value is the name used
// in JSON plans.
type Kind string

const (
	// KindTrustee is a trust this org grants to another org (the trustee).
	KindTrustee Kind = "trustee"
	// KindTrusteeUser is a trustee-org user's membership in a trust.
	KindTrusteeUser Kind = "trustee_user"
	// KindTrusteeUserRoles is the set of this org's roles a trustee user holds.
	KindTrusteeUserRoles Kind = "trustee_user_roles"
	// KindTrustor is a trust another org (the trustor) grants to this org.
	KindTrustor Kind = "trustor"
	// KindTrustorUser is one of this org's users in a trustor's trust.
	KindTrustorUser Kind = "trustor_user"
	// KindTrusteeGroup is a trustee-org group's membership in a trust:
	// every member of the group holds the group's roles of this org.
	KindTrusteeGroup Kind = "trustee_group"
	// KindTrusteeGroupRoles is the set of this org's roles a trustee group
	// holds.
	KindTrusteeGroupRoles Kind = "trustee_group_roles"
	// KindTrustorGroup is one of this org's groups in a trustor's trust.
	KindTrustorGroup Kind = "trustor_group"
)

// Effect says how a change moves access.
type Effect int

const (
	// Neutral changes neither widen nor narrow access.
	Neutral Effect = iota
	// Narrow changes take access away: removing a trust, user or role,
	// disabling a trust, setting or bringing forward an expiry.
	Narrow
	// Widen changes give access: the opposites of Narrow.
	Widen
)

// String returns the name used in JSON plans ("widen", "narrow", "neutral").
func (e Effect) String() string {
	switch e {
	case Neutral:
		return "neutral"
	case Narrow:
		return "narrow"
	case Widen:
		return "widen"
	}
	return fmt.Sprintf("Effect(%d)", int(e))
}

// Role is a role of this org, with its name for display.
type Role struct {
	ID   string
	Name string
}

// User is a user, with its name for display and, in a trustee trust, the
// roles it holds.
type User struct {
	ID    string
	Name  string
	Roles []Role // sorted by name, then id
}

// Group is a group of users, with its name and how many users it has (so a
// reviewer sees how many people a group grant reaches; nil when the service
// does not say) and, in a trustee trust, the roles its members hold through
// it.
type Group struct {
	ID          string
	Name        string
	MemberCount *int
	Roles       []Role // sorted by name, then id
}

// Value is the state of one object before or after a change. Only the fields
// that belong to the change's Kind are set:
//
//   - trustee: Name, Enabled, Expires; Users (with roles) on create and on
//     delete (the users who gain or lose access); PairingID and Pairing on
//     create; HasFullAccess and IsTrustedUser on values of a live trust.
//   - trustee_user: Name, Roles (the roles it is created with or loses).
//   - trustee_user_roles: Name (the user's), Roles, the complete role set.
//   - trustor: Name, Users (our users in the trust), Groups (ours).
//   - trustor_user: Name.
//   - trustee_group: Name (the group's), MemberCount, Roles (the roles
//     it is added with or loses).
//   - trustee_group_roles: Name, MemberCount, Roles, the complete set.
//   - trustor_group: Name, MemberCount.
//
// A trustee value carries Groups beside Users where it carries Users.
type Value struct {
	Name      string
	Enabled   *bool
	Expires   *time.Time
	PairingID string
	Roles     []Role
	Users     []User
	Groups    []Group // sorted by name, then id
	// MemberCount is how many users a group has, on group kinds; nil
	// when the service does not say.
	MemberCount *int
	// HasFullAccess and IsTrustedUser are a trust's flags as the service
	// reports them, on trustee values of a live trust; nil on a trust to
	// create (the service sets them; trustsync never changes them).
	HasFullAccess *bool
	IsTrustedUser *bool
	// Pairing is what the pairing a trust is created from offers, on a
	// trustee create's after value; nil otherwise.
	Pairing *Pairing
}

// Pairing is the pairing a trust to create is made from, as read live:
// the members the trustee org offered when it created it, and when it
// stops being usable. The trust gets the members its entry lists, not
// these: they are shown so that a reviewer can compare.
type Pairing struct {
	ID     string
	Users  []User  // sorted by name, then id; no roles
	Groups []Group // sorted by name, then id; no roles
	// Expires is when the pairing stops being usable; nil when unknown.
	Expires *time.Time
}

// Change is one API-level step of a plan.
type Change struct {
	Action Action
	Kind   Kind
	// Address identifies the object stably and readably, for example
	// `trustee[Bluebird Outsourcing b000…].user[Bo Blue c001…]`; names in
	// it are live names where the object exists, else the configuration's.
	Address string
	// TrusteeID, TrustorID, UserID and GroupID are full ids; those that do
	// not apply to the Kind are empty. For trustee kinds TrustorID is this
	// org; for trustor kinds TrusteeID is this org.
	TrusteeID string
	TrustorID string
	UserID    string
	GroupID   string
	// OrgName is the name of the other organization of the trust (the
	// trustee for trustee kinds, the trustor for trustor kinds): the live
	// name when the trust exists (a file cannot relabel it), else the
	// configuration's; empty when unknown. It lets every change,
	// including user-level ones, be shown under its trust's name.
	OrgName string
	// Before is the live value (nil for Create). After is the value the
	// change leaves behind (nil for Delete); for trustee_user_roles and
	// trustee updates it is the complete new value, so executing a change
	// never needs the changes around it.
	Before *Value
	After  *Value
	Effect Effect
	// Reason says why the change is needed, e.g. "not in configuration".
	Reason string
	// Key identifies the change uniquely within its plan, from its kind,
	// its full ids (never names) and, for a change split in two, which
	// half it is: for example "trustee_user_roles/<trustee id>/<user
	// id>#narrow".
	Key string
	// DependsOn holds the keys of the changes that must finish before this
	// one starts; Requires those of them that must also have succeeded for
	// it to run at all (otherwise it is skipped). Every key in DependsOn
	// belongs to a change earlier in Plan.Changes.
	DependsOn []string
	Requires  []string
	// Attribution names the latest audit entry that touched the change's
	// live object, when one is known. It is information for a reviewer,
	// not part of the plan: comparing a saved plan with a fresh one
	// ignores it.
	Attribution *Attribution
}

// Attribution is who last changed a live object, and when, as the
// organization's audit log tells it.
type Attribution struct {
	// By is the OAuth client id or the user's name exactly as the audit
	// entry gives them; ByKind says which ("client" or "user") and ByID
	// is the client's or user's id.
	By     string
	ByKind string
	ByID   string
	At     time.Time
	// Action is the entry's action as the audit log spells it.
	Action string
}

// Org identifies an organization.
type Org struct {
	ID   string
	Name string
}

// Protected is a live trust the plan leaves alone on purpose.
type Protected struct {
	Kind      Kind // KindTrustee or KindTrustor
	Address   string
	TrusteeID string
	TrustorID string
	Name      string
	Reason    string // e.g. "listed under protect", "Genesys Customer Care trust"
	// HasFullAccess and IsTrustedUser are a protected trustee trust's
	// flags as the service reports them; nil for trustors.
	HasFullAccess *bool
	IsTrustedUser *bool
}

// Pending is a trustor listed in the configuration whose trust the other org
// has not created yet. It is not a change: only the trustor can create it.
type Pending struct {
	Address   string
	TrustorID string
	Name      string
	Message   string
}

// Plan is the complete, ordered result of comparing configuration with live
// state.
type Plan struct {
	Organization Org
	// Changes in the order apply runs them: all Narrow changes, then
	// Neutral ones, then all Widen ones; within each group deletions of
	// children before parents and creations of parents before children.
	Changes   []Change
	Protected []Protected
	Pending   []Pending
	Warnings  []Warning
	// Managed counts the live objects the configuration manages (trustees,
	// trustee users, trustors, trustor users; protected and Customer Care
	// trusts excluded). Removals counts how many of them lose access: the
	// sum of Lost's parts. Apply's removal guard uses both.
	Managed  int
	Removals int
	// Lost says how Removals comes about.
	Lost Lost
}

// Lost breaks a plan's removals down by how access is taken away.
type Lost struct {
	// Deleted counts objects deleted: a deleted trust with its users, and
	// users (or groups) removed from a trust.
	Deleted int
	// Disabled counts a disabled trust with its users.
	Disabled int
	// WithoutRoles counts trustee users (or groups) left with no roles.
	WithoutRoles int
}

// Summary counts a plan's changes by action.
type Summary struct {
	Add    int
	Change int
	Remove int
}

// Summary counts the plan's changes.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			s.Add++
		case Update:
			s.Change++
		case Delete:
			s.Remove++
		}
	}
	return s
}

// HasChanges reports whether applying the plan would change anything.
func (p *Plan) HasChanges() bool { return len(p.Changes) > 0 }

// kinds lists every Kind this version knows.
var kinds = []Kind{
	KindTrustee, KindTrusteeUser, KindTrusteeUserRoles, KindTrusteeGroup, KindTrusteeGroupRoles,
	KindTrustor, KindTrustorUser, KindTrustorGroup,
}

// IsTrustor reports whether k is about a trust another org grants this
// one (a trustor kind) rather than one this org grants.
func (k Kind) IsTrustor() bool {
	return k == KindTrustor || k == KindTrustorUser || k == KindTrustorGroup
}

// Known reports whether k is a kind this version of trustsync knows.
func (k Kind) Known() bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// ParseAction returns the action String names; NoOp, which no change
// holds, is refused.
func ParseAction(s string) (Action, error) {
	for _, a := range []Action{Create, Update, Delete} {
		if a.String() == s {
			return a, nil
		}
	}
	return NoOp, fmt.Errorf("unknown action %q", s)
}

// ParseEffect returns the effect String names.
func ParseEffect(s string) (Effect, error) {
	for _, e := range []Effect{Neutral, Narrow, Widen} {
		if e.String() == s {
			return e, nil
		}
	}
	return Neutral, fmt.Errorf("unknown effect %q", s)
}

// Check reports why the plan cannot be rendered or executed as data: a
// change with an action, kind or effect this version has no name for, or
// without the before or after value its action needs.
func (p *Plan) Check() error {
	if p == nil {
		return errors.New("no plan")
	}
	for i, c := range p.Changes {
		if _, err := ParseAction(c.Action.String()); err != nil {
			return fmt.Errorf("change %d (%s): invalid action %v", i+1, c.Address, c.Action)
		}
		if !c.Kind.Known() {
			return fmt.Errorf("change %d (%s): unknown kind %q", i+1, c.Address, c.Kind)
		}
		if _, err := ParseEffect(c.Effect.String()); err != nil {
			return fmt.Errorf("change %d (%s): unknown effect %v", i+1, c.Address, c.Effect)
		}
		switch {
		case c.Action == Create && c.After == nil:
			return fmt.Errorf("change %d (%s): create without an after value", i+1, c.Address)
		case c.Action == Delete && c.Before == nil:
			return fmt.Errorf("change %d (%s): delete without a before value", i+1, c.Address)
		case c.Action == Update && (c.Before == nil || c.After == nil):
			return fmt.Errorf("change %d (%s): update needs both before and after values", i+1, c.Address)
		}
	}
	return nil
}
