package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// roundTrip encodes cfg, loads the result and checks that it is the same
// configuration with the same digest. It returns the YAML.
func roundTrip(t *testing.T, cfg *Config, opts EncodeOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, cfg, opts); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	got, diags := loadSources([]source{{name: "out.yaml", data: b.Bytes()}}, testNow, checkAll)
	if diags.HasErrors() || got == nil {
		t.Fatalf("encoded file does not load:\n%v\n%s", diags, b.String())
	}
	if diff := cmp.Diff(cfg, got, ignorePos, cmpopts.IgnoreFields(Config{}, "Files"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip changed the configuration (-before +after):\n%s\n%s", diff, b.String())
	}
	if got.Digest() != cfg.Digest() {
		t.Errorf("round trip changed the digest\n%s", b.String())
	}
	var again bytes.Buffer
	if err := Encode(&again, got, opts); err != nil {
		t.Fatal(err)
	}
	if again.String() != b.String() {
		t.Errorf("encoding is not stable:\nfirst:\n%s\nsecond:\n%s", b.String(), again.String())
	}
	return b.String()
}

func TestEncodeRoundTripsEverySample(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "valid", "*.yaml"))
	files = append(files, filepath.Join("..", "..", "examples", "trusts.yaml"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, mustLoad(t, source{name: f, data: data}), EncodeOptions{})
		})
	}
}

func TestEncodeForms(t *testing.T) {
	cfg := mustLoad(t, source{name: "a.yaml", data: []byte(`version: 1
organization: {id: a0000000-0000-4000-8000-000000000001, name: Northwind Insurance}
policy: {maxUsersPerTrust: 25, maxRemovalPercent: 0, warnExpiryDays: 30, forbiddenRoles: [Master Admin]}
protect: {trustees: [d0000000-0000-4000-8000-000000000004]}
trustees:
  - id: b0000000-0000-4000-8000-000000000002
    name: Bluebird Outsourcing
    expires: 2027-03-31T17:30:00+02:00
    users:
      - {id: b2000000-0000-4000-8000-000000000001, name: Bo Blue, roles: [Claims Supervisor, Quality Evaluator]}
      - {id: b2000000-0000-4000-8000-000000000002, roles: []}
    groups: []
  - id: b0000000-0000-4000-8000-000000000003
    enabled: false
    expires: 2027-01-01
trustors:
  - id: c0000000-0000-4000-8000-000000000003
    users: [a2000000-0000-4000-8000-000000000001, {id: a2000000-0000-4000-8000-000000000003, name: Priya Patel}]
    groups: [a3000000-0000-4000-8000-000000000001]
`)})
	got := roundTrip(t, cfg, EncodeOptions{
		Header: "Exported from Northwind Insurance (a0000000-0000-4000-8000-000000000001)",
		Footer: "protect:\n  trustees: [d0000000-0000-4000-8000-000000000009]  # Genesys Customer Care",
		Comments: map[string]Comment{
			"/trustees/0":          {Head: "Bluebird Outsourcing", Line: "b0000000"},
			"/trustees/0/users/0":  {Line: "Bo Blue"},
			"/trustors/0/users/0":  {Line: "Nadia North"},
			"/organization":        {Head: "the org this file is for"},
			"/trustees/1/enabled":  {Line: "paused"},
			"/trustors/0/groups/0": {Head: "Northwind Auditors"},
		},
	})
	want := `# Exported from Northwind Insurance (a0000000-0000-4000-8000-000000000001)

version: 1
# the org this file is for
organization:
  id: a0000000-0000-4000-8000-000000000001
  name: Northwind Insurance
policy:
  forbiddenRoles: [Master Admin]
  maxRemovalPercent: 0
protect:
  trustees: [d0000000-0000-4000-8000-000000000004]
trustees:
  # Bluebird Outsourcing
  - id: b0000000-0000-4000-8000-000000000002 # b0000000
    name: Bluebird Outsourcing
    enabled: true
    expires: 2027-03-31T15:30:00Z
    users:
      - id: b2000000-0000-4000-8000-000000000001 # Bo Blue
        name: Bo Blue
        roles: [Claims Supervisor, Quality Evaluator]
      - id: b2000000-0000-4000-8000-000000000002
        roles: []
    groups: []
  - id: b0000000-0000-4000-8000-000000000003
    enabled: false # paused
    expires: 2027-01-01
trustors:
  - id: c0000000-0000-4000-8000-000000000003
    users:
      - a2000000-0000-4000-8000-000000000001 # Nadia North
      - {id: a2000000-0000-4000-8000-000000000003, name: Priya Patel}
    groups:
      # Northwind Auditors
      - a3000000-0000-4000-8000-000000000001

# protect:
#   trustees: [d0000000-0000-4000-8000-000000000009]  # Genesys Customer Care
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Encode (-want +got):\n%s", diff)
	}
}

func TestEncodeOmitsUnmanagedSections(t *testing.T) {
	got := roundTrip(t, mustLoad(t, source{name: "a.yaml", data: []byte("version: 1\n")}), EncodeOptions{})
	if got != "version: 1\n" {
		t.Errorf("Encode of an empty configuration = %q", got)
	}
	got = roundTrip(t, mustLoad(t, source{name: "a.yaml", data: []byte("version: 1\ntrustees: []\ntrustors: []\n")}), EncodeOptions{})
	if got != "version: 1\ntrustees: []\ntrustors: []\n" {
		t.Errorf("Encode of empty, managed sections = %q", got)
	}
}

func TestEncodeRefusesUnknownCommentPointers(t *testing.T) {
	cfg := mustLoad(t, source{name: "a.yaml", data: []byte("version: 1\ntrustees: []\n")})
	for _, ptr := range []string{"/trustees/0", "/nope", "trustees"} {
		err := Encode(&bytes.Buffer{}, cfg, EncodeOptions{Comments: map[string]Comment{ptr: {Head: "x"}}})
		if err == nil || !strings.Contains(err.Error(), "no such value") {
			t.Errorf("comment at %q: err = %v, want no such value", ptr, err)
		}
	}
}
