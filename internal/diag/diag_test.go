package diag

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestText(t *testing.T) {
	l := List{
		{Pos: Pos{File: "a.yaml", Line: 3, Col: 7}, Severity: Error, Message: "bad id", Hints: []string{"fix it", "or remove it"}},
		{Pos: Pos{File: "a.yaml"}, Severity: Warning, Message: "no line"},
		{Severity: Error, Message: "no file"},
	}
	if got, want := l[0].String(), "a.yaml:3:7: error: bad id"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := l[0].Error(), "a.yaml:3:7: bad id"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var b bytes.Buffer
	if err := l.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "a.yaml:3:7: error: bad id\n    hint: fix it\n    hint: or remove it\na.yaml: warning: no line\nerror: no file\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteText (-want +got):\n%s", diff)
	}
	if !l.HasErrors() || l[1:2].HasErrors() {
		t.Error("HasErrors is wrong")
	}
	if e, w := l.Count(); e != 2 || w != 1 {
		t.Errorf("Count() = %d, %d; want 2, 1", e, w)
	}
	if got := l.Warnings(); len(got) != 1 || got[0].Message != "no line" {
		t.Errorf("Warnings() = %v", got)
	}
}

func TestHints(t *testing.T) {
	for text, want := range map[string][]string{
		"":       nil,
		"one":    {"one"},
		"a\nb":   {"a", "b"},
		"a\n\nb": {"a", "", "b"},
	} {
		if got := Hints(text); !cmp.Equal(got, want) {
			t.Errorf("Hints(%q) = %q, want %q", text, got, want)
		}
	}
	d := Errorf(Pos{File: "f", Line: 1, Col: 2}, "h", "x %d", 3)
	if d.Severity != Error || d.Message != "x 3" || !cmp.Equal(d.Hints, []string{"h"}) {
		t.Errorf("Errorf = %+v", d)
	}
	if w := Warnf(Pos{}, "", "y"); w.Severity != Warning || w.Hints != nil {
		t.Errorf("Warnf = %+v", w)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	days := -3
	in := List{
		{Pos: Pos{File: "a.yaml", Line: 3, Col: 7}, Path: "/trustees/0/expires", Severity: Warning, Message: "m", Hints: []string{"h"},
			Code: "expired", TrusteeID: "t1", DaysLeft: &days},
		{Severity: Error, Message: "n"},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"severity":"warning","code":"expired","message":"m","hints":["h"],"file":"a.yaml","line":3,"col":7,"path":"/trustees/0/expires","trustee_id":"t1","days_left":-3},{"severity":"error","message":"n"}]`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant  %s", b, want)
	}
	var out List
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

func TestSort(t *testing.T) {
	l := List{
		{Pos: Pos{File: "b.yaml", Line: 1, Col: 1}, Message: "b1"},
		{Pos: Pos{File: "c.yaml", Line: 1, Col: 1}, Message: "c1"},
		{Pos: Pos{File: "a.yaml", Line: 9, Col: 1}, Message: "a9"},
		{Pos: Pos{File: "b.yaml", Line: 1, Col: 1}, Message: "b1 second"},
		{Message: "no file"},
		{Pos: Pos{File: "a.yaml", Line: 2, Col: 5}, Message: "a2"},
	}
	l.Sort([]string{"b.yaml", "a.yaml"})
	var got []string
	for _, x := range l {
		got = append(got, x.Message)
	}
	want := []string{"no file", "b1", "b1 second", "a2", "a9", "c1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
