package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoFixture(t *testing.T) {
	fx := DemoFixture()
	wantOrgs := []struct {
		id, name, client string
		care             bool
		roles, users     int
	}{
		{northwind, "Northwind Insurance", "northwind-demo-client", false, 6, 3},
		{bluebird, "Bluebird Outsourcing", "bluebird-demo-client", false, 2, 4},
		{copperfield, "Copperfield Consulting", "copperfield-demo-client", false, 3, 2},
		{care, "Genesys Customer Care", "care-demo-client", true, 0, 1},
	}
	if len(fx.Orgs) != len(wantOrgs) {
		t.Fatalf("%d orgs, want %d", len(fx.Orgs), len(wantOrgs))
	}
	users := 0
	for i, w := range wantOrgs {
		o := fx.Orgs[i]
		if o.ID != w.id || o.Name != w.name || o.Care != w.care || len(o.Roles) != w.roles || len(o.Users) != w.users {
			t.Errorf("org %d = %s %q care=%v roles=%d users=%d, want %+v", i, o.ID, o.Name, o.Care, len(o.Roles), len(o.Users), w)
		}
		if len(o.Clients) != 1 || o.Clients[0].ID != w.client || !strings.Contains(o.Clients[0].Secret, "NOT-A-REAL-SECRET") {
			t.Errorf("org %s clients = %+v", o.Name, o.Clients)
		}
		users += len(o.Users)
	}
	if users < 10 {
		t.Errorf("%d users, want at least 10", users)
	}
	if got := fx.Orgs[0].Roles[5]; got.ID != roleMasterAdmin || got.Name != "Master Admin" {
		t.Errorf("Northwind role 6 = %+v", got)
	}
	if got := fx.Orgs[1].Users[3]; got.ID != userBianca || got.Name != "Bianca Bell" || got.Email != "bianca@bluebird.example" {
		t.Errorf("Bluebird user 4 = %+v", got)
	}
	if len(fx.Trusts) != 3 {
		t.Fatalf("%d trusts, want 3", len(fx.Trusts))
	}
	nb := fx.Trusts[0]
	if nb.Trustor != northwind || nb.Trustee != bluebird || nb.DateExpired != "2027-06-30T00:00:00Z" || len(nb.Users) != 3 ||
		strings.Join(nb.Users[0].Roles, ",") != roleClaimsSupervisor+","+roleReportingViewer {
		t.Errorf("Northwind -> Bluebird trust = %+v", nb)
	}
	cn := fx.Trusts[1]
	if cn.Trustor != copperfield || cn.Trustee != northwind || cn.DateExpired != "" || len(cn.Users) != 2 {
		t.Errorf("Copperfield -> Northwind trust = %+v", cn)
	}
	nc := fx.Trusts[2]
	if nc.Trustor != northwind || nc.Trustee != care || len(nc.Users) != 1 || nc.Users[0].ID != userGrace || nc.Users[0].Roles[0] != roleMasterAdmin {
		t.Errorf("Northwind -> Care trust = %+v", nc)
	}

	// Each call is a fresh copy.
	fx.Orgs[0].Name = "changed"
	if DemoFixture().Orgs[0].Name != "Northwind Insurance" {
		t.Error("DemoFixture shares state between calls")
	}
}

