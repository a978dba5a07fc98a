package github

import "testing"

// FuzzPullRequestNumber feeds event payloads to the decoder: it never
// panics, and a number it returns is positive.
func FuzzPullRequestNumber(f *testing.F) {
	f.Add([]byte(`{"pull_request":{"number":42}}`))
	f.Add([]byte(`{"issue":{"number":9,"pull_request":{"url":"x"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := pullRequestNumber(data)
		if err == nil && n <= 0 {
			t.Fatalf("number %d without an error", n)
		}
	})
}
