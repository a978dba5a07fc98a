package config

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Severity says whether a diagnostic makes the configuration unusable.
type Severity int

const (
	// Error means the configuration must not be used.
	Error Severity = iota
	// Warning points out something suspicious that does not stop a plan.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText encodes the severity as its String form.
func (s Severity) MarshalText() ([]byte, error) {
	if s != Error && s != Warning {
		return nil, fmt.Errorf("unknown severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes "error" or "warning".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// String formats the position as FILE:LINE:COL, leaving out the parts that
// are unknown.
func (p Pos) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
		if p.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Col))
		}
	}
	return b.String()
}

// Diagnostic is one problem found in a desired-state file.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	// Message says what is wrong: lowercase, no trailing period.
	Message string
	// Hint, when set, says what to do about it; it may span several lines.
	Hint string
}

// String formats the diagnostic as "FILE:LINE:COL: error: message",
// without the hint.
func (d Diagnostic) String() string {
	if p := d.Pos.String(); p != "" {
		return p + ": " + d.Severity.String() + ": " + d.Message
	}
	return d.Severity.String() + ": " + d.Message
}

// diagnosticJSON is the wire form of a Diagnostic.
type diagnosticJSON struct {
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Col      int      `json:"col,omitempty"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

// MarshalJSON encodes the diagnostic as a flat object:
// {"file","line","col","severity","message","hint"}.
func (d Diagnostic) MarshalJSON() ([]byte, error) {
	return json.Marshal(diagnosticJSON{
		File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col,
		Severity: d.Severity, Message: d.Message, Hint: d.Hint,
	})
}

// UnmarshalJSON decodes the form written by MarshalJSON.
func (d *Diagnostic) UnmarshalJSON(b []byte) error {
	var w diagnosticJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*d = Diagnostic{Pos: Pos{File: w.File, Line: w.Line, Col: w.Col}, Severity: w.Severity, Message: w.Message, Hint: w.Hint}
	return nil
}

// Diagnostics is the list of problems Load found, in file and position order.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an Error.
func (d Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(d, func(x Diagnostic) bool { return x.Severity == Error })
}

// Count returns the number of errors and of warnings.
func (d Diagnostics) Count() (errors, warnings int) {
	for _, x := range d {
		if x.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// WriteText writes one line per diagnostic ("FILE:LINE:COL: error: msg"),
// each followed by its hint lines indented as "    hint: ...".
func (d Diagnostics) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, x := range d {
		b.WriteString(x.String())
		b.WriteByte('\n')
		if x.Hint != "" {
			for line := range strings.SplitSeq(x.Hint, "\n") {
				b.WriteString("    hint: ")
				b.WriteString(line)
				b.WriteByte('\n')
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// sortDiagnostics orders diagnostics by file (in the order the files were
// loaded), then line and column; diagnostics without a file come first.
// The sort is stable so that several diagnostics at one position keep the
// order they were found in.
func sortDiagnostics(d Diagnostics, files []string) {
	rank := make(map[string]int, len(files))
	for i, f := range files {
		if _, ok := rank[f]; !ok {
			rank[f] = i + 1
		}
	}
	fileRank := func(f string) int {
		if f == "" {
			return 0
		}
		if r, ok := rank[f]; ok {
			return r
		}
		return len(files) + 1
	}
	slices.SortStableFunc(d, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(fileRank(a.Pos.File), fileRank(b.Pos.File)),
			strings.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
		)
	})
}
