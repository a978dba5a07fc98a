package plan

import (
	"fmt"
	"testing"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
)

// largeOrg builds a configuration and live state of an org at the scale of a
// big deployment: trustees trusts of usersPerTrust users, 200 roles, and a
// configuration that differs from live state in a fifth of the users' roles,
// one removed and one added user per trust.
func largeOrg(trustees, usersPerTrust int) (*config.Config, *live.State) {
	id := func(prefix, n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", prefix, n) }
	st := &live.State{Org: live.Org{ID: homeID, Name: "Northwind Insurance"}, TrusteesRead: true}
	for r := range 200 {
		st.Roles = append(st.Roles, live.Role{ID: id(0xa1, r), Name: fmt.Sprintf("Role %03d", r)})
	}
	cfg := &config.Config{Version: 1, ManageTrustees: true,
		Policy: config.Policy{MaxUsersPerTrust: 25, MaxRemovalPercent: 25}}
	for t := range trustees {
		orgID := id(0xb0, t)
		lt := live.Trustee{OrgID: orgID, OrgName: fmt.Sprintf("Trustee %d", t), Enabled: true}
		ct := config.Trustee{ID: orgID, Name: lt.OrgName, Enabled: true, ManageUsers: true}
		for u := range usersPerTrust {
			userID := id(0xb2, t*1000+u)
			roles := []string{id(0xa1, u%200), id(0xa1, (u+1)%200)}
			if u > 0 { // user 0 exists live only: removed
				lt.Users = append(lt.Users, live.TrusteeUser{ID: userID, Name: fmt.Sprintf("User %d", u), RoleIDs: roles})
			}
			want := []config.RoleRef{{Ref: fmt.Sprintf("Role %03d", u%200)}, {Ref: roles[1]}}
			if u%5 == 0 {
				want[1] = config.RoleRef{Ref: id(0xa1, (u+2)%200)}
			}
			if u != 1 { // user 1 is in the file only: added
				ct.Users = append(ct.Users, config.TrusteeUser{ID: userID, Roles: want})
			}
		}
		st.Trustees = append(st.Trustees, lt)
		cfg.Trustees = append(cfg.Trustees, ct)
	}
	return cfg, st
}

// BenchmarkCompute diffs an org with 200 trusts of 25 users each (5,000
// trust users), the size at which a plan must stay well under a second.
func BenchmarkCompute(b *testing.B) {
	cfg, st := largeOrg(200, 25)
	b.ReportAllocs()
	for b.Loop() {
		p, err := Compute(cfg, st)
		if err != nil {
			b.Fatal(err)
		}
		if !p.HasChanges() {
			b.Fatal("the benchmark plan has no changes")
		}
	}
}

// BenchmarkComputeTrustUsers diffs orgs of 10,000 and 100,000 trust users
// (trusts of 25 users each), the sizes issue targets name: the diff must
// stay well under a second and 300 MB at 100,000. Run with -benchmem.
func BenchmarkComputeTrustUsers(b *testing.B) {
	for _, users := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			cfg, st := largeOrg(users/25, 25)
			b.ReportAllocs()
			for b.Loop() {
				p, err := Compute(cfg, st)
				if err != nil {
					b.Fatal(err)
				}
				if !p.HasChanges() {
					b.Fatal("the benchmark plan has no changes")
				}
			}
		})
	}
}
