package sandbox

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// GenerateSpec sizes a generated fixture: a home org that trusts Trustees
// orgs with Users users (and Groups groups) each, holding roles out of
// Roles roles of the home org, and is trusted by Trustors orgs.
type GenerateSpec struct {
	Trustees, Users, Trustors, Roles, Groups int
	// Seed drives every choice that is not a count: the same spec gives the
	// same fixture.
	Seed uint64
}

// Most a generated fixture may hold, so that a typo cannot exhaust memory.
const (
	maxGenOrgs  = 10000
	maxGenUsers = 1000
	maxGenRoles = 1000
)

// ParseGenerateSpec reads "trustees=T,users=U,trustors=R,roles=N[,groups=G][,seed=S]".
func ParseGenerateSpec(s string) (GenerateSpec, error) {
	var spec GenerateSpec
	fields := map[string]*int{"trustees": &spec.Trustees, "users": &spec.Users, "trustors": &spec.Trustors, "roles": &spec.Roles, "groups": &spec.Groups}
	required := []string{"trustees", "users", "trustors", "roles"}
	seen := map[string]bool{}
	var errs []error
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			errs = append(errs, fmt.Errorf("%q is not KEY=VALUE", part))
			continue
		}
		if seen[k] {
			errs = append(errs, fmt.Errorf("%s is given twice", k))
			continue
		}
		seen[k] = true
		if k == "seed" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("seed=%s is not a whole number", v))
			}
			spec.Seed = n
			continue
		}
		p, known := fields[k]
		if !known {
			errs = append(errs, fmt.Errorf("unknown key %q%s (keys: trustees, users, trustors, roles, groups, seed)", k, didYouMean(k, []string{"trustees", "users", "trustors", "roles", "groups", "seed"})))
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s=%s is not a whole number from 0", k, v))
			continue
		}
		*p = n
	}
	for _, k := range required {
		if !seen[k] {
			errs = append(errs, fmt.Errorf("%s= is required", k))
		}
	}
	if err := spec.check(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return GenerateSpec{}, fmt.Errorf("--generate %s: %w (example: trustees=400,users=25,trustors=100,roles=20,groups=2,seed=1)", s, errors.Join(errs...))
	}
	return spec, nil
}

func (g GenerateSpec) check() error {
	var errs []error
	if g.Trustees < 0 || g.Trustors < 0 || g.Users < 0 || g.Roles < 0 || g.Groups < 0 {
		errs = append(errs, errors.New("counts must not be negative"))
	}
	if g.Trustees+g.Trustors > maxGenOrgs {
		errs = append(errs, fmt.Errorf("at most %d trustee and trustor orgs together", maxGenOrgs))
	}
	if g.Users > maxGenUsers || g.Groups > maxGenUsers {
		errs = append(errs, fmt.Errorf("at most %d users and %d groups per trust", maxGenUsers, maxGenUsers))
	}
	if g.Roles < 1 || g.Roles > maxGenRoles {
		errs = append(errs, fmt.Errorf("roles must be from 1 to %d", maxGenRoles))
	}
	return errors.Join(errs...)
}

// genID is the id of the n-th object of a kind: 1 org, 2 role, 3 user,
// 4 group. Ids are UUIDs (version 4 layout) and the same for every seed.
func genID(kind, n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind, n) }

