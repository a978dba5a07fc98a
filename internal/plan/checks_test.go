package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
)

// readAt is when the test states were read.
var readAt = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

const (
	pairingID = "9a000000-0000-4000-8000-000000000001"
	userEve   = "e2000000-0000-4000-8000-000000000001"
	userEd    = "e2000000-0000-4000-8000-000000000002"
)

// pairingOf is a pairing trustee created at created (zero: unknown),
// offering users.
func pairingOf(id, trustee string, created time.Time, users ...string) live.Pairing {
	p := live.Pairing{ID: id, Exists: true, TrusteeOrg: live.Org{ID: trustee}}
	if trustee == otherID {
		p.TrusteeOrg.Name = "Elm Partners"
	}
	if !created.IsZero() {
		p.DateCreated = &created
	}
	for _, u := range users {
		p.Users = append(p.Users, live.User{ID: u})
	}
	return p
}

// elmEntry is a trustee entry for Elm Partners, to be created from
// pairingID with Eve, at line 40 of trusts.yaml; its pairingId is at
// 42:16 and its users key at 43:12.
func elmEntry(cfg *config.Config) {
	cfg.Trustees = append(cfg.Trustees, config.Trustee{
		ID: otherID, Name: "Elm Partners", PairingID: pairingID, Enabled: true, Pos: at(40),
		ManageUsers: true,
		Users:       []config.TrusteeUser{{ID: userEve, Roles: refs(45, "Claims Agent"), Pos: at(44)}},
	})
	i := len(cfg.Trustees) - 1
	cfg.Positions = config.Positions{
		config.Pointer("trustees", i, "pairingId"):   {File: "trusts.yaml", Line: 42, Col: 16},
		config.Pointer("trustees", i, "users"):       {File: "trusts.yaml", Line: 43, Col: 12},
		config.Pointer("policy", "forbidFullAccess"): {File: "trusts.yaml", Line: 5, Col: 21},
	}
}

