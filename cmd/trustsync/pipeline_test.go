package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/plan"
)

func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	// Not shown before the delay has passed.
	quiet := &progressLine{w: &buf, start: time.Now(), after: time.Hour}
	quiet.update(live.Progress{Done: 1, Total: 3})
	quiet.clear()
	if buf.Len() != 0 {
		t.Errorf("progress shown before its delay: %q", buf.String())
	}
	// Shown (throttled) after it, then cleared.
	p := &progressLine{w: &buf, start: time.Now().Add(-2 * time.Second), after: time.Second}
	p.update(live.Progress{Done: 2, Total: 5})
	p.update(live.Progress{Done: 3, Total: 5}) // within 100ms: skipped
	p.clear()
	want := "\rreading live state: 2/5 requests\x1b[K\r\x1b[K"
	if buf.String() != want {
		t.Errorf("progress output = %q, want %q", buf.String(), want)
	}
	var nilLine *progressLine
	nilLine.clear() // no terminal: nothing to clear, no panic
}

func TestReportProblems(t *testing.T) {
	var buf bytes.Buffer
	err := reportProblems(&buf, errors.Join(
		&plan.Problem{Pos: config.Pos{File: "t.yaml", Line: 4, Col: 9}, Message: `role "X" does not exist`, Hints: []string{`did you mean "Y"?`}},
		errors.New("other"),
	))
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 || ee.err != nil {
		t.Fatalf("err = %#v, want an already-reported exit 1", err)
	}
	out := buf.String()
	for _, want := range []string{
		"t.yaml:4:9: error: role \"X\" does not exist\n    hint: did you mean \"Y\"?\n",
		"error: other\n",
		"cannot plan: 2 problems",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
}

func TestErrorDiagnostic(t *testing.T) {
	d := errorDiagnostic(errors.New("connect: no credentials\nhint: set GENESYSCLOUD_OAUTHCLIENT_ID\nhint: or use --sandbox"))
	if d.Severity != diag.Error || d.Message != "connect: no credentials" ||
		len(d.Hints) != 2 || d.Hints[0] != "set GENESYSCLOUD_OAUTHCLIENT_ID" || d.Hints[1] != "or use --sandbox" {
		t.Errorf("errorDiagnostic = %+v", d)
	}
}
