package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignorePos compares configurations by content only.
var ignorePos = cmp.Options{cmpopts.IgnoreTypes(Pos{}), cmpopts.IgnoreFields(Config{}, "Positions")}

func mustLoad(t *testing.T, files ...source) *Config {
	t.Helper()
	cfg, diags := loadSources(files, testNow, checkAll)
	if diags.HasErrors() || cfg == nil {
		t.Fatalf("unexpected errors:\n%v", diags)
	}
	return cfg
}

func date(y int, m time.Month, d, h, min int) *time.Time {
	t := time.Date(y, m, d, h, min, 0, 0, time.UTC)
	return &t
}

func TestLoadDecodesEveryKey(t *testing.T) {
	cfg := mustLoad(t, source{name: "trusts.yaml", data: []byte(`version: 1
organization:
  id: A0000000-0000-4000-8000-000000000001
  name: Northwind Insurance
  region: eu-west-1
policy:
  requireExpiry: true
  maxTrustDays: 400
  forbiddenRoles: [Master Admin]
  maxUsersPerTrust: 10
  maxRemovalPercent: 0
protect:
  trustees: [d0000000-0000-4000-8000-000000000004]
  trustors: []
trustees:
  - id: b0000000-0000-4000-8000-000000000002
    name: Bluebird Outsourcing
    pairingId: 7c9e6679-7425-40de-944b-e07fc1f90ae7
    enabled: false
    expires: 2027-03-31
    users:
      - id: b2000000-0000-4000-8000-000000000001
        name: Bo Blue
        roles: [Claims Supervisor, a1000000-0000-4000-8000-000000000003]
  - id: b0000000-0000-4000-8000-000000000005
    expires: 2027-03-31T17:30:00+02:00
    users: []
  - id: b0000000-0000-4000-8000-000000000006
    expires: 2027-01-01T00:00:00Z
trustors:
  - id: c0000000-0000-4000-8000-000000000003
    name: Copperfield Consulting
    users:
      - a2000000-0000-4000-8000-000000000001
      - {id: a2000000-0000-4000-8000-000000000003, name: Priya Patel}
  - id: c0000000-0000-4000-8000-000000000007
`)})
	want := &Config{
		Version:      1,
		Organization: &Organization{ID: "a0000000-0000-4000-8000-000000000001", Name: "Northwind Insurance", Region: "eu-west-1"},
		Policy: Policy{RequireExpiry: true, MaxTrustDays: 400, ForbiddenRoles: []RoleRef{{Ref: "Master Admin"}},
			MaxUsersPerTrust: 10, MaxRemovalPercent: 0, WarnExpiryDays: DefaultWarnExpiryDays},
		Protect:        Protect{Trustees: []OrgRef{{ID: "d0000000-0000-4000-8000-000000000004"}}},
		ManageTrustees: true,
		Trustees: []Trustee{
			{ID: "b0000000-0000-4000-8000-000000000002", Name: "Bluebird Outsourcing", PairingID: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
				Enabled: false, Expires: date(2027, 3, 31, 0, 0), ManageUsers: true, Users: []TrusteeUser{
					{ID: "b2000000-0000-4000-8000-000000000001", Name: "Bo Blue", Roles: []RoleRef{{Ref: "Claims Supervisor"}, {Ref: "a1000000-0000-4000-8000-000000000003"}}},
				}},
			{ID: "b0000000-0000-4000-8000-000000000005", Enabled: true, Expires: date(2027, 3, 31, 15, 30), ManageUsers: true, Users: []TrusteeUser{}},
			{ID: "b0000000-0000-4000-8000-000000000006", Enabled: true, Expires: date(2027, 1, 1, 0, 0)},
		},
		ManageTrustors: true,
		Trustors: []Trustor{
			{ID: "c0000000-0000-4000-8000-000000000003", Name: "Copperfield Consulting", ManageUsers: true, Users: []TrustorUser{
				{ID: "a2000000-0000-4000-8000-000000000001"},
				{ID: "a2000000-0000-4000-8000-000000000003", Name: "Priya Patel"},
			}},
			{ID: "c0000000-0000-4000-8000-000000000007"},
		},
		Files: []string{"trusts.yaml"},
	}
	if diff := cmp.Diff(want, cfg, ignorePos, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if got := cfg.Trustees[0].Users[0].Roles[1].Pos; got != (Pos{File: "trusts.yaml", Line: 24, Col: 36}) {
		t.Errorf("role position = %v, want trusts.yaml:24:36", got)
	}
}

func TestOmittedAndEmptySections(t *testing.T) {
	omitted := mustLoad(t, source{name: "a.yaml", data: []byte("version: 1\n")})
	if omitted.ManageTrustees || omitted.ManageTrustors {
		t.Errorf("omitted sections are managed: %+v", omitted)
	}
	if omitted.Policy.MaxUsersPerTrust != DefaultMaxUsersPerTrust || omitted.Policy.MaxRemovalPercent != DefaultMaxRemovalPercent {
		t.Errorf("policy defaults = %+v, want %d/%d", omitted.Policy, DefaultMaxUsersPerTrust, DefaultMaxRemovalPercent)
	}
	if omitted.Organization != nil {
		t.Errorf("Organization = %+v, want nil when omitted", omitted.Organization)
	}

	empty := mustLoad(t, source{name: "a.yaml", data: []byte("version: 1\ntrustees: []\ntrustors: []\n")})
	if !empty.ManageTrustees || !empty.ManageTrustors || len(empty.Trustees) != 0 || len(empty.Trustors) != 0 {
		t.Errorf("empty sections: %+v, want managed and empty", empty)
	}

	// Sections merge: a key in any file makes the section managed.
	split := mustLoad(t,
		source{name: "a.yaml", data: []byte("version: 1\ntrustees: []\n")},
		source{name: "b.yaml", data: []byte("version: 1\ntrustors: [{id: c0000000-0000-4000-8000-000000000003}]\n")})
	if !split.ManageTrustees || !split.ManageTrustors || len(split.Trustors) != 1 {
		t.Errorf("split files: %+v", split)
	}
	if got := split.Trustors[0].ManageUsers; got {
		t.Error("trustor without users key has ManageUsers")
	}
}

func TestAliasesAreExpanded(t *testing.T) {
	cfg := mustLoad(t, source{name: "a.yaml", data: []byte(`version: 1
trustees:
  - id: b0000000-0000-4000-8000-000000000002
    users:
      - {id: b2000000-0000-4000-8000-000000000001, roles: &agent [Claims Agent, Quality Evaluator]}
      - {id: b2000000-0000-4000-8000-000000000002, roles: *agent}
`)})
	got := cfg.Trustees[0].Users[1].Roles
	if len(got) != 2 || got[0].Ref != "Claims Agent" || got[1].Ref != "Quality Evaluator" {
		t.Errorf("roles through alias = %+v", got)
	}
}

func TestExampleFile(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "trusts.yaml")
	cfg, diags := Load(context.Background(), []string{path}, testNow)
	if len(diags) != 0 {
		t.Fatalf("examples/trusts.yaml has diagnostics:\n%v", diags)
	}
	if cfg.Organization == nil || cfg.Organization.ID != "a0000000-0000-4000-8000-000000000001" {
		t.Errorf("organization = %+v, want Northwind Insurance", cfg.Organization)
	}
	if !cfg.Policy.RequireExpiry || len(cfg.Policy.ForbiddenRoles) != 1 || cfg.Policy.ForbiddenRoles[0].Ref != "Master Admin" {
		t.Errorf("policy = %+v", cfg.Policy)
	}
	for _, tr := range cfg.Trustees {
		if tr.ID == "d0000000-0000-4000-8000-000000000004" {
			t.Error("the example lists the Customer Care org; it must stay protected")
		}
	}
	// The example must stay valid until well after its expiry date: an
	// expired trust is only a warning.
	later := time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, diags := Load(context.Background(), []string{path}, later); diags.HasErrors() {
		t.Errorf("examples/trusts.yaml is invalid in 2028:\n%v", diags)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDirectoriesAndFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "trusts", "b.yml"), "version: 1\ntrustors: [{id: c0000000-0000-4000-8000-000000000003}]\n")
	writeFile(t, filepath.Join(dir, "trusts", "a.yaml"), "version: 1\ntrustees: [{id: b0000000-0000-4000-8000-000000000002}]\n")
	writeFile(t, filepath.Join(dir, "trusts", "notes.txt"), "not yaml: [")
	writeFile(t, filepath.Join(dir, "trusts", ".hidden.yaml"), "not: valid")
	writeFile(t, filepath.Join(dir, "trusts", "sub", "c.yaml"), "not: valid")
	writeFile(t, filepath.Join(dir, "policy.yaml"), "version: 1\npolicy: {requireExpiry: false}\n")

	trusts := filepath.Join(dir, "trusts")
	a := filepath.Join(trusts, "a.yaml")
	cfg, diags := Load(context.Background(), []string{filepath.Join(dir, "policy.yaml"), trusts, a}, testNow)
	if len(diags) != 0 {
		t.Fatalf("diagnostics:\n%v", diags)
	}
	want := []string{filepath.Join(dir, "policy.yaml"), a, filepath.Join(trusts, "b.yml")}
	if diff := cmp.Diff(want, cfg.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(cfg.Trustees) != 1 || len(cfg.Trustors) != 1 {
		t.Errorf("merged config: %+v", cfg)
	}
}

func TestLoadPathErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "empty", "README.md"), "nothing")
	missing := filepath.Join(dir, "missing.yaml")
	cfg, diags := Load(context.Background(), []string{missing, filepath.Join(dir, "empty")}, testNow)
	if cfg != nil {
		t.Errorf("cfg = %+v, want nil", cfg)
	}
	var got []string
	for _, d := range diags {
		got = append(got, strings.ReplaceAll(d.String(), dir, "DIR"))
	}
	want := []string{
		"DIR/missing.yaml: error: cannot read: no such file or directory",
		"DIR/empty: error: directory holds no *.yaml or *.yml files",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}

	if cfg, diags := Load(context.Background(), nil, testNow); cfg != nil || !diags.HasErrors() {
		t.Errorf("Load(nil) = %v, %v; want nil and an error", cfg, diags)
	}

	// Load gives readFile what is left of MaxInputSize; reading stops one
	// byte past it.
	big := filepath.Join(dir, "big.yaml")
	content := "version: 1\ntrustees: []\n"
	writeFile(t, big, content)
	if data, d := readFile(context.Background(), big, len(content)); d != nil || string(data) != content {
		t.Errorf("readFile within the limit = %q, %v", data, d)
	}
	if _, d := readFile(context.Background(), big, len(content)-1); d == nil || !strings.Contains(d.Message, "too large") {
		t.Errorf("readFile over the limit: %v", d)
	}
}

func TestLoadReturnsConfigDespiteSemanticErrors(t *testing.T) {
	cfg, diags := loadSources(one("version: 1\ntrustees:\n  - id: b0000000-0000-4000-8000-000000000002\n  - id: b0000000-0000-4000-8000-000000000002\n"), testNow, checkAll)
	if !diags.HasErrors() {
		t.Fatal("duplicate trustee not reported")
	}
	if cfg == nil {
		t.Fatal("cfg is nil; want the parsed configuration alongside the errors")
	}
	if _, diags := loadSources(one("version: 1\nx: [\n"), testNow, checkAll); !diags.HasErrors() {
		t.Fatal("syntax error not reported")
	}
	if cfg, _ := loadSources(one("version: 1\nx: [\n"), testNow, checkAll); cfg != nil {
		t.Errorf("cfg for unparsable file = %+v, want nil", cfg)
	}
}
