package config

import (
	"regexp"
	"strings"
	"testing"

	"github.com/trustsync/trustsync/schema"
)

// TestSchemaPatternsMatchedByHand keeps the hand matchers in step with the
// schema: each is for a pattern the schema uses.
func TestSchemaPatternsMatchedByHand(t *testing.T) {
	for _, expr := range []string{uuidPattern, trimmedPattern} {
		quoted := strings.ReplaceAll(expr, `\`, `\\`)
		if !strings.Contains(string(schema.JSON()), `"pattern": "`+quoted+`"`) {
			t.Errorf("the schema no longer uses the pattern %s: drop its hand matcher", expr)
		}
	}
}

// FuzzPatterns checks that each hand matcher agrees with its regular
// expression.
//
//	go test ./internal/config -run '^$' -fuzz FuzzPatterns -fuzztime 30s
func FuzzPatterns(f *testing.F) {
	for _, s := range []string{
		"", " ", "a", " a", "a ", "a\n", "\na", "Claims Agent", "\xff", "é", "a\u00a0",
		"c0000001-0000-4000-8000-000000000001", "C0000001-0000-4000-8000-00000000000F",
		"c0000001-0000-4000-8000-00000000000", "c0000001-0000-4000-8000-000000000001\n", "g0000001-0000-4000-8000-000000000001",
	} {
		f.Add(s)
	}
	res := map[string]*regexp.Regexp{uuidPattern: regexp.MustCompile(uuidPattern), trimmedPattern: regexp.MustCompile(trimmedPattern)}
	f.Fuzz(func(t *testing.T, s string) {
		for expr, re := range res {
			if got, want := handMatcher(expr)(s), re.MatchString(s); got != want {
				t.Errorf("pattern %s on %q: hand matcher %v, regexp %v", expr, s, got, want)
			}
		}
	})
}