// Generate builds a deterministic fixture of spec's size. The home org
// (first, "Home Org") has spec.Roles roles, spec.Users+5 users (some spare
// for adds) and one client; each trustee org has spec.Users+1 users (one
// spare), spec.Groups groups and is trusted by the home org with
// spec.Users users and spec.Groups groups, each holding one to three home
// roles, with an expiry on about half the trusts; each trustor org has
// three roles and trusts spec.Users home users. Every org has one client
// with a fake secret. The member limit is 25, or more when spec needs it.
func Generate(spec GenerateSpec) (*Fixture, error) {
	if err := spec.check(); err != nil {
		return nil, fmt.Errorf("generate a sandbox: %w", err)
	}
	rng := rand.New(rand.NewPCG(spec.Seed, 0x67656e6572617465))
	fx := &Fixture{name: "generated fixture", Limits: FixtureLimits{MaxUsersPerTrust: max(DefaultMaxUsersPerTrust, spec.Users+spec.Groups+1)}}
	orgN, roleN, userN, groupN := 0, 0, 0, 0
	newOrg := func(name, slug string) *FixtureOrg {
		orgN++
		fx.Orgs = append(fx.Orgs, FixtureOrg{ID: genID(1, orgN), Name: name,
			Clients: []ClientCredentials{{ID: slug + "-client", Secret: "generated-secret-" + slug + "-NOT-A-REAL-SECRET"}}})
		return &fx.Orgs[len(fx.Orgs)-1]
	}
	addUsers := func(o *FixtureOrg, slug string, n int) {
		for i := range n {
			userN++
			o.Users = append(o.Users, FixtureUser{ID: genID(3, userN), Name: fmt.Sprintf("%s User %04d", o.Name, i+1), Email: fmt.Sprintf("user%04d@%s.example", i+1, slug)})
		}
	}
	home := newOrg("Home Org", "home")
	for i := range spec.Roles {
		roleN++
		home.Roles = append(home.Roles, FixtureRole{ID: genID(2, roleN), Name: fmt.Sprintf("Role %03d", i+1)})
	}
	addUsers(home, "home", spec.Users+5)
	homeRoles := make([]string, len(home.Roles))
	for i, r := range home.Roles {
		homeRoles[i] = r.ID
	}
	pickRoles := func() []string {
		n := min(1+rng.IntN(3), len(homeRoles))
		perm := rng.Perm(len(homeRoles))[:n]
		slices.Sort(perm)
		out := make([]string, n)
		for i, p := range perm {
			out[i] = homeRoles[p]
		}
		return out
	}
	homeID := home.ID
	homeUsers := slices.Clone(home.Users)
	base := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range spec.Trustees {
		slug := fmt.Sprintf("trustee%04d", i+1)
		o := newOrg(fmt.Sprintf("Trustee %04d", i+1), slug)
		addUsers(o, slug, spec.Users+1)
		for j := range spec.Groups {
			groupN++
			var members []string
			for k := j; k < spec.Users; k += spec.Groups {
				members = append(members, o.Users[k].ID)
			}
			o.Groups = append(o.Groups, FixtureGroup{ID: genID(4, groupN), Name: fmt.Sprintf("%s Group %02d", o.Name, j+1), Members: members})
		}
		t := FixtureTrust{Trustor: homeID, Trustee: o.ID}
		if rng.IntN(2) == 0 {
			t.DateExpired = base.AddDate(0, 0, rng.IntN(365)).Format(time.RFC3339)
		}
		for _, u := range o.Users[:spec.Users] {
			t.Users = append(t.Users, FixtureTrustUser{ID: u.ID, Roles: pickRoles()})
		}
		for _, g := range o.Groups {
			t.Groups = append(t.Groups, FixtureTrustGroup{ID: g.ID, Roles: pickRoles()})
		}
		fx.Trusts = append(fx.Trusts, t)
	}
	for i := range spec.Trustors {
		slug := fmt.Sprintf("trustor%04d", i+1)
		o := newOrg(fmt.Sprintf("Trustor %04d", i+1), slug)
		for j := range 3 {
			roleN++
			o.Roles = append(o.Roles, FixtureRole{ID: genID(2, roleN), Name: fmt.Sprintf("%s Role %d", o.Name, j+1)})
		}
		t := FixtureTrust{Trustor: o.ID, Trustee: homeID}
		for _, u := range homeUsers[:spec.Users] {
			t.Users = append(t.Users, FixtureTrustUser{ID: u.ID, Roles: []string{o.Roles[rng.IntN(3)].ID}})
		}
		fx.Trusts = append(fx.Trusts, t)
	}
	if err := fx.validate(); err != nil {
		return nil, fmt.Errorf("generate a sandbox: %w", err)
	}
	return fx, nil
}

// Desired-state documents, written from the sandbox's own types (the
// sandbox does not depend on the configuration package); the keys are
// those of docs/configuration.md.
type (
	dsFile struct {
		Version      int         `yaml:"version"`
		Organization dsOrg       `yaml:"organization"`
		Trustees     []dsTrustee `yaml:"trustees"`
		Trustors     []dsTrustor `yaml:"trustors"`
	}
	dsOrg struct {
		ID   string `yaml:"id"`
		Name string `yaml:"name"`
	}
	dsTrustee struct {
		ID      string    `yaml:"id"`
		Name    string    `yaml:"name"`
		Enabled bool      `yaml:"enabled"`
		Expires string    `yaml:"expires,omitempty"`
		Users   []dsUser  `yaml:"users"`
		Groups  []dsGroup `yaml:"groups,omitempty"`
	}
	dsUser struct {
		ID    string   `yaml:"id"`
		Name  string   `yaml:"name"`
		Roles []string `yaml:"roles,flow"`
	}
	dsGroup struct {
		ID    string   `yaml:"id"`
		Name  string   `yaml:"name"`
		Roles []string `yaml:"roles,flow"`
	}
	dsTrustor struct {
		ID    string  `yaml:"id"`
		Name  string  `yaml:"name"`
		Users []dsOrg `yaml:"users"`
	}
)

// DriftRate is the share of objects WriteDesiredState changes.
const DriftRate = 0.05

