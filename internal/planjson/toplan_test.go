package planjson

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestPlanRoundTrip reads every JSON plan the renderer's golden files hold
// back into plan data and writes it again: the bytes must not change.
func TestPlanRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "render", "testdata", "*_json.json.golden"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden JSON plans (%v)", err)
	}
	own, err := Marshal(testPlan())
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{"testPlan": own}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(f)] = data
	}
	for name, data := range docs {
		t.Run(name, func(t *testing.T) {
			d, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			p, err := d.Plan()
			if err != nil {
				t.Fatal(err)
			}
			again, err := Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, data) {
				t.Errorf("round trip changed the document:\n got %s\nwant %s", again, data)
			}
		})
	}
}

func TestPlanRefusesInvalid(t *testing.T) {
	data, err := Marshal(testPlan())
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	d.Changes[0].After, d.Changes[0].Before = nil, nil
	if _, err := d.Plan(); err == nil {
		t.Error("a change without values converted")
	}
}
