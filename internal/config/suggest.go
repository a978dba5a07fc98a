package config

import (
	"strconv"
	"strings"

	"github.com/trustsync/trustsync/internal/suggest"
)

// suggestKey returns a hint for an unknown key: the closest known key when
// one is close enough to be a typo (also returned as match), else the list
// of known keys.
func suggestKey(key string, known []string) (match, hint string) {
	best, bestDist := "", -1
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return k, "did you mean " + strconv.Quote(k) + "? (keys are case-sensitive)"
		}
		d := editDistance(strings.ToLower(key), strings.ToLower(k))
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	// Allow about one edit per three letters, at least one and at most three.
	if limit := min(max(len(best)/3, 1), 3); best != "" && bestDist <= limit {
		return best, "did you mean " + strconv.Quote(best) + "?"
	}
	return "", "keys here are: " + strings.Join(known, ", ")
}

// editDistance is suggest.Distance, except that long keys are never typos
// of short ones, so it skips the quadratic work for them.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len([]rune(a)), len([]rune(b)))
	}
	return suggest.Distance(a, b)
}