// TestComputeChecks: what apply needs is checked at plan time, each
// failure a problem at its place in the file with a hint.
func TestComputeChecks(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(cfg *config.Config, st *live.State)
		want   []string // problems, in order
		hints  []string // a substring of each problem's hints
	}{
		{
			name: "unknown pairing",
			mutate: func(cfg *config.Config, st *live.State) {
				st.Pairings = []live.Pairing{{ID: pairingID}}
			},
			want:  []string{"trusts.yaml:42:16: pairing " + pairingID + " does not exist or has expired (a pairing can be used for 48 hours after it is created, once)"},
			hints: []string{"ask Elm Partners (" + otherID + ") for a new pairing (they run `trustsync pairing create"},
		},
		{
			name: "pairing of another org",
			mutate: func(cfg *config.Config, st *live.State) {
				st.Pairings = []live.Pairing{pairingOf(pairingID, blueID, readAt.Add(-time.Hour), userEve)}
			},
			want:  []string{"trusts.yaml:42:16: pairing " + pairingID + " was created by " + blueID + ", not by trustee Elm Partners (" + otherID + ")"},
			hints: []string{"ask Elm Partners"},
		},
		{
			name: "pairing of this org itself",
			mutate: func(cfg *config.Config, st *live.State) {
				p := pairingOf(pairingID, homeID, readAt.Add(-time.Hour), userEve)
				p.TrusteeOrg.Name = "Northwind Insurance"
				st.Pairings = []live.Pairing{p}
			},
			want:  []string{"pairing " + pairingID + " was created by this organization, Northwind Insurance (" + homeID + "), not by trustee Elm Partners"},
			hints: []string{"a pairing is created by the org to be trusted"},
		},
		{
			name: "expired pairing",
			mutate: func(cfg *config.Config, st *live.State) {
				st.Pairings = []live.Pairing{pairingOf(pairingID, otherID, readAt.Add(-48*time.Hour), userEve)}
			},
			want:  []string{"trusts.yaml:42:16: pairing " + pairingID + " expired at 2026-12-01T09:00:00Z (48 hours after it was created, at 2026-11-29T09:00:00Z)"},
			hints: []string{"ask Elm Partners"},
		},
		{
			name: "a pairing of another org that expired is both",
			mutate: func(cfg *config.Config, st *live.State) {
				st.Pairings = []live.Pairing{pairingOf(pairingID, copperID, readAt.Add(-72*time.Hour), userEve)}
			},
			want: []string{"was created by " + copperID, "expired at 2026-11-30T09:00:00Z"},
		},
		{
			name: "no members",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[1].Users = []config.TrusteeUser{}
				st.Pairings = []live.Pairing{pairingOf(pairingID, otherID, readAt.Add(-time.Hour), userEve)}
			},
			want:  []string{"trusts.yaml:43:12: trustee Elm Partners (" + otherID + ") would be created with no users or groups, and the service creates a trust only with at least one member"},
			hints: []string{"the users a pairing offers do not join by themselves"},
		},
		{
			name: "no members, users not managed: at the entry",
			mutate: func(cfg *config.Config, st *live.State) {
				cfg.Trustees[1].ManageUsers, cfg.Trustees[1].Users = false, nil
				cfg.Positions = nil
				st.Pairings = []live.Pairing{pairingOf(pairingID, otherID, readAt.Add(-time.Hour), userEve)}
			},
			want: []string{"trusts.yaml:40:5: trustee Elm Partners (" + otherID + ") would be created with no users or groups"},
		},
		{
			name: "our user missing from the org",
			mutate: func(cfg *config.Config, st *live.State) {
				st.Pairings = []live.Pairing{pairingOf(pairingID, otherID, readAt.Add(-time.Hour), userEve)}
				cfg.Trustors[0].Users = append(cfg.Trustors[0].Users, config.TrustorUser{ID: "a2000000-0000-4000-8000-0000000000ff", Pos: at(34)})
			},
			want:  []string{"trusts.yaml:34:5: user a2000000-0000-4000-8000-0000000000ff named in trustor Copperfield Consulting (" + copperID + ") does not exist in Northwind Insurance (" + homeID + ")"},
			hints: []string{"no user with this id in Northwind Insurance (" + homeID + ")"},
		},
		{
			name: "our user missing, in a pending trustor",
			mutate: func(cfg *config.Config, st *live.State) {
				st.Pairings = []live.Pairing{pairingOf(pairingID, otherID, readAt.Add(-time.Hour), userEve)}
				cfg.Trustors = append(cfg.Trustors, config.Trustor{ID: blueID, ManageUsers: true, Pos: at(50),
					Users: []config.TrustorUser{{ID: userPriya, Pos: at(51)}, {ID: userBo, Pos: at(52)}}})
			},
			want: []string{"trusts.yaml:52:5: user " + userBo + " named in trustor " + blueID + " does not exist in Northwind Insurance"},
		},
		{
			name: "full access under forbidFullAccess",
			mutate: func(cfg *config.Config, st *live.State) {
				st.Pairings = []live.Pairing{pairingOf(pairingID, otherID, readAt.Add(-time.Hour), userEve)}
				cfg.Policy.ForbidFullAccess = true
				st.Trustees[0].HasFullAccess = true
			},
			want:  []string{"trusts.yaml:10:5: trustee Bluebird Outsourcing (" + blueID + ") has full access (hasFullAccess), which policy.forbidFullAccess at trusts.yaml:5:21 forbids"},
			hints: []string{"list the org under protect.trustees to accept it"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, st := demoConfig(), demoState()
			st.ReadAt = readAt
			elmEntry(cfg)
			tt.mutate(cfg, st)
			p, err := Compute(cfg, st)
			if err == nil {
				t.Fatalf("Compute succeeded with %q, want errors", summarize(p.Changes))
			}
			probs := Problems(err)
			// Trimmed to what Compute cites, the positions give the
			// same problems.
			if cfg.Positions != nil {
				cfg.Positions[config.Pointer("trustees", 1, "users", 0, "roles", 0)] = config.Pos{File: "trusts.yaml", Line: 45, Col: 9}
			}
			kept := len(cfg.Positions)
			TrimPositions(cfg)
			if cfg.Positions != nil && len(cfg.Positions) != kept-1 {
				t.Errorf("TrimPositions kept %v, want all but the role's position", cfg.Positions)
			}
			_, again := Compute(cfg, st)
			if diff := cmp.Diff(problemTexts(probs), problemTexts(Problems(again))); diff != "" {
				t.Errorf("problems after TrimPositions (-before +after):\n%s", diff)
			}
			if len(probs) != len(tt.want) {
				t.Fatalf("problems = %v, want %d", err, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(probs[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, probs[i].Error(), w)
				}
				if i < len(tt.hints) && !strings.Contains(strings.Join(probs[i].Hints, "\n"), tt.hints[i]) {
					t.Errorf("hint %d = %q, want it to contain %q", i, probs[i].Hints, tt.hints[i])
				}
			}
		})
	}
}

// problemTexts returns each problem with its hints, for comparing.
func problemTexts(probs []Problem) []string {
	var out []string
	for _, p := range probs {
		out = append(out, p.Error()+"\n"+strings.Join(p.Hints, "\n"))
	}
	return out
}

