package audit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/audit"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func TestParseWhen(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "30m", want: now.Add(-30 * time.Minute)},
		{in: "1h", want: now.Add(-time.Hour)},
		{in: "7d", want: now.AddDate(0, 0, -7)},
		{in: "1d12h", want: now.Add(-36 * time.Hour)},
		{in: " 0s ", want: now},
		{in: "2026-11-20T10:00:00+01:00", want: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)},
		{in: "", bad: true},
		{in: "-1h", bad: true},
		{in: "7", bad: true},
		{in: "d", bad: true},
		{in: "yesterday", bad: true},
		{in: "2026-11-20", bad: true},
		{in: "99999999d", bad: true},
	}
	for _, tt := range tests {
		got, err := audit.ParseWhen(tt.in, now)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseWhen(%q) = %v; want an error", tt.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseWhen(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"7d", "30m", "1d2h3m", "2026-11-24T09:00:00Z", "-5d", "9223372036854775807d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := audit.ParseWhen(s, now)
		if err != nil {
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("ParseWhen(%q) = %v, not in UTC", s, got)
		}
		// a duration only looks back; only an RFC 3339 time may be later
		if _, perr := time.Parse(time.RFC3339Nano, strings.TrimSpace(s)); perr != nil && got.After(now) {
			t.Errorf("ParseWhen(%q) = %v, after now", s, got)
		}
	})
}
