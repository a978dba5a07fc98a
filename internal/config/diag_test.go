package config

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiagnosticText(t *testing.T) {
	d := Diagnostics{
		{Pos: Pos{File: "a.yaml", Line: 3, Col: 7}, Severity: Error, Message: "bad id", Hint: "fix it\nor remove it"},
		{Pos: Pos{File: "a.yaml"}, Severity: Warning, Message: "no line"},
		{Severity: Error, Message: "no file"},
	}
	if got, want := d[0].String(), "a.yaml:3:7: error: bad id"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	var b bytes.Buffer
	if err := d.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "a.yaml:3:7: error: bad id\n    hint: fix it\n    hint: or remove it\na.yaml: warning: no line\nerror: no file\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteText (-want +got):\n%s", diff)
	}
	if !d.HasErrors() || d[1:2].HasErrors() {
		t.Error("HasErrors is wrong")
	}
	if e, w := d.Count(); e != 2 || w != 1 {
		t.Errorf("Count() = %d, %d; want 2, 1", e, w)
	}
}

func TestDiagnosticJSONRoundTrip(t *testing.T) {
	in := Diagnostics{
		{Pos: Pos{File: "a.yaml", Line: 3, Col: 7}, Severity: Warning, Message: "m", Hint: "h"},
		{Severity: Error, Message: "n"},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"file":"a.yaml","line":3,"col":7,"severity":"warning","message":"m","hint":"h"},{"severity":"error","message":"n"}]`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant  %s", b, want)
	}
	var out Diagnostics
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`[{"severity":"fatal"}]`), &out); err == nil {
		t.Error("unknown severity accepted")
	}
}

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