// TestComputeChecksPass: what passes the checks, and what the plan shows.
func TestComputeChecksPass(t *testing.T) {
	t.Run("a valid pairing: offers shown, a member it does not offer warned about", func(t *testing.T) {
		cfg, st := demoConfig(), demoState()
		st.ReadAt = readAt
		elmEntry(cfg)
		cfg.Trustees[1].Users = append(cfg.Trustees[1].Users, config.TrusteeUser{ID: userEd, Name: "Ed Elm", Roles: refs(47, "Claims Agent"), Pos: at(46)})
		pr := pairingOf(pairingID, otherID, readAt.Add(-47*time.Hour), userEve)
		pr.Users[0].Name = "Eve Elm"
		pr.Groups = []live.Group{{ID: "e3000000-0000-4000-8000-000000000001", Name: "Elm Crew"}}
		st.Pairings = []live.Pairing{pr}
		p, err := Compute(cfg, st)
		if err != nil {
			t.Fatal(err)
		}
		var create *Change
		for i := range p.Changes {
			if p.Changes[i].Kind == KindTrustee && p.Changes[i].Action == Create {
				create = &p.Changes[i]
			}
		}
		if create == nil {
			t.Fatalf("no trust created: %q", summarize(p.Changes))
		}
		exp := readAt.Add(time.Hour)
		want := &Pairing{ID: pairingID, Users: []User{{ID: userEve, Name: "Eve Elm"}},
			Groups: []Group{{ID: "e3000000-0000-4000-8000-000000000001", Name: "Elm Crew"}}, Expires: &exp}
		if diff := cmp.Diff(want, create.After.Pairing); diff != "" {
			t.Errorf("pairing (-want +got):\n%s", diff)
		}
		// Eve, unnamed in the file, is named after the pairing.
		if us := create.After.Users; len(us) != 2 || us[1].ID != userEve || us[1].Name != "Eve Elm" {
			t.Errorf("users = %+v, want Ed Elm and Eve Elm, named from the pairing", us)
		}
		if len(p.Warnings) != 2 || p.Warnings[0].Pos.Line != 42 || p.Warnings[1].Pos.Line != 46 ||
			p.Warnings[0].Message != "pairing "+pairingID+" expires at 2026-12-01T10:00:00Z, 1h0m0s after live state was read" ||
			p.Warnings[1].Message != "user Ed Elm ("+userEd+") of trustee e000… is not one of the users pairing 9a00… offers" {
			t.Errorf("warnings = %+v, want the pairing's near expiry at line 42 and one about Ed at line 46", p.Warnings)
		}
	})
	t.Run("full access allowed: protected, deleted, or no policy; flags shown", func(t *testing.T) {
		cfg, st := demoConfig(), demoState()
		st.Trustees[0].HasFullAccess, st.Trustees[0].IsTrustedUser = true, true
		st.Trustees[1].HasFullAccess = true // Customer Care, protected
		// No policy: the flags are shown on the trust's values.
		cfg.Trustees[0].Enabled = false
		p, err := Compute(cfg, st)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Changes {
			if c.Kind == KindTrustee && (c.Before.HasFullAccess == nil || !*c.Before.HasFullAccess ||
				c.After.IsTrustedUser == nil || !*c.After.IsTrustedUser) {
				t.Errorf("trustee change %s: flags = %v/%v, want true", c.Address, c.Before.HasFullAccess, c.After.IsTrustedUser)
			}
		}
		if pr := p.Protected[0]; pr.HasFullAccess == nil || !*pr.HasFullAccess || pr.IsTrustedUser == nil || *pr.IsTrustedUser {
			t.Errorf("protected flags = %v/%v, want full access, not trusted user", pr.HasFullAccess, pr.IsTrustedUser)
		}
		// With the policy: the protected trust passes, and so does one the
		// plan deletes.
		cfg.Policy.ForbidFullAccess = true
		cfg.Trustees = []config.Trustee{}
		if _, err := Compute(cfg, st); err != nil {
			t.Errorf("Compute: %v, want no problem for a protected trust and a deleted one", err)
		}
	})
}

// TestChecksToRead: pairings only for trusts to create; our users only
// where they are not in their live trust; each once.
func TestChecksToRead(t *testing.T) {
	cfg, st := demoConfig(), demoState()
	cfg.Trustees[0].PairingID = "live-one" // exists: no read
	cfg.Trustees = append(cfg.Trustees,
		config.Trustee{ID: otherID, PairingID: "new-one"},
		config.Trustee{ID: strings.ToUpper(otherID), PairingID: "duplicate-entry"},
		config.Trustee{ID: copperID, PairingID: "protected-one"},
	)
	cfg.Protect.Trustees = []config.OrgRef{{ID: copperID}}
	cfg.Trustors[0].Users = append(cfg.Trustors[0].Users, config.TrustorUser{ID: userPriya}, config.TrustorUser{ID: strings.ToUpper(userPriya)})
	cfg.Trustors = append(cfg.Trustors, config.Trustor{ID: blueID, ManageUsers: true, Users: []config.TrustorUser{{ID: userNadia}, {ID: userPriya}}})
	got := ChecksToRead(cfg, st)
	want := live.Checks{PairingIDs: []string{"new-one"}, OwnUserIDs: []string{userPriya, userNadia}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ChecksToRead (-want +got):\n%s", diff)
	}

	// A state read without them is refused rather than planned unchecked.
	if _, err := Compute(cfg, st); err == nil || !strings.Contains(err.Error(), "pairing new-one of a trust to create was not read") {
		t.Errorf("Compute = %v, want the missing pairing read named", err)
	}
	st.Pairings = []live.Pairing{{ID: "NEW-ONE"}}
	st.OwnUsersRead = false
	if _, err := Compute(cfg, st); err == nil || !strings.Contains(err.Error(), "users named in trustors were not checked") {
		t.Errorf("Compute = %v, want the missing user check named", err)
	}
}
