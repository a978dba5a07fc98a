package expiry

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		in   *time.Time
		want string
	}{
		{nil, "never"},
		{ptr(time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)), "2027-06-30"},
		{ptr(time.Date(2027, 6, 30, 1, 0, 0, 0, cet)), "2027-06-30"},
		{ptr(time.Date(2027, 6, 30, 12, 0, 0, 0, time.UTC)), "2027-06-30T12:00:00Z"},
		{ptr(time.Date(2027, 6, 30, 0, 0, 0, 5, time.UTC)), "2027-06-30T00:00:00.000000005Z"},
	} {
		if got := FormatPtr(tc.in); got != tc.want {
			t.Errorf("FormatPtr(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func ptr(t time.Time) *time.Time { return &t }
