package proof

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/sandbox"
)

// trustKey names a trust: Trustor grants Trustee's users access.
type trustKey struct{ Trustor, Trustee string }

func (k trustKey) String() string { return k.Trustor[:8] + "→" + k.Trustee[:8] }

// trustState is what one trust grants.
type trustState struct {
	Enabled bool
	// Expires is when the trust ends; zero means never.
	Expires time.Time
	// Users maps each member to its role ids (sorted; empty: no roles).
	// A group's key is groupKey of its id.
	Users map[string][]string
}

// access is the state of every trust of a sandbox, as far as access goes.
type access map[trustKey]*trustState

func (a access) clone() access {
	out := make(access, len(a))
	for k, t := range a {
		c := *t
		c.Users = make(map[string][]string, len(t.Users))
		for u, r := range t.Users {
			c.Users[u] = slices.Clone(r)
		}
		out[k] = &c
	}
	return out
}

// String lists the state one trust a line, sorted, for comparisons.
func (a access) String() string {
	var lines []string
	for k, t := range a {
		exp := "never"
		if !t.Expires.IsZero() {
			exp = t.Expires.UTC().Format(time.RFC3339)
		}
		users := slices.Sorted(maps.Keys(t.Users))
		var us []string
		for _, u := range users {
			us = append(us, fmt.Sprintf("%s%v", u[:8], t.Users[u]))
		}
		lines = append(lines, fmt.Sprintf("%s enabled=%v expires=%s users=%v", k, t.Enabled, exp, us))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// groupKey is the key of a trustee-org group among a trust's members.
func groupKey(id string) string { return "group:" + id }

// groupID returns the group id of a member key, ok false for a user.
func groupID(key string) (id string, ok bool) { return strings.CutPrefix(key, "group:") }

// grant is one unit of access: a member of a trust (Role "") or one of its
// roles.
type grant struct {
	Trust trustKey
	User  string
	Role  string
}

func (g grant) String() string {
	if g.Role == "" {
		return fmt.Sprintf("%s member %s", g.Trust, g.User)
	}
	return fmt.Sprintf("%s user %s role %s", g.Trust, g.User, g.Role)
}

func (a access) grants() map[grant]bool {
	out := map[grant]bool{}
	for k, t := range a {
		for u, roles := range t.Users {
			out[grant{k, u, ""}] = true
			for _, r := range roles {
				out[grant{k, u, r}] = true
			}
		}
	}
	return out
}

// horizon is how long an enabled trust lets its users in: ok false for a
// trust that is absent or disabled, zero end for one that never expires.
func (a access) horizon(k trustKey) (end time.Time, ok bool) {
	t := a[k]
	if t == nil || !t.Enabled {
		return time.Time{}, false
	}
	return t.Expires, true
}

// world is one seeded scenario: a sandbox fixture (the old state), the
// desired state of its home org, and both as access.
type world struct {
	seed int64
	fx   *sandbox.Fixture
	home string
	care string
	// trustees and trustors are the orgs the home org's file may name.
	trustees, trustors []string
	users              map[string][]string // org id → user ids
	homeRoles          []string
	old, want          access
	// creates are the trusts the desired state creates; each needs a
	// pairing from its trustee.
	creates []trustKey
	// manageGroups is true when the desired state manages groups: the
	// trustee entries and trustor entries have a groups key, and the
	// desired state adds, changes and removes groups. Otherwise the groups
	// in trusts are left unmanaged and no plan may touch them.
	manageGroups bool
	groups       map[string][]string // org id → group ids
}

// creds returns the OAuth client of org.
func (w *world) creds(org string) sandbox.ClientCredentials {
	for _, o := range w.fx.Orgs {
		if o.ID == org {
			return o.Clients[0]
		}
	}
	panic("no org " + org)
}

// uuid builds a valid, readable id: kind picks the first digit (a org,
// b user, c role, d group), org and n the rest.
func uuid(kind byte, org, n int) string {
	return fmt.Sprintf("%c%07x-0000-4000-8000-%012x", kind, org, n)
}

// newWorld generates the scenario of seed: a home org with roles, users
// and two groups, three to five trustee orgs with two groups each, one or
// two trustor orgs, a Genesys Customer Care org, random trusts among them
// (holding groups too), and a desired state that adds, changes and removes
// trusts, users, roles, expiries and trustor members — and, for even
// seeds (half of them), trustee groups, their roles and our groups in
// trustor trusts.
func newWorld(seed int64) *world {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x70726f6f66))
	w := &world{seed: seed, fx: &sandbox.Fixture{}, users: map[string][]string{}, groups: map[string][]string{}, old: access{},
		manageGroups: seed%2 == 0}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	expiry := func() time.Time {
		if rng.IntN(3) == 0 {
			return time.Time{}
		}
		return day.AddDate(0, 0, 30+rng.IntN(300))
	}
	addOrg := func(name string, nRoles, nUsers int, care bool, nGroups int) string {
		i := len(w.fx.Orgs)
		o := sandbox.FixtureOrg{
			ID:      uuid('a', i+1, 0),
			Name:    fmt.Sprintf("%s %d", name, i),
			Care:    care,
			Clients: []sandbox.ClientCredentials{{ID: fmt.Sprintf("proof-client-%d", i), Secret: fmt.Sprintf("proof-secret-%d-NOT-A-REAL-SECRET", i)}},
		}
		for r := range nRoles {
			o.Roles = append(o.Roles, sandbox.FixtureRole{ID: uuid('c', i+1, r+1), Name: fmt.Sprintf("Role %d.%d", i, r)})
		}
		for u := range nUsers {
			id := uuid('b', i+1, u+1)
			o.Users = append(o.Users, sandbox.FixtureUser{ID: id, Name: fmt.Sprintf("User %d.%d", i, u), Email: fmt.Sprintf("u%d.%d@proof.example", i, u)})
			w.users[o.ID] = append(w.users[o.ID], id)
		}
		for g := range nGroups {
			id := uuid('d', i+1, g+1)
			o.Groups = append(o.Groups, sandbox.FixtureGroup{ID: id, Name: fmt.Sprintf("Group %d.%d", i, g), Members: w.users[o.ID][:g+1]})
			w.groups[o.ID] = append(w.groups[o.ID], id)
		}
		w.fx.Orgs = append(w.fx.Orgs, o)
		return o.ID
	}
	w.home = addOrg("Home", 6, 5, false, 2)
	w.homeRoles = rolesOf(w.fx.Orgs[0])
	for range 3 + rng.IntN(3) {
		w.trustees = append(w.trustees, addOrg("Trustee", 1, 3+rng.IntN(4), false, 2))
	}
	for range 1 + rng.IntN(2) {
		w.trustors = append(w.trustors, addOrg("Trustor", 3, 2, false, 0))
	}
	w.care = addOrg("Customer Care", 1, 2, true, 0)

	subset := func(of []string, p float64) []string {
		var out []string
		for _, x := range of {
			if rng.Float64() < p {
				out = append(out, x)
			}
		}
		return out
	}
	put := func(a access, k trustKey, enabled bool, exp time.Time, users map[string][]string) {
		a[k] = &trustState{Enabled: enabled, Expires: exp, Users: users}
	}
	roleMap := func(users, roles []string) map[string][]string {
		m := map[string][]string{}
		for _, u := range users {
			m[u] = sortedRoles(subset(roles, 0.35))
		}
		return m
	}

	// The old state: the fixture's trusts. Trustee trusts hold each of the
	// trustee's groups half the time and trustor trusts each of ours 40 %
	// of the time; unless the desired state manages groups (no groups
	// key), no plan may touch them.
	for _, t := range w.trustees {
		if rng.Float64() < 0.7 {
			members := roleMap(subset(w.users[t], 0.6), w.homeRoles)
			for _, g := range w.groups[t] {
				if rng.IntN(2) == 0 {
					members[groupKey(g)] = sortedRoles(subset(w.homeRoles, 0.35))
				}
			}
			put(w.old, trustKey{w.home, t}, rng.Float64() < 0.8, expiry(), members)
		}
	}
	for _, s := range w.trustors {
		if rng.Float64() < 0.8 {
			roles := rolesOf(w.fx.Orgs[orgIndex(w.fx, s)])
			members := roleMap(subset(w.users[w.home], 0.5), roles)
			for _, g := range subset(w.groups[w.home], 0.4) {
				members[groupKey(g)] = sortedRoles(subset(roles, 0.35))
			}
			put(w.old, trustKey{s, w.home}, true, expiry(), members)
		}
	}
	// Bystanders no plan may touch: the Customer Care trust and a trust
	// between two other orgs.
	put(w.old, trustKey{w.home, w.care}, true, time.Time{}, roleMap(w.users[w.care][:1], w.homeRoles))
	put(w.old, trustKey{w.trustees[0], w.trustees[1]}, true, expiry(), map[string][]string{w.users[w.trustees[1]][0]: {}})

	// The desired state.
	w.want = w.old.clone()
	for _, t := range w.trustees {
		k := trustKey{w.home, t}
		cur := w.want[k]
		switch {
		case cur == nil && rng.Float64() < 0.6:
			users := subset(w.users[t], 0.5)
			if len(users) == 0 {
				users = w.users[t][:1]
			}
			members := roleMap(users, w.homeRoles)
			if w.manageGroups {
				for _, g := range subset(w.groups[t], 0.4) {
					members[groupKey(g)] = sortedRoles(subset(w.homeRoles, 0.35))
				}
			}
			put(w.want, k, rng.Float64() < 0.85, expiry(), members)
			w.creates = append(w.creates, k)
		case cur == nil:
		case rng.Float64() < 0.15:
			delete(w.want, k)
		default:
			if rng.Float64() < 0.25 {
				cur.Enabled = !cur.Enabled
			}
			if rng.Float64() < 0.3 {
				cur.Expires = expiry()
			}
			for _, u := range w.users[t] {
				_, member := cur.Users[u]
				r := rng.Float64()
				switch {
				case member && r < 0.2:
					delete(cur.Users, u)
				case member && r < 0.55:
					cur.Users[u] = sortedRoles(subset(w.homeRoles, 0.35))
				case !member && r < 0.3:
					cur.Users[u] = sortedRoles(subset(w.homeRoles, 0.35))
				}
			}
			if !w.manageGroups {
				continue
			}
			for _, g := range w.groups[t] {
				_, member := cur.Users[groupKey(g)]
				r := rng.Float64()
				switch {
				case member && r < 0.25:
					delete(cur.Users, groupKey(g))
				case member && r < 0.6:
					cur.Users[groupKey(g)] = sortedRoles(subset(w.homeRoles, 0.35))
				case !member && r < 0.4:
					cur.Users[groupKey(g)] = sortedRoles(subset(w.homeRoles, 0.35))
				}
			}
		}
	}
	for _, s := range w.trustors {
		k := trustKey{s, w.home}
		cur := w.want[k]
		switch {
		case cur == nil:
		case rng.Float64() < 0.2:
			delete(w.want, k)
		default:
			for _, u := range w.users[w.home] {
				_, member := cur.Users[u]
				switch r := rng.Float64(); {
				case member && r < 0.3:
					delete(cur.Users, u)
				case !member && r < 0.3:
					cur.Users[u] = []string{}
				}
			}
			if !w.manageGroups {
				continue
			}
			// Our group joins a trustor's trust without roles (the
			// trustor org grants them); one that stays keeps its roles.
			for _, g := range w.groups[w.home] {
				_, member := cur.Users[groupKey(g)]
				switch r := rng.Float64(); {
				case member && r < 0.3:
					delete(cur.Users, groupKey(g))
				case !member && r < 0.35:
					cur.Users[groupKey(g)] = []string{}
				}
			}
		}
	}

	for k, t := range w.old {
		ft := sandbox.FixtureTrust{Trustor: k.Trustor, Trustee: k.Trustee, Enabled: &t.Enabled}
		if !t.Expires.IsZero() {
			ft.DateExpired = t.Expires.Format(time.RFC3339)
		}
		for _, u := range slices.Sorted(maps.Keys(t.Users)) {
			if g, ok := groupID(u); ok {
				ft.Groups = append(ft.Groups, sandbox.FixtureTrustGroup{ID: g, Roles: slices.Clone(t.Users[u])})
				continue
			}
			ft.Users = append(ft.Users, sandbox.FixtureTrustUser{ID: u, Roles: slices.Clone(t.Users[u])})
		}
		w.fx.Trusts = append(w.fx.Trusts, ft)
	}
	slices.SortFunc(w.fx.Trusts, func(a, b sandbox.FixtureTrust) int {
		return strings.Compare(a.Trustor+a.Trustee, b.Trustor+b.Trustee)
	})
	return w
}