func TestParseFixtureErrors(t *testing.T) {
	const org = `
orgs:
  - id: "a0000000-0000-4000-8000-000000000001"
    name: "A"
    roles: [{id: "a1000000-0000-4000-8000-000000000001", name: "R"}]
    users: [{id: "a2000000-0000-4000-8000-000000000001", name: "U"}]
  - id: "b0000000-0000-4000-8000-000000000002"
    name: "B"
    users: [{id: "b2000000-0000-4000-8000-000000000001", name: "V"}]
`
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"empty", "", []string{"f.yaml: fixture is empty"}},
		{"syntax", "orgs: [", []string{"f.yaml:1: "}},
		{"unknown top key", "orgz: []", []string{`f.yaml:1:1: unknown key "orgz"; did you mean "orgs"? (allowed here: limits, orgs, trusts)`}},
		{"unknown org key", "orgs:\n  - id: x\n    nam: A\n", []string{`f.yaml:3:5: orgs[0]: unknown key "nam"; did you mean "name"?`, "id, name, care"}},
		{"unknown key, no close match", "orgs:\n  - id: x\n    colour: red\n", []string{`f.yaml:3:5: orgs[0]: unknown key "colour" (allowed here:`}},
		{"wrong type", "orgs:\n  - id: a\n    care: sometimes\n", []string{`f.yaml:3:11: orgs[0].care: expected true or false, got "sometimes"`}},
		{"list expected", "orgs:\n  - id: a\n    users: nobody\n", []string{`f.yaml:3:12: orgs[0].users: expected a list, got "nobody"`}},
		{"mapping expected", "orgs: [oops]\n", []string{`f.yaml:1:8: orgs[0]: expected a mapping with the keys id, name`}},
		{"repeated key", "orgs:\n  - id: a\n    id: b\n", []string{`f.yaml:3:5: orgs[0].id: key "id" is repeated (first at line 2)`}},
		{"unknown group member", org + "    groups: [{id: \"b3000000-0000-4000-8000-000000000001\", name: G, members: [\"a2000000-0000-4000-8000-000000000001\"]}]\n",
			[]string{`orgs[1].groups[0].members[0]: member "a2000000-0000-4000-8000-000000000001" is a user of another org`}},
		{"group of wrong org", org + "    groups: [{id: \"b3000000-0000-4000-8000-000000000001\", name: G}]\ntrusts:\n  - trustor: \"b0000000-0000-4000-8000-000000000002\"\n    trustee: \"a0000000-0000-4000-8000-000000000001\"\n    groups: [{id: \"b3000000-0000-4000-8000-000000000001\"}]\n",
			[]string{`trusts[0].groups[0].id: group "b3000000-0000-4000-8000-000000000001" belongs to "b0000000-0000-4000-8000-000000000002", not to the trustee org`}},
		{"bad permission", "orgs:\n  - id: \"a0000000-0000-4000-8000-000000000001\"\n    name: A\n    clients: [{id: c1, secret: s, permissions: [\"view everything\"]}]\n",
			[]string{`orgs[0].clients[0].permissions[0]: permission "view everything" is not of the form domain:entity:action`}},
		{"createdBy of another org", org + "trusts:\n  - trustor: \"a0000000-0000-4000-8000-000000000001\"\n    trustee: \"b0000000-0000-4000-8000-000000000002\"\n    createdBy: \"b2000000-0000-4000-8000-000000000001\"\n    dateCreated: yesterday\n",
			[]string{`trusts[0].createdBy: createdBy "b2000000-0000-4000-8000-000000000001" is a user of "b0000000-0000-4000-8000-000000000002", not of an org of this trust`,
				`trusts[0].dateCreated: dateCreated "yesterday" is not an RFC 3339 date-time`}},
		{"no orgs", "limits: {maxUsersPerTrust: 3}\n", []string{"a fixture needs at least one org"}},
		{"negative limit", "limits: {maxUsersPerTrust: -1}\n" + org, []string{"f.yaml:1:28: limits.maxUsersPerTrust: maxUsersPerTrust must not be negative"}},
		{"bad uuid", "orgs:\n  - {id: nope, name: X}\n", []string{"f.yaml:2:10: orgs[0].id: org id \"nope\" is not a UUID"}},
		{"missing name", "orgs:\n  - {id: \"a0000000-0000-4000-8000-000000000001\"}\n", []string{"f.yaml:2:5: orgs[0]: org \"a0000000-0000-4000-8000-000000000001\" needs a name"}},
		{"duplicate id", org + "  - id: \"a2000000-0000-4000-8000-000000000001\"\n    name: C\n",
			[]string{"f.yaml:10:9: orgs[2].id: duplicate id \"a2000000-0000-4000-8000-000000000001\" (already used by the user at f.yaml:6:18)"}},
		{"client without secret", "orgs:\n  - id: \"a0000000-0000-4000-8000-000000000001\"\n    name: A\n    clients: [{id: c1}]\n", []string{"client \"c1\" needs a secret"}},
		{"unknown trustor", org + "trusts:\n  - {trustor: \"f0000000-0000-4000-8000-000000000009\", trustee: \"b0000000-0000-4000-8000-000000000002\"}\n",
			[]string{"f.yaml:11:15: trusts[0].trustor: trustor \"f0000000-0000-4000-8000-000000000009\" is not an org of this fixture"}},
		{"self trust", org + "trusts:\n  - {trustor: \"a0000000-0000-4000-8000-000000000001\", trustee: \"a0000000-0000-4000-8000-000000000001\"}\n",
			[]string{"cannot trust itself"}},
		{"user of wrong org", org + "trusts:\n  - trustor: \"a0000000-0000-4000-8000-000000000001\"\n    trustee: \"b0000000-0000-4000-8000-000000000002\"\n    users: [{id: \"a2000000-0000-4000-8000-000000000001\"}]\n",
			[]string{"f.yaml:13:18: trusts[0].users[0].id: user \"a2000000-0000-4000-8000-000000000001\" belongs to \"a0000000-0000-4000-8000-000000000001\", not to the trustee org"}},
		{"unknown user", org + "trusts:\n  - trustor: \"a0000000-0000-4000-8000-000000000001\"\n    trustee: \"b0000000-0000-4000-8000-000000000002\"\n    users: [{id: \"b2000000-0000-4000-8000-000000000009\"}]\n",
			[]string{"user \"b2000000-0000-4000-8000-000000000009\" is not a user of this fixture"}},
		{"role of wrong org", org + "trusts:\n  - trustor: \"b0000000-0000-4000-8000-000000000002\"\n    trustee: \"a0000000-0000-4000-8000-000000000001\"\n    users: [{id: \"a2000000-0000-4000-8000-000000000001\", roles: [\"a1000000-0000-4000-8000-000000000001\"]}]\n",
			[]string{"trusts[0].users[0].roles[0]: role \"a1000000-0000-4000-8000-000000000001\" belongs to \"a0000000-0000-4000-8000-000000000001\", not to the trustor org"}},
		{"unknown role", org + "trusts:\n  - trustor: \"a0000000-0000-4000-8000-000000000001\"\n    trustee: \"b0000000-0000-4000-8000-000000000002\"\n    users: [{id: \"b2000000-0000-4000-8000-000000000001\", roles: [\"a1000000-0000-4000-8000-000000000009\"]}]\n",
			[]string{"role \"a1000000-0000-4000-8000-000000000009\" is not a role of this fixture"}},
		{"bad date", org + "trusts:\n  - trustor: \"a0000000-0000-4000-8000-000000000001\"\n    trustee: \"b0000000-0000-4000-8000-000000000002\"\n    dateExpired: tomorrow\n",
			[]string{"trusts[0].dateExpired: dateExpired \"tomorrow\" is not an RFC 3339 date-time"}},
		{"duplicate trust", org + "trusts:\n  - {trustor: \"a0000000-0000-4000-8000-000000000001\", trustee: \"b0000000-0000-4000-8000-000000000002\"}\n  - {trustor: \"a0000000-0000-4000-8000-000000000001\", trustee: \"b0000000-0000-4000-8000-000000000002\"}\n",
			[]string{"trusts[1]: trust a0000000-0000-4000-8000-000000000001 -> b0000000-0000-4000-8000-000000000002 is listed twice"}},
		{"duplicate trust user", org + "trusts:\n  - trustor: \"a0000000-0000-4000-8000-000000000001\"\n    trustee: \"b0000000-0000-4000-8000-000000000002\"\n    users: [{id: \"b2000000-0000-4000-8000-000000000001\"}, {id: \"b2000000-0000-4000-8000-000000000001\"}]\n",
			[]string{"is listed twice in this trust"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFixture("f.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

func TestParseFixtureReportsEveryProblem(t *testing.T) {
	_, err := ParseFixture("f.yaml", []byte("orgs:\n  - {id: one, name: A}\n  - {id: two, name: B}\n"))
	if err == nil || !strings.Contains(err.Error(), `"one"`) || !strings.Contains(err.Error(), `"two"`) {
		t.Fatalf("want both bad ids reported, got %v", err)
	}
	// Shape problems anywhere in the document come together too.
	_, err = ParseFixture("f.yaml", []byte("limit: {}\norgs:\n  - {id: a, nmae: A, care: 3}\ntrusts: {}\n"))
	want := []string{
		`f.yaml:1:1: unknown key "limit"; did you mean "limits"? (allowed here: limits, orgs, trusts)`,
		`f.yaml:3:13: orgs[0]: unknown key "nmae"; did you mean "name"? (allowed here: id, name, care, clients, roles, users, groups)`,
		`f.yaml:3:28: orgs[0].care: expected true or false, got "3"`,
		`f.yaml:4:9: trusts: expected a list, got a mapping`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

func TestParseFixtureLimitAndDefaults(t *testing.T) {
	_, err := ParseFixture("f.yaml", []byte(`
limits: {maxUsersPerTrust: 1}
orgs:
  - {id: "a0000000-0000-4000-8000-000000000001", name: A, roles: [{id: "a1000000-0000-4000-8000-000000000001", name: R}]}
  - id: "b0000000-0000-4000-8000-000000000002"
    name: B
    users: [{id: "b2000000-0000-4000-8000-000000000001", name: U}, {id: "b2000000-0000-4000-8000-000000000002", name: V}]
trusts:
  - trustor: "a0000000-0000-4000-8000-000000000001"
    trustee: "b0000000-0000-4000-8000-000000000002"
    users: [{id: "b2000000-0000-4000-8000-000000000001"}, {id: "b2000000-0000-4000-8000-000000000002"}]
`))
	if err == nil || !strings.Contains(err.Error(), "has 2 members (users and groups), more than maxUsersPerTrust (1)") {
		t.Fatalf("want a limit error, got %v", err)
	}
	fx, err := ParseFixture("f.yaml", []byte(`
orgs:
  - {id: "a0000000-0000-4000-8000-000000000001", name: A}
  - {id: "b0000000-0000-4000-8000-000000000002", name: B}
trusts:
  - {trustor: "a0000000-0000-4000-8000-000000000001", trustee: "b0000000-0000-4000-8000-000000000002"}
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(fx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.st.MaxUsersPerTrust != DefaultMaxUsersPerTrust || !s.st.Trusts[0].Enabled || s.st.Trusts[0].DateExpired != nil {
		t.Errorf("defaults not applied: max=%d trust=%+v", s.st.MaxUsersPerTrust, s.st.Trusts[0])
	}
}

func TestLoadFixture(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "orgs.yaml")
	if err := os.WriteFile(path, []byte("orgs:\n  - {id: \"a0000000-0000-4000-8000-000000000001\", name: A, bogus: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFixture(path)
	if err == nil || !strings.Contains(err.Error(), path+":2:59: orgs[0]: unknown key \"bogus\"") {
		t.Fatalf("want an error naming %s:2:59, got %v", path, err)
	}
	if _, err := LoadFixture(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("want an error naming the missing file, got %v", err)
	}
	if err := os.WriteFile(path, demoYAML, 0o644); err != nil {
		t.Fatal(err)
	}
	fx, err := LoadFixture(path)
	if err != nil || len(fx.Orgs) != 4 {
		t.Fatalf("LoadFixture(demo) = %v, %v", fx, err)
	}
}

func TestNewChecksFixtureBuiltInCode(t *testing.T) {
	fx := &Fixture{
		Orgs:   []FixtureOrg{{ID: northwind, Name: "N"}},
		Trusts: []FixtureTrust{{Trustor: northwind, Trustee: bluebird}},
	}
	_, err := New(fx, Options{})
	if err == nil || !strings.Contains(err.Error(), "fixture: trusts[0].trustee: trustee \""+bluebird+"\" is not an org of this fixture") {
		t.Fatalf("want an unknown-trustee error, got %v", err)
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Fatal("New(nil) without a state file should fail")
	}
	for _, opts := range []Options{{FaultRate: 1.5}, {FaultRate: -0.1}, {RateLimit: -1}, {Latency: -1}} {
		if _, err := New(DemoFixture(), opts); err == nil {
			t.Errorf("New with %+v should fail", opts)
		}
	}
}

// FuzzFixture feeds the fixture loader arbitrary documents: it must
// return a fixture that New accepts, or an error, and never panic.
func FuzzFixture(f *testing.F) {
	f.Add(demoYAML)
	f.Add([]byte("orgs:\n  - {id: \"a0000000-0000-4000-8000-000000000001\", name: A, nmae: B}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		fx, err := ParseFixture("f.yaml", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if _, err := New(fx, Options{}); err != nil {
			t.Fatalf("ParseFixture accepted a fixture New refuses: %v", err)
		}
	})
}
