package config

import (
	"regexp"
	"testing"
)

const digestBase = `version: 1
policy: {forbiddenRoles: [Master Admin, Telephony Admin]}
trustees:
  - id: b0000000-0000-4000-8000-000000000002
    expires: 2027-03-31
    users:
      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Supervisor, Quality Evaluator]}
      - {id: b2000000-0000-4000-8000-000000000002, roles: [Claims Agent]}
  - id: b0000000-0000-4000-8000-000000000003
trustors:
  - {id: c0000000-0000-4000-8000-000000000003, users: [a2000000-0000-4000-8000-000000000001]}
`

func digestOf(t *testing.T, files ...source) string {
	t.Helper()
	return mustLoad(t, files...).Digest()
}

func TestDigestIgnoresFormOnly(t *testing.T) {
	want := digestOf(t, source{name: "a.yaml", data: []byte(digestBase)})
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(want) {
		t.Fatalf("digest %q is not sha256 hex", want)
	}
	same := map[string][]source{
		"reordered and reformatted": {{name: "b.yaml", data: []byte(`# comments do not count
version: 1
trustors:
  - users:
      - id: A2000000-0000-4000-8000-000000000001
    id: c0000000-0000-4000-8000-000000000003
trustees:
  - id: b0000000-0000-4000-8000-000000000003
  - users:
      - roles: [Claims Agent]
        id: b2000000-0000-4000-8000-000000000002
      - id: b2000000-0000-4000-8000-000000000001
        roles: [Quality Evaluator, Claims Supervisor]
    expires: 2027-03-31T00:00:00Z
    enabled: true
    id: b0000000-0000-4000-8000-000000000002
policy:
  forbiddenRoles: [Telephony Admin, Master Admin]
  maxUsersPerTrust: 25
`)}},
		"split across files": {
			{name: "policy.yaml", data: []byte("version: 1\npolicy: {forbiddenRoles: [Master Admin, Telephony Admin]}\n")},
			{name: "trustees.yaml", data: []byte("version: 1\ntrustees:\n  - {id: b0000000-0000-4000-8000-000000000003}\n  - id: b0000000-0000-4000-8000-000000000002\n    expires: 2027-03-31T02:00:00+02:00\n    users:\n      - {id: b2000000-0000-4000-8000-000000000002, roles: [Claims Agent]}\n      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Supervisor, Quality Evaluator]}\n")},
			{name: "trustors.yaml", data: []byte("version: 1\ntrustors: [{id: c0000000-0000-4000-8000-000000000003, users: [a2000000-0000-4000-8000-000000000001]}]\n")},
		},
	}
	for name, files := range same {
		if got := digestOf(t, files...); got != want {
			t.Errorf("%s: digest %s, want %s", name, got, want)
		}
	}
}

func TestDigestSeesContentChanges(t *testing.T) {
	base := digestOf(t, source{name: "a.yaml", data: []byte(digestBase)})
	changes := map[string]string{
		"role":            "version: 1\npolicy: {forbiddenRoles: [Master Admin, Telephony Admin]}\ntrustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    expires: 2027-03-31\n    users:\n      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Supervisor]}\n      - {id: b2000000-0000-4000-8000-000000000002, roles: [Claims Agent]}\n  - id: b0000000-0000-4000-8000-000000000003\ntrustors:\n  - {id: c0000000-0000-4000-8000-000000000003, users: [a2000000-0000-4000-8000-000000000001]}\n",
		"unmanaged users": "version: 1\npolicy: {forbiddenRoles: [Master Admin, Telephony Admin]}\ntrustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    expires: 2027-03-31\n    users:\n      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Supervisor, Quality Evaluator]}\n      - {id: b2000000-0000-4000-8000-000000000002, roles: [Claims Agent]}\n  - id: b0000000-0000-4000-8000-000000000003\ntrustors:\n  - {id: c0000000-0000-4000-8000-000000000003}\n",
		"expiry":          "version: 1\npolicy: {forbiddenRoles: [Master Admin, Telephony Admin]}\ntrustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    expires: 2027-04-01\n    users:\n      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Supervisor, Quality Evaluator]}\n      - {id: b2000000-0000-4000-8000-000000000002, roles: [Claims Agent]}\n  - id: b0000000-0000-4000-8000-000000000003\ntrustors:\n  - {id: c0000000-0000-4000-8000-000000000003, users: [a2000000-0000-4000-8000-000000000001]}\n",
		"policy":          "version: 1\npolicy: {forbiddenRoles: [Master Admin, Telephony Admin], maxRemovalPercent: 50}\ntrustees:\n  - id: b0000000-0000-4000-8000-000000000002\n    expires: 2027-03-31\n    users:\n      - {id: b2000000-0000-4000-8000-000000000001, roles: [Claims Supervisor, Quality Evaluator]}\n      - {id: b2000000-0000-4000-8000-000000000002, roles: [Claims Agent]}\n  - id: b0000000-0000-4000-8000-000000000003\ntrustors:\n  - {id: c0000000-0000-4000-8000-000000000003, users: [a2000000-0000-4000-8000-000000000001]}\n",
	}
	seen := map[string]string{base: "base"}
	for name, data := range changes {
		got := digestOf(t, source{name: "a.yaml", data: []byte(data)})
		if other, dup := seen[got]; dup {
			t.Errorf("%s: digest equals that of %s", name, other)
		}
		seen[got] = name
	}
	// Empty and omitted sections differ.
	if digestOf(t, source{name: "a.yaml", data: []byte("version: 1\n")}) == digestOf(t, source{name: "a.yaml", data: []byte("version: 1\ntrustees: []\n")}) {
		t.Error("omitted and empty trustees have the same digest")
	}
}