// members splits a trust's members into user ids and group ids, each
// sorted.
func (t *trustState) members() (users, groups []string) {
	for _, k := range slices.Sorted(maps.Keys(t.Users)) {
		if g, ok := groupID(k); ok {
			groups = append(groups, g)
			continue
		}
		users = append(users, k)
	}
	return users, groups
}

func rolesOf(o sandbox.FixtureOrg) []string {
	var out []string
	for _, r := range o.Roles {
		out = append(out, r.ID)
	}
	return out
}

func orgIndex(fx *sandbox.Fixture, id string) int {
	return slices.IndexFunc(fx.Orgs, func(o sandbox.FixtureOrg) bool { return o.ID == id })
}

func sortedRoles(r []string) []string {
	out := slices.Clone(r)
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return out
}

// desiredYAML renders the desired state of the home org as a trustsync
// file; pairings holds the pairing id of each trust to create.
func (w *world) desiredYAML(pairings map[trustKey]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\norganization:\n  id: %s\n", w.home)
	b.WriteString("trustees:")
	n := 0
	for _, t := range w.trustees {
		k := trustKey{w.home, t}
		ts := w.want[k]
		if ts == nil {
			continue
		}
		n++
		fmt.Fprintf(&b, "\n  - id: %s\n    enabled: %v\n", t, ts.Enabled)
		if p := pairings[k]; p != "" {
			fmt.Fprintf(&b, "    pairingId: %s\n", p)
		}
		if !ts.Expires.IsZero() {
			fmt.Fprintf(&b, "    expires: %s\n", ts.Expires.Format("2006-01-02"))
		}
		users, groups := ts.members()
		if len(users) == 0 {
			b.WriteString("    users: []")
		} else {
			b.WriteString("    users:")
			for _, u := range users {
				fmt.Fprintf(&b, "\n      - id: %s\n        roles: [%s]", u, strings.Join(ts.Users[u], ", "))
			}
		}
		if !w.manageGroups {
			continue
		}
		if len(groups) == 0 {
			b.WriteString("\n    groups: []")
			continue
		}
		b.WriteString("\n    groups:")
		for _, g := range groups {
			fmt.Fprintf(&b, "\n      - id: %s\n        roles: [%s]", g, strings.Join(ts.Users[groupKey(g)], ", "))
		}
	}
	if n == 0 {
		b.WriteString(" []")
	}
	b.WriteString("\ntrustors:")
	n = 0
	for _, s := range w.trustors {
		ts := w.want[trustKey{s, w.home}]
		if ts == nil {
			continue
		}
		n++
		users, groups := ts.members()
		fmt.Fprintf(&b, "\n  - id: %s\n    users: [%s]", s, strings.Join(users, ", "))
		if w.manageGroups {
			fmt.Fprintf(&b, "\n    groups: [%s]", strings.Join(groups, ", "))
		}
	}
	if n == 0 {
		b.WriteString(" []")
	}
	b.WriteString("\n")
	return b.String()
}
