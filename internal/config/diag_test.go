package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSortDiagnostics(t *testing.T) {
	d := Diagnostics{
		{Pos: Pos{File: "b.yaml", Line: 1, Col: 1}, Message: "b1"},
		{Pos: Pos{File: "a.yaml", Line: 9, Col: 1}, Message: "a9"},
		{Pos: Pos{File: "b.yaml", Line: 1, Col: 1}, Message: "b1 second"},
		{Message: "no file"},
		{Pos: Pos{File: "a.yaml", Line: 2, Col: 5}, Message: "a2"},
	}
	sortDiagnostics(d, []string{"b.yaml", "a.yaml"})
	var got []string
	for _, x := range d {
		got = append(got, x.Message)
	}
	want := []string{"no file", "b1", "b1 second", "a2", "a9"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestSuggestKey(t *testing.T) {
	known := []string{"version", "organization", "policy", "protect", "trustees", "trustors"}
	for key, want := range map[string]string{
		"trustes":   "trustees",
		"trusteees": "trustees",
		"trsutors":  "trustors",
		"Version":   "version",
		"polcy":     "policy",
		"colour":    "",
		"t":         "",
	} {
		if got, _ := suggestKey(key, known); got != want {
			t.Errorf("suggestKey(%q) = %q, want %q", key, got, want)
		}
	}
}
