package sandbox

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed demo.yaml
var demoYAML []byte

// DefaultMaxUsersPerTrust is the number of users a trust may hold when the
// fixture does not say otherwise.
const DefaultMaxUsersPerTrust = 25

// Fixture is the starting content of a sandbox: its organizations, their
// OAuth clients, roles and users, and the trusts between them. It is the
// YAML document described in docs/sandbox.md.
type Fixture struct {
	// Limits holds the service limits the sandbox enforces.
	Limits FixtureLimits `yaml:"limits"`
	// Orgs are the organizations; the first is the "home" org.
	Orgs []FixtureOrg `yaml:"orgs"`
	// Trusts are the trusts that exist at start.
	Trusts []FixtureTrust `yaml:"trusts"`

	// name is where the fixture came from, for messages.
	name string
	// doc is the parsed YAML, for the positions in messages; nil for a
	// fixture built in code.
	doc *yaml.Node
}

// FixtureLimits are the limits of a fixture.
type FixtureLimits struct {
	// MaxUsersPerTrust caps the users of one trust; 0 means
	// DefaultMaxUsersPerTrust.
	MaxUsersPerTrust int `yaml:"maxUsersPerTrust"`
}

// FixtureOrg is one organization of a fixture.
type FixtureOrg struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Care marks a Genesys Customer Care org (listed by GET /trustees/care).
	Care    bool                `yaml:"care"`
	Clients []ClientCredentials `yaml:"clients"`
	Roles   []FixtureRole       `yaml:"roles"`
	Users   []FixtureUser       `yaml:"users"`
	Groups  []FixtureGroup      `yaml:"groups"`
}

// ClientCredentials are the id and secret of an OAuth client
// (client-credentials grant), and the permissions its tokens carry.
type ClientCredentials struct {
	ID     string `yaml:"id" json:"id"`
	Secret string `yaml:"secret" json:"secret"`
	// Permissions are what the client's tokens may do; nil means every
	// permission, an empty list none.
	Permissions []string `yaml:"permissions" json:"permissions"`
}

// FixtureRole is a role of an organization.
type FixtureRole struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
}

// FixtureUser is a user of an organization.
type FixtureUser struct {
	ID    string `yaml:"id" json:"id"`
	Name  string `yaml:"name" json:"name"`
	Email string `yaml:"email" json:"email,omitempty"`
}

// FixtureGroup is a group of an organization, with its member users.
type FixtureGroup struct {
	ID          string   `yaml:"id" json:"id"`
	Name        string   `yaml:"name" json:"name"`
	Description string   `yaml:"description" json:"description,omitempty"`
	Members     []string `yaml:"members" json:"members"`
}

// FixtureTrust is a trust that exists at start: Trustor grants Trustee's
// users and groups access.
type FixtureTrust struct {
	Trustor string `yaml:"trustor"`
	Trustee string `yaml:"trustee"`
	// Enabled defaults to true when nil.
	Enabled *bool `yaml:"enabled"`
	// DateExpired is an RFC 3339 date-time, or "" for no expiry.
	DateExpired string `yaml:"dateExpired"`
	// UsesDefaultRole, HasFullAccess and IsTrustedUser are the Trustee's
	// flags, returned as set.
	UsesDefaultRole bool `yaml:"usesDefaultRole"`
	HasFullAccess   bool `yaml:"hasFullAccess"`
	IsTrustedUser   bool `yaml:"isTrustedUser"`
	// DateCreated is an RFC 3339 date-time; "" means when the sandbox
	// was built.
	DateCreated string `yaml:"dateCreated"`
	// CreatedBy is the id of a user or an OAuth client of the trustor
	// org; "" leaves createdBy out.
	CreatedBy string `yaml:"createdBy"`
	// Users are trustee-org users with trustor-org role ids.
	Users []FixtureTrustUser `yaml:"users"`
	// Groups are trustee-org groups with trustor-org role ids.
	Groups []FixtureTrustGroup `yaml:"groups"`
}

// FixtureTrustUser is a trustee-org user in a trust, with the trustor-org
// roles it holds there and, optionally, when and by whom it was added
// (its trustUserDetails).
type FixtureTrustUser struct {
	ID    string   `yaml:"id"`
	Roles []string `yaml:"roles"`
	// DateCreated is an RFC 3339 date-time; "" means the trust's.
	DateCreated string `yaml:"dateCreated"`
	// CreatedBy is the id of a user or an OAuth client of either org of
	// the trust; "" means the trust's.
	CreatedBy string `yaml:"createdBy"`
}

