package proof

import (
	"fmt"
	"slices"
	"time"

	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// replay applies one audit entry to a, as the sandbox applied the mutation
// behind it. Entries are complete: a trust's creation carries its
// enabled flag and expiry, each user's and group's entry its roles.
func (a access) replay(m sandbox.AuditLogMessage) error {
	k := trustKey{m.Context["trustorOrgId"], m.Context["trusteeOrgId"]}
	user := m.Context["userId"]
	if g := m.Context["groupId"]; g != "" {
		user = groupKey(g)
	}
	props := map[string]sandbox.PropertyChange{}
	for _, pc := range m.PropertyChanges {
		props[pc.Property] = pc
	}
	t := a[k]
	if t == nil && !(m.EntityType == "ORG_TRUSTEE" && m.Action == "CREATE") {
		return fmt.Errorf("audit entry %s %s about trust %s, which does not exist", m.Action, m.EntityType, k)
	}
	switch m.EntityType + " " + m.Action {
	case "ORG_TRUSTEE CREATE":
		if t != nil {
			return fmt.Errorf("audit entry creates trust %s, which exists", k)
		}
		t = &trustState{Users: map[string][]string{}}
		a[k] = t
		fallthrough
	case "ORG_TRUSTEE UPDATE":
		if pc, ok := props["enabled"]; ok {
			t.Enabled = slices.Equal(pc.NewValues, []string{"true"})
		}
		if pc, ok := props["dateExpired"]; ok {
			t.Expires = time.Time{}
			if len(pc.NewValues) > 0 {
				at, err := time.Parse(time.RFC3339Nano, pc.NewValues[0])
				if err != nil {
					return fmt.Errorf("audit entry on %s: dateExpired: %w", k, err)
				}
				t.Expires = at
			}
		}
	case "ORG_TRUSTEE DELETE":
		delete(a, k)
	case "ORG_TRUSTEE_USER CREATE", "ORG_TRUSTEE_USER_ROLES UPDATE", "ORG_TRUSTEE_GROUP CREATE", "ORG_TRUSTEE_GROUP_ROLES UPDATE":
		t.Users[user] = sortedRoles(props["roleIds"].NewValues)
	case "ORG_TRUSTEE_USER_ROLES DELETE", "ORG_TRUSTEE_GROUP_ROLES DELETE":
		t.Users[user] = []string{}
	case "ORG_TRUSTEE_USER DELETE", "ORG_TRUSTEE_GROUP DELETE":
		delete(t.Users, user)
	default:
		return fmt.Errorf("audit entry %s %s is not one the harness knows", m.Action, m.EntityType)
	}
	return nil
}

// moves says whether going from before to after widened access (a grant
// or an enabled trust that was not there, or a later end) and whether it
// narrowed it.
func moves(before, after access) (widen, narrow bool) {
	gb, ga := before.grants(), after.grants()
	for g := range ga {
		widen = widen || !gb[g]
	}
	for g := range gb {
		narrow = narrow || !ga[g]
	}
	keys := map[trustKey]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	for k := range keys {
		eb, okb := before.horizon(k)
		ea, oka := after.horizon(k)
		switch {
		case okb == oka && okb:
			widen = widen || later(ea, eb)
			narrow = narrow || later(eb, ea)
		case oka:
			widen = true
		case okb:
			narrow = true
		}
	}
	return widen, narrow
}

// later reports whether end a lets users in longer than end b (zero is
// never).
func later(a, b time.Time) bool {
	switch {
	case a.IsZero():
		return !b.IsZero()
	case b.IsZero():
		return false
	}
	return a.After(b)
}

// step is one replayed audit entry.
type step struct {
	index         int // in the whole audit log
	entry         sandbox.AuditLogMessage
	widen, narrow bool
	after         access
}

// replayAll replays entries (the audit log from index from on) over
// start, returning each step.
func replayAll(start access, entries []sandbox.AuditLogMessage, from int) ([]step, error) {
	cur := start.clone()
	var out []step
	for i, m := range entries {
		next := cur.clone()
		if err := next.replay(m); err != nil {
			return nil, fmt.Errorf("audit entry %d: %w", from+i, err)
		}
		w, n := moves(cur, next)
		out = append(out, step{index: from + i, entry: m, widen: w, narrow: n, after: next})
		cur = next
	}
	return out, nil
}

// boundViolations checks that a holds no grant and no enabled trust that
// neither old nor want holds, and that no enabled trust ends later than it
// does in both.
func boundViolations(a, old, want access) []string {
	var out []string
	go1, gw := old.grants(), want.grants()
	for g := range a.grants() {
		if !go1[g] && !gw[g] {
			out = append(out, "grant "+g.String())
		}
	}
	for k := range a {
		end, ok := a.horizon(k)
		if !ok {
			continue
		}
		eo, oko := old.horizon(k)
		ew, okw := want.horizon(k)
		switch {
		case !oko && !okw:
			out = append(out, fmt.Sprintf("trust %s enabled", k))
		case (!oko || later(end, eo)) && (!okw || later(end, ew)):
			out = append(out, fmt.Sprintf("trust %s enabled until %v", k, end))
		}
	}
	slices.Sort(out)
	return out
}

// covered reports whether an audit entry is about an object one of p's
// changes names.
func covered(p *plan.Plan, m sandbox.AuditLogMessage) bool {
	trustor, trustee := m.Context["trustorOrgId"], m.Context["trusteeOrgId"]
	user, group := m.Context["userId"], m.Context["groupId"]
	for _, c := range p.Changes {
		if c.TrusteeID != trustee || c.TrustorID != trustor {
			continue
		}
		switch {
		case user == "" && group == "" && (c.Kind == plan.KindTrustee || c.Kind == plan.KindTrustor):
			return true
		case user != "" && c.UserID == user:
			return true
		case group != "" && c.GroupID == group:
			return true
		case c.Kind == plan.KindTrustee && c.Action == plan.Create && c.After != nil:
			if user != "" && slices.ContainsFunc(c.After.Users, func(u plan.User) bool { return u.ID == user }) {
				return true
			}
			if group != "" && slices.ContainsFunc(c.After.Groups, func(g plan.Group) bool { return g.ID == group }) {
				return true
			}
		}
	}
	return false
}

func describeEntry(m sandbox.AuditLogMessage) string {
	return fmt.Sprintf("%s %s trustor=%.8s trustee=%.8s user=%.8s group=%.8s %v", m.Action, m.EntityType,
		m.Context["trustorOrgId"], m.Context["trusteeOrgId"], m.Context["userId"], m.Context["groupId"], m.PropertyChanges)
}
