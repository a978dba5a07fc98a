package plan

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
)

func TestExpiryWarnings(t *testing.T) {
	readAt := time.Date(2027, 6, 10, 12, 0, 0, 0, time.UTC) // 20 calendar days before Bluebird expires
	days := func(n int) *int { return &n }
	type coded struct {
		Code      string
		TrusteeID string
		TrustorID string
		DaysLeft  *int
		Line      int
	}
	tests := []struct {
		name  string
		edit  func(*config.Config, *live.State)
		want  []coded
		watch string // a message that must appear
	}{
		{
			name: "managed trustee within the window",
			want: []coded{{Code: WarnExpiresSoon, TrusteeID: blueID, DaysLeft: days(20), Line: 10}},
		},
		{
			name: "the file's expiry counts, not the live one",
			edit: func(c *config.Config, _ *live.State) { c.Trustees[0].Expires = date("2027-12-31") },
		},
		{
			name: "a file expiry already past",
			edit: func(c *config.Config, _ *live.State) { c.Trustees[0].Expires = date("2027-06-01") },
			want: []coded{{Code: WarnExpiresSoon, TrusteeID: blueID, DaysLeft: days(-9), Line: 10}},
		},
		{
			name: "policy.warnExpiryDays narrower than the days left",
			edit: func(c *config.Config, _ *live.State) { c.Policy.WarnExpiryDays = 19 },
		},
		{
			name:  "policy.warnExpiryDays exactly the days left",
			edit:  func(c *config.Config, _ *live.State) { c.Policy.WarnExpiryDays = 20 },
			want:  []coded{{Code: WarnExpiresSoon, TrusteeID: blueID, DaysLeft: days(20), Line: 10}},
			watch: "trustee Bluebird Outsourcing (" + blueID + ") expires at 2027-06-30 (in 20 days, within 20 days)",
		},
		{
			name: "no clock: no expires_soon",
			edit: func(_ *config.Config, st *live.State) { st.ReadAt = time.Time{} },
		},
		{
			name: "requireExpiry: live trusts left alone without expiry",
			edit: func(c *config.Config, _ *live.State) { c.Policy.RequireExpiry = true },
			want: []coded{
				{Code: WarnExpiresSoon, TrusteeID: blueID, DaysLeft: days(20), Line: 10},
				{Code: WarnNoExpiry, TrusteeID: careID},
				// a trustor trust's expiry is not visible here: no warning
			},
		},
		{
			name: "protected trustee: the live expiry",
			edit: func(c *config.Config, st *live.State) {
				c.Trustees[0].Expires = date("2028-01-01")
				c.Protect.Trustees = []config.OrgRef{{ID: careID}}
				st.Trustees[1].Expires = date("2027-06-11")
			},
			want: []coded{
				{Code: WarnExpiresSoon, TrusteeID: careID, DaysLeft: days(1)},
			},
			watch: "trustee Genesys Customer Care (" + careID + ") expires at 2027-06-11 (in 1 day, within 30 days)",
		},
		{
			name: "a trust the plan deletes is not warned about",
			edit: func(c *config.Config, st *live.State) {
				c.Trustees = nil
				c.Trustors = nil
				st.Trustees[1].Expires = date("2027-06-12")
				c.Protect.Trustees = nil
				st.CareOrgIDs = nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, st := demoConfig(), demoState()
			cfg.Policy.WarnExpiryDays = config.DefaultWarnExpiryDays
			st.ReadAt = readAt
			if tt.edit != nil {
				tt.edit(cfg, st)
			}
			p, err := Compute(cfg, st)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			var got []coded
			found := tt.watch == ""
			for _, w := range p.Warnings {
				if w.Code == "" {
					continue
				}
				if w.Message == "" || len(w.Hints) == 0 {
					t.Errorf("warning %+v has no message or hint", w)
				}
				found = found || w.Message == tt.watch
				got = append(got, coded{w.Code, w.TrusteeID, w.TrustorID, w.DaysLeft, w.Pos.Line})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("coded warnings (-want +got):\n%s", diff)
			}
			if !found {
				t.Errorf("no warning says %q; got %+v", tt.watch, p.Warnings)
			}
		})
	}
}

func TestDaysLeft(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		exp, now string
		want     int
	}{
		{"2027-06-30T00:00:00Z", "2027-06-10T23:59:00Z", 20},
		{"2027-06-30T00:00:00Z", "2027-06-10T00:00:00Z", 20},
		{"2027-06-30T23:00:00Z", "2027-06-30T01:00:00Z", 0},
		{"2027-06-29T12:00:00Z", "2027-06-30T01:00:00Z", -1},
		{"2027-06-30T01:00:00+02:00", "2027-06-29T12:00:00Z", 0}, // 23:00 UTC the day before
		{"1969-12-31T12:00:00Z", "1970-01-01T12:00:00Z", -1},
		{"9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z", 3652058},
	}
	for _, tt := range tests {
		if got := DaysLeft(at(tt.exp), at(tt.now)); got != tt.want {
			t.Errorf("DaysLeft(%s, %s) = %d; want %d", tt.exp, tt.now, got, tt.want)
		}
	}
}
