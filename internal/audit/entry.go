// Package audit reads an organization's audit log of trusts and makes sense
// of it: it pages through the two audit queries (POST /trustees/audits, as
// the trustor, and POST /trustor/audits, as the trustee), normalises each
// entry into an [Entry] whatever fields it lacks, and attributes the
// changes of a plan to the latest entry that touched their live objects
// ([Attribute]).
//
// What the service puts in an entry's entityType, action and context for
// trusts is not documented, so nothing here depends on it: an entry that
// lacks a field, or spells it in an unfamiliar way, yields an Entry with
// less in it, never an error.
package audit

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/printable"
)

// Side says from which side of a trust an entry was read.
type Side string

const (
	// TrusteeSide entries come from POST /trustees/audits: trusts this org
	// grants (it is the trustor).
	TrusteeSide Side = "trustee"
	// TrustorSide entries come from POST /trustor/audits: trusts other orgs
	// grant this org (it is the trustee).
	TrustorSide Side = "trustor"
)

// Object kinds an entry can be about.
const (
	ObjectTrust = "trust" // the trust itself (enabled, expiry)
	ObjectUser  = "user"  // a user's membership in the trust
	ObjectRoles = "roles" // a trustee user's roles in the trust
)

// Actor kinds.
const (
	ByUser   = "user"
	ByClient = "client"
)

// Entry is one normalised audit entry. Every field may be empty: the zero
// At means the entry had no readable time, an empty By that it named no
// caller.
type Entry struct {
	ID string
	At time.Time // UTC
	// ByKind is ByUser or ByClient; By is the user's name (its id when it
	// has none) or the OAuth client id, exactly as the entry gives them;
	// ByID is the user's or client's id.
	ByKind string
	By     string
	ByID   string
	// Action and EntityType are as the entry spells them.
	Action     string
	EntityType string
	// Object is ObjectTrust, ObjectUser, ObjectRoles or "" when the
	// entity type is unfamiliar; ObjectID and ObjectName are the entity's.
	Object     string
	ObjectID   string
	ObjectName string
	// Side, TrusteeID and TrustorID name the trust; UserID the user the
	// entry is about, for user and roles entries.
	Side      Side
	TrusteeID string
	TrustorID string
	UserID    string
	Changes   []PropertyChange
}

// PropertyChange is one changed property, with its values as the entry
// gives them.
type PropertyChange struct {
	Property string
	Old      []string
	New      []string
}

// Context keys the trust ids and the user id are looked up under,
// compared case-insensitively; the first found wins.
var (
	trustorKeys = []string{"trustorOrgId", "trustorOrganizationId", "trustorId"}
	trusteeKeys = []string{"trusteeOrgId", "trusteeOrganizationId", "trusteeId"}
	userKeys    = []string{"userId", "trusteeUserId"}
)

// Normalize turns a raw audit message read from side into an Entry. home is
// this org's id (the trustor on the trustee side, the trustee on the
// trustor side); asked is the other org ids the query named, used when the
// entry does not say which trust it is about and only one was asked for.
func Normalize(m client.AuditLogMessage, side Side, home string, asked []string) Entry {
	e := Entry{
		ID:         clean(m.ID),
		Action:     clean(m.Action),
		EntityType: clean(m.EntityType),
		Side:       side,
	}
	if m.EventDate != nil && !m.EventDate.IsZero() {
		e.At = m.EventDate.UTC()
	}
	switch {
	case m.User != nil && (m.User.ID != "" || m.User.Name != ""):
		e.ByKind, e.ByID = ByUser, clean(m.User.ID)
		e.By = clean(m.User.Name)
		if e.By == "" {
			e.By = e.ByID
		}
	case m.Client != nil && m.Client.ID != "":
		e.ByKind, e.ByID, e.By = ByClient, clean(m.Client.ID), clean(m.Client.ID)
	}
	if m.Entity != nil {
		e.ObjectID, e.ObjectName = clean(m.Entity.ID), clean(m.Entity.Name)
	}
	e.Object = objectKind(m.EntityType)
	e.TrustorID = lookup(m.Context, trustorKeys)
	e.TrusteeID = lookup(m.Context, trusteeKeys)
	e.UserID = lookup(m.Context, userKeys)
	if e.UserID == "" && (e.Object == ObjectUser || e.Object == ObjectRoles) {
		e.UserID = e.ObjectID
	}
	home, other := clean(home), ""
	if len(asked) == 1 {
		other = clean(asked[0])
	}
	switch side {
	case TrusteeSide:
		if e.TrustorID == "" {
			e.TrustorID = home
		}
		if e.TrusteeID == "" && e.Object == ObjectTrust {
			e.TrusteeID = e.ObjectID
		}
		if e.TrusteeID == "" {
			e.TrusteeID = other
		}
	case TrustorSide:
		if e.TrusteeID == "" {
			e.TrusteeID = home
		}
		if e.TrustorID == "" {
			e.TrustorID = other
		}
	}
	for _, pc := range m.PropertyChanges {
		e.Changes = append(e.Changes, PropertyChange{
			Property: clean(pc.Property),
			Old:      cleanAll(pc.OldValues),
			New:      cleanAll(pc.NewValues),
		})
	}
	return e
}

// objectKind maps an entity type to an object kind: the sandbox's
// ORG_TRUSTEE, ORG_TRUSTEE_USER and ORG_TRUSTEE_USER_ROLES as much as the
// general audit model's OrganizationAuthorizationTrust and
// OrganizationAuthorizationUserTrust.
func objectKind(entityType string) string {
	t := strings.ToUpper(entityType)
	switch {
	case strings.Contains(t, "ROLE"):
		return ObjectRoles
	case strings.Contains(t, "USER"):
		return ObjectUser
	case strings.Contains(t, "TRUST"):
		return ObjectTrust
	}
	return ""
}

// Other returns the id of the other org of the entry's trust.
func (e *Entry) Other() string {
	if e.Side == TrustorSide {
		return e.TrustorID
	}
	return e.TrusteeID
}

// lookup returns the first of keys ctx has a non-blank value for: an
// exact key first, else one equal but for case (the smallest such key, so
// the answer never depends on map order).
func lookup(ctx client.AuditContext, keys []string) string {
	if len(ctx) == 0 {
		return ""
	}
	names := slices.Sorted(maps.Keys(ctx))
	for _, k := range keys {
		if v := strings.TrimSpace(ctx[k]); v != "" {
			return clean(v)
		}
		for _, ck := range names {
			if v := strings.TrimSpace(ctx[ck]); v != "" && strings.EqualFold(ck, k) {
				return clean(v)
			}
		}
	}
	return ""
}

func clean(s string) string { return printable.String(strings.TrimSpace(s)) }

func cleanAll(vs []string) []string {
	if len(vs) == 0 {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = clean(v)
	}
	return out
}
