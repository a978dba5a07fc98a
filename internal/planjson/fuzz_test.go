package planjson

import (
	"bytes"
	"testing"
)

// FuzzParse: Parse never panics on any input, and a document it accepts
// writes back to bytes it accepts again, unchanged by a second round.
func FuzzParse(f *testing.F) {
	good, err := Marshal(testPlan())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format_version": "2", "changes": [{"action": "create", "kind": "trustee", "effect": "widen", "after": {"expires": null}}]}`))
	f.Add([]byte(`{"format_version": "1"}`))
	f.Add([]byte(`{"format_version": "2", "errored": true, "changes": [], "diagnostics": []}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		once, err := d.Marshal()
		if err != nil {
			t.Fatalf("an accepted document does not marshal: %v", err)
		}
		d2, err := Parse(once)
		if err != nil {
			t.Fatalf("the written form of an accepted document is refused: %v\n%s", err, once)
		}
		twice, err := d2.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("a second round trip changed the document:\n%s\n---\n%s", once, twice)
		}
	})
}
