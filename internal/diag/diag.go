// Package diag holds the one type for a message about trustsync's input,
// located in a desired-state file where possible: [Diagnostic], an error or
// a warning with its file, line, column, JSON-pointer path, message and
// hints, plus the coded members a program may act on.
//
// Configuration loading, planning, validation and every renderer use it, and
// [Diagnostic.String] and [List.WriteText] are the one text form:
//
//	FILE:LINE:COL: severity: message
//	    hint: what to do
//
// The package is a leaf: it imports nothing of trustsync's, so every layer
// of the flow (config, plan, render, apply) can use it.
package diag

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Severity says whether a diagnostic blocks the command.
type Severity int

const (
	// Error means the input must not be used.
	Error Severity = iota
	// Warning points out something a reviewer should know that does not
	// block a plan.
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

// Pos is a position in a desired-state file. Line and Col start at 1; a
// zero Line means the position is unknown (for example a value set by
// default), and an empty File that the message is not about one file.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// String formats the position as FILE:LINE:COL, leaving out the parts that
// are unknown ("FILE", "LINE:COL" or "").
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

// Diagnostic is one message about the input: an error or a warning.
type Diagnostic struct {
	Severity Severity
	// Pos locates the diagnostic in a desired-state file; zero when it is
	// about no place in a file (for example a plan-wide warning).
	Pos Pos
	// Path is the JSON pointer of the value the diagnostic is about within
	// its file ("/trustees/0/expires"), when known.
	Path string
	// Message says what is wrong: lowercase, no trailing period.
	Message string
	// Hints say what to do about it, one line each.
	Hints []string
	// Code classifies diagnostics a program may act on, for example
	// "expires_soon" or "no_expiry"; empty for the others.
	Code string
	// TrusteeID or TrustorID names the trust a coded diagnostic is about;
	// DaysLeft is set on expiry diagnostics (negative once expired).
	TrusteeID string
	TrustorID string
	DaysLeft  *int
}

// Errorf returns an error diagnostic at pos with one hint (none when hint
// is empty; a hint with several lines becomes several hints).
func Errorf(pos Pos, hint, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Error, Pos: pos, Message: fmt.Sprintf(format, args...), Hints: Hints(hint)}
}

// Warnf is [Errorf] for a warning.
func Warnf(pos Pos, hint, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Warning, Pos: pos, Message: fmt.Sprintf(format, args...), Hints: Hints(hint)}
}

// Hints splits a hint text into its lines; "" gives none.
func Hints(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// String formats the diagnostic as "FILE:LINE:COL: severity: message",
// without the hints.
func (d Diagnostic) String() string {
	if p := d.Pos.String(); p != "" {
		return p + ": " + d.Severity.String() + ": " + d.Message
	}
	return d.Severity.String() + ": " + d.Message
}

// Error returns "FILE:LINE:COL: message", or just the message when the
// position is unknown, so that a diagnostic can travel as an error (plan
// returns its problems this way); the hints are not part of it.
func (d *Diagnostic) Error() string {
	if p := d.Pos.String(); p != "" {
		return p + ": " + d.Message
	}
	return d.Message
}

// Wire is the JSON form of a diagnostic, as validate, the JSON plan and
// the document of a failed plan write it. Members that do not apply are
// left out.
type Wire struct {
	Severity  Severity `json:"severity"`
	Code      string   `json:"code,omitempty"`
	Message   string   `json:"message"`
	Hints     []string `json:"hints,omitempty"`
	File      string   `json:"file,omitempty"`
	Line      int      `json:"line,omitempty"`
	Col       int      `json:"col,omitempty"`
	Path      string   `json:"path,omitempty"`
	TrusteeID string   `json:"trustee_id,omitempty"`
	TrustorID string   `json:"trustor_id,omitempty"`
	DaysLeft  *int     `json:"days_left,omitempty"`
}

// ToWire returns the diagnostic's JSON form.
func (d Diagnostic) ToWire() Wire {
	w := Wire{
		Severity: d.Severity, Code: d.Code, Message: d.Message, Hints: slices.Clone(d.Hints),
		File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col, Path: d.Path,
		TrusteeID: d.TrusteeID, TrustorID: d.TrustorID,
	}
	if d.DaysLeft != nil {
		n := *d.DaysLeft
		w.DaysLeft = &n
	}
	return w
}

// Diagnostic returns the diagnostic a wire form describes.
func (w Wire) Diagnostic() Diagnostic {
	d := Diagnostic{
		Severity: w.Severity, Code: w.Code, Message: w.Message, Hints: slices.Clone(w.Hints),
		Pos: Pos{File: w.File, Line: w.Line, Col: w.Col}, Path: w.Path,
		TrusteeID: w.TrusteeID, TrustorID: w.TrustorID,
	}
	if w.DaysLeft != nil {
		n := *w.DaysLeft
		d.DaysLeft = &n
	}
	return d
}

// MarshalJSON encodes the diagnostic as its [Wire] form.
func (d Diagnostic) MarshalJSON() ([]byte, error) { return json.Marshal(d.ToWire()) }

// UnmarshalJSON decodes the form written by MarshalJSON.
func (d *Diagnostic) UnmarshalJSON(b []byte) error {
	var w Wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*d = w.Diagnostic()
	return nil
}

// List is a list of diagnostics.
type List []Diagnostic

// HasErrors reports whether any diagnostic is an Error.
func (l List) HasErrors() bool {
	return slices.ContainsFunc(l, func(x Diagnostic) bool { return x.Severity == Error })
}

// Count returns the number of errors and of warnings.
func (l List) Count() (errors, warnings int) {
	for _, x := range l {
		if x.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// Warnings returns the warnings of the list, in order.
func (l List) Warnings() List {
	var out List
	for _, x := range l {
		if x.Severity == Warning {
			out = append(out, x)
		}
	}
	return out
}

// WriteText writes one line per diagnostic ("FILE:LINE:COL: error: msg"),
// each followed by its hints as "    hint: ..." lines.
func (l List) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, x := range l {
		b.WriteString(x.String())
		b.WriteByte('\n')
		for _, h := range x.Hints {
			b.WriteString("    hint: ")
			b.WriteString(h)
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Sort orders diagnostics by file (files ranked by rank, in the order given;
// others after them by name), then line and column; diagnostics without a
// file come first. The sort is stable, so several diagnostics at one
// position keep the order they were found in.
func (l List) Sort(files []string) {
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
	slices.SortStableFunc(l, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(fileRank(a.Pos.File), fileRank(b.Pos.File)),
			strings.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
		)
	})
}
