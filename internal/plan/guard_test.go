package plan

import (
	"strings"
	"testing"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/diag"
)

// TestGuardCountsAccessTakenAway: under maxRemovalPercent 0, a file that
// deletes nothing but takes every user's roles away, or disables every
// trust, trips the guard as deleting them would.
func TestGuardCountsAccessTakenAway(t *testing.T) {
	for _, tc := range []struct {
		name              string
		mutate            func(*config.Config)
		managed, removals int
		lost              Lost
	}{
		{"nothing taken away", func(*config.Config) {}, 7, 0, Lost{}},
		{"every trustee user's roles emptied", func(cfg *config.Config) {
			for i := range cfg.Trustees[0].Users {
				cfg.Trustees[0].Users[i].Roles = nil
			}
		}, 7, 3, Lost{WithoutRoles: 3}},
		{"every trust disabled", func(cfg *config.Config) {
			cfg.Trustees[0].Enabled = false
		}, 7, 4, Lost{Disabled: 4}},
		{"disabled and emptied: each user counted once", func(cfg *config.Config) {
			cfg.Trustees[0].Enabled = false
			cfg.Trustees[0].Users[0].Roles = nil
			cfg.Trustees[0].Users = cfg.Trustees[0].Users[:2]
		}, 7, 4, Lost{Disabled: 4}},
		{"a disabled trust whose users the file does not manage counts them", func(cfg *config.Config) {
			cfg.Trustees[0].Enabled = false
			cfg.Trustees[0].ManageUsers = false
			cfg.Trustees[0].Users = nil
		}, 7, 4, Lost{Disabled: 4}},
		{"roles replaced, not emptied: no removal", func(cfg *config.Config) {
			u := &cfg.Trustees[0].Users[0]
			u.Roles = []config.RoleRef{{Ref: "Reporting Viewer"}}
		}, 7, 0, Lost{}},
		{"a user removed, another emptied, a trustor user removed", func(cfg *config.Config) {
			cfg.Trustees[0].Users[0].Roles = nil
			cfg.Trustees[0].Users = cfg.Trustees[0].Users[:2]
			cfg.Trustors[0].Users = cfg.Trustors[0].Users[:1]
		}, 7, 3, Lost{Deleted: 2, WithoutRoles: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := demoConfig()
			cfg.Policy.MaxRemovalPercent = 0
			tc.mutate(cfg)
			p, err := Compute(cfg, demoState())
			if err != nil {
				t.Fatal(err)
			}
			if p.Lost != tc.lost {
				t.Errorf("lost = %+v, want %+v", p.Lost, tc.lost)
			}
			if p.Managed != tc.managed || p.Removals != tc.removals {
				t.Errorf("managed/removals = %d/%d, want %d/%d (changes %q)", p.Managed, p.Removals, tc.managed, tc.removals, summarize(p.Changes))
			}
			tripped := false
			for _, w := range p.Warnings {
				if strings.Contains(w.Message, "apply will refuse this without --allow-removals") {
					tripped = true
					if !strings.Contains(strings.Join(w.Hints, "\n"), "leaving a user with no roles") {
						t.Errorf("guard warning hints %q do not say what counts", w.Hints)
					}
				}
			}
			if tripped != (tc.removals > 0) {
				t.Errorf("guard warning = %v, want %v", tripped, tc.removals > 0)
			}
		})
	}
}

// TestAddFileWarnings: the files' warnings join the plan's, sorted by
// position, each once; errors are not warnings.
func TestAddFileWarnings(t *testing.T) {
	p, err := Compute(demoConfig(), demoState())
	if err != nil {
		t.Fatal(err)
	}
	w := config.Diagnostic{Severity: config.Warning, Pos: config.Pos{File: "trusts.yaml", Line: 4, Col: 14}, Message: "expires is in the past"}
	e := config.Diagnostic{Severity: config.Error, Message: "not a warning"}
	p.AddFileWarnings(config.Diagnostics{w, e, w})
	p.AddFileWarnings(config.Diagnostics{w})
	if len(p.Warnings) != 1 || p.Warnings[0].Message != w.Message {
		t.Errorf("warnings = %+v, want the file's warning once", p.Warnings)
	}
}

// TestAddFileWarningsFoldsExpired: the file's warning that an expiry is
// past is left out when the plan warns about that trustee's expiry itself.
func TestAddFileWarningsFoldsExpired(t *testing.T) {
	days := -3
	p := &Plan{Warnings: []Warning{{Severity: diag.Warning, Code: WarnExpiresSoon, TrusteeID: "B0", DaysLeft: &days, Message: "expired"}}}
	past := config.Diagnostic{Severity: config.Warning, Code: config.WarnExpired, TrusteeID: "b0", Message: "2001-01-01 is in the past"}
	other := config.Diagnostic{Severity: config.Warning, Code: config.WarnExpired, TrusteeID: "c0", Message: "2002-01-01 is in the past"}
	p.AddFileWarnings(config.Diagnostics{past, other})
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.Message)
	}
	if len(got) != 2 || got[0] != "expired" || got[1] != other.Message {
		t.Errorf("warnings = %q, want the plan's and the other trustee's", got)
	}
}
