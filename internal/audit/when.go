package audit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxLookback bounds a duration back from now, so that now minus it is
// always a representable time.
const maxLookback = 100 * 365 * 24 * time.Hour

// ParseWhen reads a point in time as --since and --until take it: a
// duration back from now (Go's units such as 30m, 1h30m, plus d for 24
// hours: 7d, 1d12h) or an RFC 3339 time. The result is in UTC.
func ParseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time: give a duration back from now (30m, 1h, 7d) or an RFC 3339 time (2026-11-24T09:00:00Z)")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	d, err := parseLookback(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration back from now (30m, 1h, 7d) nor an RFC 3339 time (2026-11-24T09:00:00Z)", s)
	}
	return now.Add(-d).UTC(), nil
}

// parseLookback parses a non-negative duration whose leading part may be
// whole days ("7d", "1d12h").
func parseLookback(s string) (time.Duration, error) {
	var days int64
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 || n > int64(maxLookback/(24*time.Hour)) {
			return 0, fmt.Errorf("bad days in %q", s)
		}
		days, rest = n, s[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, err
		}
	}
	total := time.Duration(days)*24*time.Hour + d
	if d < 0 || total < 0 || total > maxLookback {
		return 0, fmt.Errorf("duration %q out of range", s)
	}
	return total, nil
}
