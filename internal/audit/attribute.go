package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/plan"
)

// Codes of the warnings [Attribute] returns.
const (
	// WarnAuditForbidden: the audit log answered 403.
	WarnAuditForbidden = "audit_forbidden"
	// WarnAuditUnavailable: the audit log could not be read otherwise.
	WarnAuditUnavailable = "audit_unavailable"
)

// objKey identifies a live object in the audit log: a trust (user "") or a
// user in it, ids lowercased.
type objKey struct {
	side  Side
	other string // the other org of the trust
	user  string
}

// Attribute sets Attribution on every change of p whose live object (the
// trust, or the user in it) an audit entry names, from the latest such
// entry. It queries only for objects with changes: one trustee-side query
// for the trusts that need entries about the trust itself, one for those
// that need only their users' (with those user ids), and one trustor-side
// query per trustor with changes, each read newest first only until every
// object has its entry. A plan without changes makes no query.
//
// Attribution is information: missing, partial or unfamiliar entries mean
// fewer attributions, and no failure of the audit log is an error. What
// went wrong comes back as warnings (one naming [Permission] on a 403) for
// the caller to show; p.Warnings is left alone.
func Attribute(ctx context.Context, api Querier, p *plan.Plan) []plan.Warning {
	if p == nil || len(p.Changes) == 0 || api == nil {
		return nil
	}
	home := p.Organization.ID
	keyOf := func(c *plan.Change) (objKey, bool) {
		switch c.Kind {
		case plan.KindTrustee:
			return objKey{TrusteeSide, strings.ToLower(c.TrusteeID), ""}, c.TrusteeID != ""
		case plan.KindTrusteeUser, plan.KindTrusteeUserRoles:
			return objKey{TrusteeSide, strings.ToLower(c.TrusteeID), strings.ToLower(c.UserID)}, c.TrusteeID != "" && c.UserID != ""
		case plan.KindTrustor:
			return objKey{TrustorSide, strings.ToLower(c.TrustorID), ""}, c.TrustorID != ""
		case plan.KindTrustorUser:
			return objKey{TrustorSide, strings.ToLower(c.TrustorID), strings.ToLower(c.UserID)}, c.TrustorID != "" && c.UserID != ""
		}
		return objKey{}, false
	}

	// What each trust needs: its own entries (user "") and/or its users'.
	type need struct {
		id        string // as the plan spells it
		trust     bool
		users     []string
		userIndex map[string]bool
	}
	needs := map[objKey]*need{} // keyed by side and trust (user "")
	var order []objKey
	wanted := map[objKey]bool{}
	for i := range p.Changes {
		c := &p.Changes[i]
		k, ok := keyOf(c)
		if !ok {
			continue
		}
		wanted[k] = true
		tk := objKey{k.side, k.other, ""}
		n := needs[tk]
		if n == nil {
			id := c.TrusteeID
			if k.side == TrustorSide {
				id = c.TrustorID
			}
			n = &need{id: id, userIndex: map[string]bool{}}
			needs[tk] = n
			order = append(order, tk)
		}
		if k.user == "" {
			n.trust = true
		} else if !n.userIndex[k.user] {
			n.userIndex[k.user] = true
			n.users = append(n.users, c.UserID)
		}
	}
	if len(order) == 0 {
		return nil
	}

	// latest holds, per wanted object, the newest entry naming both a
	// caller and a time; an entry lacking either attributes nothing.
	latest := map[objKey]Entry{}
	record := func(e Entry) {
		if e.By == "" || e.At.IsZero() {
			return
		}
		k := objKey{e.Side, strings.ToLower(e.Other()), strings.ToLower(e.UserID)}
		switch {
		case e.Object == ObjectTrust:
			k.user = ""
		case e.Object == "" && e.UserID == "" && !strings.EqualFold(e.ObjectID, e.Other()):
			return // unfamiliar, and about nothing we can name
		}
		if !wanted[k] {
			return
		}
		if old, ok := latest[k]; ok && !e.At.After(old.At) {
			return
		}
		latest[k] = e
	}

	// The queries: trustee trusts that need entries about the trust itself
	// (all entries), trustee trusts that need only users' (those users),
	// and each trustor.
	type query struct {
		side  Side
		trust []objKey
		page  func(context.Context, client.AuditPageOptions) (*client.AuditPage, error)
		asked []string
	}
	var trustLevel, userLevel, trustors []objKey
	for _, tk := range order {
		switch {
		case tk.side == TrustorSide:
			trustors = append(trustors, tk)
		case needs[tk].trust:
			trustLevel = append(trustLevel, tk)
		default:
			userLevel = append(userLevel, tk)
		}
	}
	var queries []query
	trusteeQuery := func(tks []objKey, all bool) {
		if len(tks) == 0 {
			return
		}
		asked := make([]string, 0, len(tks))
		users := []string{}
		for _, tk := range tks {
			asked = append(asked, needs[tk].id)
			if !all {
				users = append(users, needs[tk].users...)
			}
		}
		slices.Sort(users)
		body := client.TrusteeAuditQuery{TrusteeOrganizationIDs: asked, TrusteeUserIDs: slices.Compact(users)}
		queries = append(queries, query{TrusteeSide, tks, func(ctx context.Context, o client.AuditPageOptions) (*client.AuditPage, error) {
			return api.QueryTrusteeAudits(ctx, body, o)
		}, asked})
	}
	trusteeQuery(trustLevel, true)
	trusteeQuery(userLevel, false)
	for _, tk := range trustors {
		n := needs[tk]
		users := []string{}
		if !n.trust {
			users = n.users
		}
		body := client.TrustorAuditQuery{TrustorOrganizationID: n.id, TrusteeUserIDs: users}
		queries = append(queries, query{TrustorSide, []objKey{tk}, func(ctx context.Context, o client.AuditPageOptions) (*client.AuditPage, error) {
			return api.QueryTrustorAudits(ctx, body, o)
		}, []string{n.id}})
	}

	q := Query{Home: home, MaxPages: DefaultMaxPages}
	res := &Result{}
	var errs []error
	for _, qu := range queries {
		var keys []objKey
		for _, tk := range qu.trust {
			if needs[tk].trust {
				keys = append(keys, tk)
			}
			for _, u := range needs[tk].users {
				keys = append(keys, objKey{tk.side, tk.other, strings.ToLower(u)})
			}
		}
		// Pages come newest first: once every object has its entry, older
		// pages cannot change anything.
		done := func() bool {
			for _, k := range keys {
				if _, ok := latest[k]; !ok {
					return false
				}
			}
			return true
		}
		err := pages(ctx, q, res, qu.page, func(m client.AuditLogMessage) bool {
			record(Normalize(m, qu.side, home, qu.asked))
			return !done()
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("audit query of %s %s: %w", qu.side, strings.Join(qu.asked, ", "), err))
			var fe *ForbiddenError
			if errors.As(err, &fe) {
				break // a 403 will not change for the next query
			}
		}
	}

	for i := range p.Changes {
		c := &p.Changes[i]
		k, ok := keyOf(c)
		if !ok {
			continue
		}
		if e, ok := latest[k]; ok {
			c.Attribution = &plan.Attribution{By: e.By, ByKind: e.ByKind, ByID: e.ByID, At: e.At, Action: e.Action}
		}
	}
	return warnings(errs)
}

// warnings turns the audit failures into plan warnings: a 403 is one
// warning naming the permission, whatever else failed.
func warnings(errs []error) []plan.Warning {
	if len(errs) == 0 {
		return nil
	}
	for _, err := range errs {
		var fe *ForbiddenError
		if errors.As(err, &fe) {
			return []plan.Warning{{
				Severity: diag.Warning,
				Code:     WarnAuditForbidden,
				Message:  fmt.Sprintf("changes are not attributed: the credentials may not read the audit log (%s is missing)", Permission),
				Hints:    []string{fmt.Sprintf("grant the OAuth client a role with %s, or plan with --no-attribute", Permission)},
			}}
		}
	}
	out := make([]plan.Warning, 0, len(errs))
	for _, err := range errs {
		out = append(out, plan.Warning{
			Severity: diag.Warning,
			Code:     WarnAuditUnavailable,
			Message:  fmt.Sprintf("some changes are not attributed: %v", err),
			Hints:    []string{"attribution is information only; plan again later, or with --no-attribute"},
		})
	}
	return out
}
