package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testNow is the reference time of every test: expiry rules depend on it.
var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// base is a minimal valid header for rule cases.
const base = "version: 1\n"

// ruleCases exercise one rule each. The diagnostics Load reports (text form,
// hints included) are compared with testdata/golden/<name>.golden; run
// `go test ./internal/config -update` to rewrite them and review the diff.
var ruleCases = []struct {
	name  string
	files []source // one or more files, merged in order
	// valid says whether the result must be free of errors.
	valid bool
}{
	// File-level problems.
	{name: "empty_file", files: one("")},
	{name: "comments_only", files: one("# nothing here\n")},
	{name: "null_document", files: one("---\n~\n")},
	{name: "syntax_error", files: one("version: 1\ntrustees:\n  - id: [\n")},
	{name: "tab_indentation", files: one("version: 1\ntrustees:\n\t- id: x\n")},
	{name: "two_documents", files: one("version: 1\n---\nversion: 1\n")},
	{name: "root_is_list", files: one("- version: 1\n")},
	{name: "alias_cycle", files: one("version: 1\ntrustees: &t\n  - *t\n")},
	{name: "alias_bomb", files: one(aliasBomb())},
	{name: "too_deep", files: one("version: 1\nx: " + strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2) + "\n")},
	{name: "too_large", files: []source{
		{name: "a.yaml", data: []byte("version: 1\n# " + strings.Repeat("x", MaxInputSize/2) + "\n")},
		{name: "b.yaml", data: []byte("version: 1\n# " + strings.Repeat("x", MaxInputSize/2) + "\n")},
	}},

	// Version.
	{name: "version_missing", files: one("trustees: []\n")},
	{name: "version_2", files: one("version: 2\n")},
	{name: "version_string", files: one("version: \"1\"\n")},
	// Numbers equal to 1 that are not written as the integer 1; the schema
	// cannot tell them from 1, the Go checks can.
	{name: "version_forms", files: []source{
		{name: "float.yaml", data: []byte("version: 1.0\n")},
		{name: "hex.yaml", data: []byte("version: 0x1\n")},
		{name: "exponent.yaml", data: []byte("version: 1e0\n")},
		{name: "octal.yaml", data: []byte("version: 0o1\n")},
	}},

	// Keys.
	{name: "unknown_key_top", files: one(base + "trustes: []\n")},
	{name: "unknown_key_case", files: one(base + "policy:\n  maxtrustdays: 30\n")},
	{name: "unknown_key_nested", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    pairingID: p-1\n    users:\n      - id: b2000000-0000-4000-8000-000000000001\n        role: [Claims Agent]\n")},
	{name: "unknown_key_far", files: one(base + "colour: blue\n")},
	{name: "name_control_characters", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    name: \"Blue\\nbird \\u202e\"\n")},
	{name: "duplicate_key", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    enabled: true\n    enabled: false\n")},
	{name: "duplicate_top_key", files: one(base + "trustees: []\ntrustees: []\n")},
	{name: "merge_key", files: one(base + "trustees:\n  - <<: {id: b0000000-0000-4000-8000-000000000002}\n")},
	{name: "complex_key", files: one(base + "? [a, b]\n: 1\n")},

	// Types.
	{name: "wrong_types", files: one(base + "organization:\n  name: 42\n  region: \"\"\npolicy:\n  requireExpiry: yes\n  maxTrustDays: 30.5\n  maxUsersPerTrust: many\n  maxRemovalPercent: 101\ntrustees: {}\ntrustors: x\n")},
	{name: "null_sections", files: one(base + "trustees:\ntrustors:\n")},
	{name: "null_users", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    users:\ntrustors:\n  - id: c0000000-0000-4000-8000-000000000003\n    users: ~\n")},
	{name: "trustee_as_string", files: one(base + "trustees:\n  - b0000000-0000-4000-8000-000000000002\n")},
	{name: "missing_required", files: one(base + "trustees:\n  - name: Bluebird\n    users:\n      - name: Bo Blue\n")},
	{name: "trustor_user_forms", files: one(base + "trustors:\n  - id: c0000000-0000-4000-8000-000000000003\n    users:\n      - 42\n      - [a2000000-0000-4000-8000-000000000001]\n      - {name: Nadia North}\n")},
	{name: "role_refs", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    users:\n      - id: b2000000-0000-4000-8000-000000000001\n        roles: [\"\", \" Claims Agent\", 7]\n")},

	// Ids and dates.
	{name: "bad_uuids", files: one(base + "organization:\n  id: not-a-uuid\nprotect:\n  trustees: [b0000000-0000-4000-8000-00000000000g]\ntrustees:\n  - id: b0000000000040008000000000000002\n    users:\n      - id: \"{b2000000-0000-4000-8000-000000000001}\"\n        roles: []\n")},
	{name: "bad_dates", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000001\n    expires: 2027-02-30\n  - id: b0000000-0000-4000-8000-000000000002\n    expires: 31/03/2027\n  - id: b0000000-0000-4000-8000-000000000003\n    expires: 2027-03-31T25:00:00Z\n  - id: b0000000-0000-4000-8000-000000000004\n    expires: 2027-03-31 17:00\n")},
	{name: "expires_past", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    expires: 2026-11-01\n"), valid: true},

	// Duplicates: reported at the second occurrence, naming the first.
	{name: "duplicate_trustee", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n  - id: B0000000-0000-4000-8000-000000000002\n")},
	{name: "duplicate_trustor", files: one(base + "trustors:\n  - id: c0000000-0000-4000-8000-000000000003\n  - id: c0000000-0000-4000-8000-000000000003\n")},
	{name: "duplicate_trustee_user", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    users:\n      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Agent]}\n      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Supervisor]}\n")},
	{name: "duplicate_trustor_user", files: one(base + "trustors:\n  - id: c0000000-0000-4000-8000-000000000003\n    users:\n      - a2000000-0000-4000-8000-000000000001\n      - {id: a2000000-0000-4000-8000-000000000001, name: Nadia North}\n")},
	{name: "duplicate_role", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    users:\n      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Agent, Claims Agent]}\n")},
	{name: "duplicate_protect_and_forbidden", files: one(base + "policy:\n  forbiddenRoles: [Master Admin, Master Admin]\nprotect:\n  trustees: [d0000000-0000-4000-8000-000000000004, d0000000-0000-4000-8000-000000000004]\n  trustors: [c0000000-0000-4000-8000-000000000003, c0000000-0000-4000-8000-000000000003]\n")},

	// Semantic and policy rules.
	{name: "too_many_users", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    users:\n" + manyUsers(26))},
	{name: "too_many_users_policy", files: one(base + "policy:\n  maxUsersPerTrust: 2\ntrustors:\n  - id: c0000000-0000-4000-8000-000000000003\n    users: [a2000000-0000-4000-8000-000000000001, a2000000-0000-4000-8000-000000000002, a2000000-0000-4000-8000-000000000003]\n")},
	{name: "max_users_above_service_limit", files: one(base + "policy:\n  maxUsersPerTrust: 40\n"), valid: true},
	{name: "forbidden_roles", files: one(base + "policy:\n  forbiddenRoles: [Master Admin, a1000000-0000-4000-8000-000000000005]\ntrustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    users:\n      - id: b2000000-0000-4000-8000-000000000001\n        roles: [Claims Agent, master admin, a1000000-0000-4000-8000-000000000005]\n")},
	{name: "require_expiry", files: one(base + "policy:\n  requireExpiry: true\n  maxTrustDays: 90\ntrustees:\n  - id: b0000000-0000-4000-8000-000000000002\n  - id: b0000000-0000-4000-8000-000000000003\n    expires: 2027-01-15\n")},
	{name: "max_trust_days", files: one(base + "policy:\n  maxTrustDays: 30\ntrustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    expires: 2027-06-30\n  - id: b0000000-0000-4000-8000-000000000003\n    expires: 2026-12-20T17:00:00+01:00\n")},
	{name: "self_trust", files: one(base + "organization:\n  id: a0000000-0000-4000-8000-000000000001\ntrustees:\n  - id: a0000000-0000-4000-8000-000000000001\ntrustors:\n  - id: a0000000-0000-4000-8000-000000000001\n")},
	{name: "protected_and_listed", files: one(base + "protect:\n  trustees: [d0000000-0000-4000-8000-000000000004]\n  trustors: [c0000000-0000-4000-8000-000000000003]\ntrustees:\n  - id: d0000000-0000-4000-8000-000000000004\ntrustors:\n  - id: c0000000-0000-4000-8000-000000000003\n"), valid: true},
	{name: "user_without_roles", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    users:\n      - {id: b2000000-0000-4000-8000-000000000001, roles: []}\n"), valid: true},

	// Groups and divisions.
	{name: "groups", files: one(base + "policy:\n  forbiddenRoles: [Master Admin]\ntrustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    groups:\n      - {id: b3000000-0000-4000-8000-000000000001, roles: [Claims Agent, Claims Agent]}\n      - {id: B3000000-0000-4000-8000-000000000001, roles: [master admin]}\n      - {id: b3000000-0000-4000-8000-000000000002, roles: []}\n      - {id: team, name: 7}\ntrustors:\n  - id: c0000000-0000-4000-8000-000000000003\n    groups: [a3000000-0000-4000-8000-000000000001, {id: a3000000-0000-4000-8000-000000000001}, 42]\n")},
	{name: "null_groups", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    groups:\n")},
	{name: "members_limit", files: one(base + "policy:\n  maxUsersPerTrust: 2\ntrustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    users:\n      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Agent]}\n    groups:\n      - {id: b3000000-0000-4000-8000-000000000001, roles: [Claims Agent]}\n      - {id: b3000000-0000-4000-8000-000000000002, roles: [Claims Agent]}\n  - id: b0000000-0000-4000-8000-000000000003\n    groups:\n      - {id: b3000000-0000-4000-8000-000000000001, roles: [Claims Agent]}\n      - {id: b3000000-0000-4000-8000-000000000002, roles: [Claims Agent]}\n      - {id: b3000000-0000-4000-8000-000000000003, roles: [Claims Agent]}\ntrustors:\n  - id: c0000000-0000-4000-8000-000000000003\n    users: [a2000000-0000-4000-8000-000000000001, a2000000-0000-4000-8000-000000000002]\n    groups: [a3000000-0000-4000-8000-000000000001]\n")},
	{name: "divisions", files: one(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    users:\n      - id: b2000000-0000-4000-8000-000000000001\n        roles: [Claims Agent]\n        divisions: [e0000000-0000-4000-8000-000000000001]\n    groups:\n      - id: b3000000-0000-4000-8000-000000000001\n        roles:\n          - {id: a1000000-0000-4000-8000-000000000003, divisions: [e0000000-0000-4000-8000-000000000001]}\ntrustors:\n  - id: c0000000-0000-4000-8000-000000000003\n    users: [{id: a2000000-0000-4000-8000-000000000001, divisions: []}]\n")},
	{name: "policy_new_keys", files: one(base + "policy:\n  warnExpiryDays: -1\n  forbidFullAccess: yes\n  warnExpiryDay: 3\n")},

	// Several files.
	{name: "merge_conflicts", files: []source{
		{name: "a.yaml", data: []byte(base + "organization:\n  id: a0000000-0000-4000-8000-000000000001\n  name: Northwind\npolicy:\n  maxTrustDays: 365\n  requireExpiry: false\n")},
		{name: "b.yaml", data: []byte(base + "organization:\n  id: a0000000-0000-4000-8000-000000000009\n  name: Northwind\npolicy:\n  maxTrustDays: 90\n  requireExpiry: false\n")},
	}},
	{name: "merge_duplicates", files: []source{
		{name: "a.yaml", data: []byte(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\ntrustors:\n  - id: c0000000-0000-4000-8000-000000000003\n")},
		{name: "b.yaml", data: []byte(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\ntrustors:\n  - id: c0000000-0000-4000-8000-000000000003\n")},
	}},
	{name: "merge_groups_across_files", files: []source{
		{name: "a.yaml", data: []byte(base + "policy:\n  forbidFullAccess: true\n  warnExpiryDays: 10\n")},
		{name: "b.yaml", data: []byte(base + "policy:\n  forbidFullAccess: false\n  warnExpiryDays: 10\ntrustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    groups: [{id: b3000000-0000-4000-8000-000000000001, roles: []}]\n")},
	}},
	{name: "merge_policy_applies_across_files", files: []source{
		{name: "policy.yaml", data: []byte(base + "policy:\n  requireExpiry: true\n  forbiddenRoles: [Master Admin]\n")},
		{name: "trusts.yaml", data: []byte(base + "trustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    users:\n      - {id: b2000000-0000-4000-8000-000000000001, roles: [Master Admin]}\n")},
	}},
}

func one(data string) []source { return []source{{name: "trusts.yaml", data: []byte(data)}} }

// aliasBomb nests aliases so that expanding them would produce 10^9 values.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("version: 1\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		prev := "*l" + string(rune('0'+i-1))
		b.WriteString("l" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	return b.String()
}

func manyUsers(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("      - {id: b2000000-0000-4000-8000-0000000000")
		b.WriteString(string(rune('0' + i/10)))
		b.WriteString(string(rune('0' + i%10)))
		b.WriteString(", roles: [Claims Agent]}\n")
	}
	return b.String()
}

func TestRules(t *testing.T) {
	for _, tc := range ruleCases {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := loadSources(tc.files, testNow, checkAll)
			if diags.HasErrors() == tc.valid {
				t.Errorf("HasErrors() = %v, want %v", diags.HasErrors(), !tc.valid)
			}
			if len(diags) == 0 {
				t.Fatal("no diagnostics; every rule case must report something")
			}
			for _, d := range diags {
				if d.Pos.File == "" || d.Pos.Line < 1 || d.Pos.Col < 1 {
					t.Errorf("diagnostic without a full position: %s", d)
				}
				if strings.HasPrefix(d.Message, "schema:") {
					t.Errorf("schema diagnostic not covered by a Go check: %s", d)
				}
			}
			var got bytes.Buffer
			if err := diags.WriteText(&got); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "golden", tc.name+".golden"), got.String())
		})
	}
}

// golden compares got with the named file, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("diagnostics differ from %s (-want +got):\n%s", name, diff)
	}
}
