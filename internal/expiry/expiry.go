// Package expiry formats a trust's expiry for people, the same way in
// every output: plans, apply's messages and configuration diagnostics.
package expiry

import "time"

// Format shows t as a date ("2027-06-30") when it is midnight UTC, else as
// an RFC 3339 UTC date-time ("2027-06-30T12:00:00Z", with fractional
// seconds only when there are any).
func Format(t time.Time) string {
	u := t.UTC()
	if u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0 {
		return u.Format(time.DateOnly)
	}
	return u.Format(time.RFC3339Nano)
}

// FormatPtr is [Format] for an optional expiry; nil (no expiry) is
// "never".
func FormatPtr(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return Format(*t)
}