// FixtureTrustGroup is a trustee-org group in a trust, with the
// trustor-org roles its members hold there.
type FixtureTrustGroup struct {
	ID    string   `yaml:"id"`
	Roles []string `yaml:"roles"`
}

// DemoFixture returns the embedded demo fixture: four organizations
// (Northwind Insurance is the home org), their fake clients, roles and
// users, and three trusts. Each call returns a fresh copy.
func DemoFixture() *Fixture {
	fx, err := ParseFixture("demo.yaml", demoYAML)
	if err != nil {
		// The demo fixture is compiled in and covered by tests.
		panic(fmt.Sprintf("sandbox: embedded demo fixture is invalid: %v", err))
	}
	return fx
}

// LoadFixture reads and checks the fixture file at path.
func LoadFixture(path string) (*Fixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read fixture: %w", err)
	}
	return ParseFixture(path, data)
}

// ParseFixture decodes and checks a fixture. name is used in messages,
// which read "NAME:LINE:COL: path: problem". Unknown keys (with a
// did-you-mean), repeated keys, values of the wrong kind, repeated ids and
// references to unknown orgs, users, groups or roles are errors; every
// problem found is reported.
func ParseFixture(name string, data []byte) (*Fixture, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: fixture is empty (it needs at least an orgs list)", name)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: fixture is empty (it needs at least an orgs list)", name)
	}
	var sc shapeChecker
	sc.check(doc.Content[0], reflect.TypeFor[Fixture](), nil)
	if len(sc.probs) > 0 {
		errs := make([]error, len(sc.probs))
		for i, p := range sc.probs {
			loc := fmt.Sprintf("%s:%d:%d", name, p.line, p.col)
			if p.path != "" {
				loc += ": " + p.path
			}
			errs[i] = fmt.Errorf("%s: %s", loc, p.msg)
		}
		return nil, errors.Join(errs...)
	}
	fx := &Fixture{name: name, doc: &doc}
	if err := doc.Decode(fx); err != nil {
		return nil, yamlError(name, err)
	}
	if err := fx.validate(); err != nil {
		return nil, err
	}
	return fx, nil
}

