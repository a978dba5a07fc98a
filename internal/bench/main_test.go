package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"
)

// TestBenchSmallOrg runs the bench on a small generated org at no
// latency: the plan makes exactly the minimum number of calls, and apply
// makes one write per change and reads back every role change.
func TestBenchSmallOrg(t *testing.T) {
	var out bytes.Buffer
	o := options{spec: "trustees=12,users=4,trustors=3,roles=5", clientLimit: -1, concurrency: 4, pool: 2, apply: true, runs: 1, seed: 1}
	if err := benchmark(context.Background(), &out, o); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`made (\d+) answered calls, \+0 over the minimum`,
		`writes (\d+) \(want (\d+), one per change\)`,
		`= \d+ writes \+ (\d+) read-backs \(want (\d+) read-backs`,
		`verification clean: true`,
		`client requests by token`,
	} {
		m := regexp.MustCompile(want).FindStringSubmatch(out.String())
		if m == nil {
			t.Errorf("output lacks %q:\n%s", want, out.String())
			continue
		}
		if len(m) == 3 && m[1] != m[2] {
			t.Errorf("%q: %s, want %s", want, m[1], m[2])
		}
	}
}