// WriteDesiredState writes a desired-state YAML file for fx's home org
// (its first) that describes its trusts in both directions as fx has
// them, except for about DriftRate of the objects, chosen by seed: a
// user's roles changed, a user left out (a removal), a spare user of the
// other org added, a trust's expiry moved. Roles are named, users and
// orgs carry their names. Trust groups are written when fx has any
// (`groups:` in a trustee entry). The output is the same for the same
// fixture and seed.
func WriteDesiredState(w io.Writer, fx *Fixture, seed uint64) error {
	if len(fx.Orgs) == 0 {
		return errors.New("write desired state: the fixture has no orgs")
	}
	rng := rand.New(rand.NewPCG(seed, 0x6472696674))
	drift := func() bool { return rng.Float64() < DriftRate }
	home := fx.Orgs[0]
	orgs := map[string]*FixtureOrg{}
	users := map[string]FixtureUser{}
	groups := map[string]FixtureGroup{}
	roles := map[string]string{}
	for i := range fx.Orgs {
		o := &fx.Orgs[i]
		orgs[o.ID] = o
		for _, u := range o.Users {
			users[u.ID] = u
		}
		for _, g := range o.Groups {
			groups[g.ID] = g
		}
		for _, r := range o.Roles {
			roles[r.ID] = r.Name
		}
	}
	names := func(ids []string) []string {
		out := make([]string, 0, len(ids))
		for _, id := range ids {
			out = append(out, roles[id])
		}
		return out
	}
	// changedRoles swaps one role for another home role, or adds one.
	changedRoles := func(cur []string) []string {
		out := slices.Clone(cur)
		if len(home.Roles) < 2 {
			return out
		}
		for {
			r := home.Roles[rng.IntN(len(home.Roles))].ID
			if slices.Contains(out, r) {
				continue
			}
			if len(out) > 0 && rng.IntN(2) == 0 {
				out[rng.IntN(len(out))] = r
			} else {
				out = append(out, r)
			}
			return out
		}
	}
	doc := dsFile{Version: 1, Organization: dsOrg{ID: home.ID, Name: home.Name}, Trustees: []dsTrustee{}, Trustors: []dsTrustor{}}
	for _, t := range fx.Trusts {
		switch home.ID {
		case t.Trustor:
			other := orgs[t.Trustee]
			e := dsTrustee{ID: other.ID, Name: other.Name, Enabled: t.Enabled == nil || *t.Enabled, Expires: t.DateExpired, Users: []dsUser{}}
			if drift() {
				e.Expires = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365)).Format(time.RFC3339)
			}
			in := map[string]bool{}
			for _, u := range t.Users {
				in[u.ID] = true
				ids := u.Roles
				if drift() {
					if rng.IntN(2) == 0 {
						continue // removed
					}
					ids = changedRoles(ids)
				}
				e.Users = append(e.Users, dsUser{ID: u.ID, Name: users[u.ID].Name, Roles: nonNil(names(ids))})
			}
			// An add never takes a trust over the member limit a desired
			// state may name (25 users).
			if drift() && len(e.Users) < DefaultMaxUsersPerTrust {
				for _, u := range other.Users {
					if !in[u.ID] && len(home.Roles) > 0 {
						e.Users = append(e.Users, dsUser{ID: u.ID, Name: u.Name, Roles: []string{home.Roles[rng.IntN(len(home.Roles))].Name}})
						break
					}
				}
			}
			for _, g := range t.Groups {
				ids := g.Roles
				if drift() {
					ids = changedRoles(ids)
				}
				e.Groups = append(e.Groups, dsGroup{ID: g.ID, Name: groups[g.ID].Name, Roles: nonNil(names(ids))})
			}
			if len(e.Users) == 0 && len(e.Groups) == 0 && len(t.Users) > 0 {
				// Never leave a trust with no member: removing every one is
				// not the small drift this file is for.
				u := t.Users[0]
				e.Users = append(e.Users, dsUser{ID: u.ID, Name: users[u.ID].Name, Roles: nonNil(names(u.Roles))})
			}
			doc.Trustees = append(doc.Trustees, e)
		case t.Trustee:
			other := orgs[t.Trustor]
			e := dsTrustor{ID: other.ID, Name: other.Name, Users: []dsOrg{}}
			in := map[string]bool{}
			for _, u := range t.Users {
				in[u.ID] = true
				if drift() {
					continue // removed
				}
				e.Users = append(e.Users, dsOrg{ID: u.ID, Name: users[u.ID].Name})
			}
			if drift() && len(e.Users) < DefaultMaxUsersPerTrust {
				for _, u := range home.Users {
					if !in[u.ID] {
						e.Users = append(e.Users, dsOrg{ID: u.ID, Name: u.Name})
						break
					}
				}
			}
			doc.Trustors = append(doc.Trustors, e)
		}
	}
	if _, err := fmt.Fprintf(w, "# Desired state for %s, generated from a sandbox fixture with seed %d:\n# about %.0f%% of its objects differ from the sandbox's live state.\n", home.Name, seed, DriftRate*100); err != nil {
		return fmt.Errorf("write desired state: %w", err)
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write desired state: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write desired state: %w", err)
	}
	return nil
}