// yamlLinePrefix matches the "line N: " that yaml.v3 puts in its messages.
var yamlLinePrefix = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlError rewrites a yaml.v3 error (a syntax error, which yaml.v3
// locates by line only) as "NAME:LINE: message" lines.
func yamlError(name string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	errs := make([]error, 0, len(msgs))
	for _, m := range msgs {
		loc := name
		if sm := yamlLinePrefix.FindStringSubmatch(m); sm != nil {
			loc = name + ":" + sm[1]
			m = m[len(sm[0]):]
		}
		errs = append(errs, fmt.Errorf("%s: %s", loc, m))
	}
	return errors.Join(errs...)
}

// problem is one thing wrong with a fixture, located by its path of keys
// and indexes ("orgs", 1, "id").
type problem struct {
	path []any
	msg  string
}

// validate checks a decoded fixture and fills in nothing: defaults are
// applied when the store is built.
func (fx *Fixture) validate() error {
	var probs []problem
	add := func(msg string, path ...any) {
		probs = append(probs, problem{path: path, msg: msg})
	}
	if fx.Limits.MaxUsersPerTrust < 0 {
		add(fmt.Sprintf("maxUsersPerTrust must not be negative, got %d", fx.Limits.MaxUsersPerTrust), "limits", "maxUsersPerTrust")
	}
	if len(fx.Orgs) == 0 {
		add("a fixture needs at least one org", "orgs")
	}

	type owner struct {
		kind string // "org", "role", "user", "client"
		org  int
		path []any
	}
	ids := map[string]owner{}
	claim := func(id, kind string, org int, path ...any) {
		if id == "" {
			add(kind+" id is required", path...)
			return
		}
		if prev, dup := ids[id]; dup {
			add(fmt.Sprintf("duplicate id %q (already used by the %s at %s)", id, prev.kind, fx.where(prev.path)), path...)
			return
		}
		ids[id] = owner{kind: kind, org: org, path: path}
	}
	requireUUID := func(id, kind string, path ...any) {
		if id != "" && !isUUID(id) {
			add(fmt.Sprintf("%s id %q is not a UUID (8-4-4-4-12 hex digits)", kind, id), path...)
		}
	}

	for i, o := range fx.Orgs {
		claim(o.ID, "org", i, "orgs", i, "id")
		requireUUID(o.ID, "org", "orgs", i, "id")
		if strings.TrimSpace(o.Name) == "" {
			add(fmt.Sprintf("org %q needs a name", o.ID), "orgs", i)
		}
		for j, c := range o.Clients {
			claim(c.ID, "client", i, "orgs", i, "clients", j, "id")
			if c.Secret == "" {
				add(fmt.Sprintf("client %q needs a secret", c.ID), "orgs", i, "clients", j)
			}
			for k, p := range c.Permissions {
				if strings.Count(p, ":") != 2 || strings.ContainsAny(p, " \t") {
					add(fmt.Sprintf("permission %q is not of the form domain:entity:action (such as authorization:orgTrustee:view)", p), "orgs", i, "clients", j, "permissions", k)
				}
			}
		}
		for j, r := range o.Roles {
			claim(r.ID, "role", i, "orgs", i, "roles", j, "id")
			requireUUID(r.ID, "role", "orgs", i, "roles", j, "id")
			if strings.TrimSpace(r.Name) == "" {
				add(fmt.Sprintf("role %q needs a name", r.ID), "orgs", i, "roles", j)
			}
		}
		for j, u := range o.Users {
			claim(u.ID, "user", i, "orgs", i, "users", j, "id")
			requireUUID(u.ID, "user", "orgs", i, "users", j, "id")
			if strings.TrimSpace(u.Name) == "" {
				add(fmt.Sprintf("user %q needs a name", u.ID), "orgs", i, "users", j)
			}
		}
		for j, g := range o.Groups {
			claim(g.ID, "group", i, "orgs", i, "groups", j, "id")
			requireUUID(g.ID, "group", "orgs", i, "groups", j, "id")
			if strings.TrimSpace(g.Name) == "" {
				add(fmt.Sprintf("group %q needs a name", g.ID), "orgs", i, "groups", j)
			}
		}
	}
	// Group members are checked once every user id is known.
	for i, o := range fx.Orgs {
		for j, g := range o.Groups {
			seen := map[string]bool{}
			for k, m := range g.Members {
				u, ok := ids[m]
				switch {
				case !ok || u.kind != "user":
					add(fmt.Sprintf("member %q is not a user of this fixture", m), "orgs", i, "groups", j, "members", k)
				case u.org != i:
					add(fmt.Sprintf("member %q is a user of another org; a group holds its own org's users", m), "orgs", i, "groups", j, "members", k)
				case seen[m]:
					add(fmt.Sprintf("member %q is listed twice", m), "orgs", i, "groups", j, "members", k)
				}
				seen[m] = true
			}
		}
	}

	maxUsers := fx.Limits.MaxUsersPerTrust
	if maxUsers <= 0 {
		maxUsers = DefaultMaxUsersPerTrust
	}
	orgRef := func(id, field string, i int) (int, bool) {
		if id == "" {
			add(fmt.Sprintf("trust needs a %s org id", field), "trusts", i)
			return 0, false
		}
		o, ok := ids[id]
		if !ok || o.kind != "org" {
			add(fmt.Sprintf("%s %q is not an org of this fixture", field, id), "trusts", i, field)
			return 0, false
		}
		return o.org, true
	}
	pairs := map[[2]string]int{}
	for i, t := range fx.Trusts {
		trustor, okR := orgRef(t.Trustor, "trustor", i)
		trustee, okE := orgRef(t.Trustee, "trustee", i)
		if okR && okE {
			if t.Trustor == t.Trustee {
				add(fmt.Sprintf("org %q cannot trust itself", t.Trustor), "trusts", i, "trustee")
			}
			key := [2]string{t.Trustor, t.Trustee}
			if prev, dup := pairs[key]; dup {
				add(fmt.Sprintf("trust %s -> %s is listed twice (also trusts[%d])", t.Trustor, t.Trustee, prev), "trusts", i)
			} else {
				pairs[key] = i
			}
		}
		checkDate := func(v, field string, path ...any) {
			if v == "" {
				return
			}
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				add(fmt.Sprintf("%s %q is not an RFC 3339 date-time such as 2027-06-30T00:00:00Z", field, v), path...)
			}
		}
		// createdBy names a user or an OAuth client of one of orgs.
		checkActor := func(v string, orgs []int, path ...any) {
			if v == "" {
				return
			}
			o, ok := ids[v]
			if !ok || (o.kind != "user" && o.kind != "client") {
				add(fmt.Sprintf("createdBy %q is not a user or client id of this fixture", v), path...)
				return
			}
			if (okR || okE) && !slices.Contains(orgs, o.org) {
				add(fmt.Sprintf("createdBy %q is a %s of %q, not of an org of this trust", v, o.kind, fx.Orgs[o.org].ID), path...)
			}
		}
		checkDate(t.DateExpired, "dateExpired", "trusts", i, "dateExpired")
		checkDate(t.DateCreated, "dateCreated", "trusts", i, "dateCreated")
		checkActor(t.CreatedBy, []int{trustor}, "trusts", i, "createdBy")
		if n := len(t.Users) + len(t.Groups); n > maxUsers {
			add(fmt.Sprintf("trust %s -> %s has %d members (users and groups), more than maxUsersPerTrust (%d)", t.Trustor, t.Trustee, n, maxUsers), "trusts", i, "users")
		}
		checkRoles := func(roles []string, path ...any) {
			seenRole := map[string]bool{}
			for k, r := range roles {
				p := append(slices.Clone(path), "roles", k)
				o, ok := ids[r]
				switch {
				case !ok || o.kind != "role":
					add(fmt.Sprintf("role %q is not a role of this fixture", r), p...)
				case okR && o.org != trustor:
					add(fmt.Sprintf("role %q belongs to %q, not to the trustor org %q", r, fx.Orgs[o.org].ID, t.Trustor), p...)
				case seenRole[r]:
					add(fmt.Sprintf("role %q is listed twice", r), p...)
				}
				seenRole[r] = true
			}
		}
		// checkMember checks the id of entry j of the trust's users or
		// groups (kind "user" or "group").
		checkMember := func(kind string, seen map[string]bool, id string, j int) {
			list := kind + "s"
			o, ok := ids[id]
			switch {
			case id == "":
				add("trust "+kind+" id is required", "trusts", i, list, j)
			case !ok || o.kind != kind:
				add(fmt.Sprintf("%s %q is not a %s of this fixture", kind, id, kind), "trusts", i, list, j, "id")
			case okE && o.org != trustee:
				add(fmt.Sprintf("%s %q belongs to %q, not to the trustee org %q", kind, id, fx.Orgs[o.org].ID, t.Trustee), "trusts", i, list, j, "id")
			case seen[id]:
				add(fmt.Sprintf("%s %q is listed twice in this trust", kind, id), "trusts", i, list, j, "id")
			}
			seen[id] = true
		}
		seenGroup := map[string]bool{}
		for j, g := range t.Groups {
			checkMember("group", seenGroup, g.ID, j)
			checkRoles(g.Roles, "trusts", i, "groups", j)
		}
		seen := map[string]bool{}
		for j, u := range t.Users {
			checkMember("user", seen, u.ID, j)
			checkRoles(u.Roles, "trusts", i, "users", j)
			checkDate(u.DateCreated, "dateCreated", "trusts", i, "users", j, "dateCreated")
			checkActor(u.CreatedBy, []int{trustor, trustee}, "trusts", i, "users", j, "createdBy")
		}
	}
	if len(probs) == 0 {
		return nil
	}
	errs := make([]error, len(probs))
	for i, p := range probs {
		errs[i] = fmt.Errorf("%s: %s: %s", fx.where(p.path), pathString(p.path), p.msg)
	}
	return errors.Join(errs...)
}

// where locates path in the fixture's source: "NAME:LINE:COL" when the
// fixture was parsed, else just its name (or "fixture").
func (fx *Fixture) where(path []any) string {
	name := fx.name
	if name == "" {
		name = "fixture"
	}
	if fx.doc == nil || len(fx.doc.Content) == 0 {
		return name
	}
	n := fx.doc.Content[0]
	for _, step := range path {
		next := childNode(n, step)
		if next == nil {
			break
		}
		n = next
	}
	return fmt.Sprintf("%s:%d:%d", name, n.Line, n.Column)
}

// childNode returns the value under key (a string, in a mapping) or index
// (an int, in a sequence), or nil.
func childNode(n *yaml.Node, step any) *yaml.Node {
	switch s := step.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == s {
				return n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && s < len(n.Content) {
			return n.Content[s]
		}
	}
	return nil
}

// pathString renders a path as "orgs[1].users[0].id".
func pathString(path []any) string {
	var b strings.Builder
	for _, step := range path {
		switch s := step.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		case int:
			b.WriteString("[" + strconv.Itoa(s) + "]")
		}
	}
	return b.String()
}
