package config

import (
	// The package's own diag type (a Diagnostic with its JSON pointer) is
	// older than the shared package, hence the name.
	shared "github.com/trustsync/trustsync/internal/diag"
)

// Pos is a position in a desired-state file (see package diag).
type Pos = shared.Pos

// Severity says whether a diagnostic makes the configuration unusable.
type Severity = shared.Severity

// The severities of a [Diagnostic].
const (
	// Error means the configuration must not be used.
	Error = shared.Error
	// Warning points out something suspicious that does not stop a plan.
	Warning = shared.Warning
)

// WarnExpired is the code of the warning about a trustee whose expires is
// in the past; its TrusteeID names the trustee.
const WarnExpired = "expired"

// Diagnostic is one problem found in a desired-state file. It is
// the diag package's Diagnostic, the one located-message type every layer shares.
type Diagnostic = shared.Diagnostic

// Diagnostics is the list of problems Load found, in file and position order.
type Diagnostics = shared.List

// sortDiagnostics orders diagnostics by file (in the order the files were
// loaded), then line and column; diagnostics without a file come first.
func sortDiagnostics(d Diagnostics, files []string) { d.Sort(files) }

// hints splits a hint text into the Hints of a Diagnostic.
func hints(text string) []string { return shared.Hints(text) }
