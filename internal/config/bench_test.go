package config

import (
	"fmt"
	"strings"
	"testing"
)

// largeState writes a desired state with users trust users: trustees of 25
// users each (the service's limit), each user with two roles, and a
// trustor per ten trustees with ten of our users.
func largeState(users int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\norganization:\n  id: a0000000-0000-4000-8000-000000000001\n  name: Large Org\n")
	b.WriteString("policy:\n  requireExpiry: true\n  maxTrustDays: 3650\n  forbiddenRoles: [Master Admin]\n")
	b.WriteString("trustees:\n")
	trustees := (users + 24) / 25
	n := 0
	for t := range trustees {
		fmt.Fprintf(&b, "  - id: b%07x-0000-4000-8000-000000000000\n    name: Trustee %d\n    expires: 2030-01-01\n    users:\n", t, t)
		for range 25 {
			if n == users {
				break
			}
			fmt.Fprintf(&b, "      - id: c%07x-0000-4000-8000-%012x\n        name: User %d\n        roles: [Claims Agent, Role %d]\n", t, n, n, n%50)
			n++
		}
	}
	b.WriteString("trustors:\n")
	for r := range trustees / 10 {
		fmt.Fprintf(&b, "  - id: d%07x-0000-4000-8000-000000000000\n    name: Trustor %d\n    users:\n", r, r)
		for u := range 10 {
			fmt.Fprintf(&b, "      - {id: e%07x-0000-4000-8000-%012x, name: Our User %d}\n", r, u, u)
		}
	}
	return []byte(b.String())
}

func TestLargeStateLoads(t *testing.T) {
	cfg := mustLoad(t, source{name: "large.yaml", data: largeState(1000)})
	n := 0
	for _, tr := range cfg.Trustees {
		n += len(tr.Users)
	}
	if n != 1000 || len(cfg.Trustees) != 40 || len(cfg.Trustors) != 4 {
		t.Errorf("large state: %d users in %d trustees, %d trustors", n, len(cfg.Trustees), len(cfg.Trustors))
	}
}

// BenchmarkLoad measures load and check (parse, schema, Go checks, merge)
// of large desired states:
//
//	go test ./internal/config -run '^$' -bench Load -benchmem
func BenchmarkLoad(b *testing.B) {
	for _, users := range []int{10_000, 100_000} {
		data := largeState(users)
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				cfg, diags := loadSources([]source{{name: "large.yaml", data: data}}, testNow, checkAll)
				if cfg == nil || diags.HasErrors() {
					b.Fatalf("large state does not load: %v", diags[:min(len(diags), 3)])
				}
			}
		})
	}
}
