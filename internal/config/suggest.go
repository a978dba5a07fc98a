package config

import (
	"strconv"
	"strings"
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

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// characters each count one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		// Long keys are never typos of short ones; skip the quadratic work.
		return max(len(ra), len(rb))
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
