package proof

import "testing"

// TestSoak applies a seeded random desired state to a seeded random
// starting state through a sandbox with faults, latency and a rate limit,
// until apply succeeds (at most five runs), for every seed. Each run's audit
// entries must be about objects its plan names, and none may widen access
// once a narrowing change has failed or while one is still running; at the
// end live state must match the file (see scenario.verify).
func TestSoak(t *testing.T) {
	t.Parallel()
	var runs tally
	eachSeed(t, seeds(t, 20, 300), func(t *testing.T, seed int64) {
		s := newScenario(t, seed, faulty(seed))
		runs.add(seed, s.converge(""))
		s.verify()
		runs.count(s)
	})
	runs.report(t, "soak")
}
