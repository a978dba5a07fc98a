package plan

import (
	"errors"
	"strings"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/diag"
)

// Problem is a reason the configuration cannot be planned against live
// state, located in a desired-state file where possible: an error
// [diag.Diagnostic]. [Compute] returns its problems as *Problem errors
// joined with [errors.Join]; [Problems] splits them again.
type Problem = diag.Diagnostic

// Warning is something a reviewer should know that does not block the
// plan: a warning [diag.Diagnostic]. Warnings about the files (from
// config.Load) and about the plan (from [Compute]) are the same type and
// are shown together, each once.
type Warning = diag.Diagnostic

// Problems returns the problems held in err (as returned by [Compute]) in
// order, as error diagnostics. Errors in err that are not problems become
// diagnostics with no position.
func Problems(err error) diag.List {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make(diag.List, 0, len(errs))
	for _, e := range errs {
		var p *Problem
		if errors.As(e, &p) {
			d := *p
			d.Severity = diag.Error
			out = append(out, d)
			continue
		}
		out = append(out, diag.Diagnostic{Severity: diag.Error, Message: e.Error()})
	}
	return out
}

// AddFileWarnings adds the warnings among ds (config.Load's diagnostics)
// to the plan's warnings, so that a reviewer reads every warning about the
// files in the plan itself, each once: a warning the plan already holds is
// not added again, nor is the file's warning that a trustee's expiry is
// past (config.WarnExpired) when the plan warns about that trustee's expiry
// itself (WarnExpiresSoon, counted from when live state was read). Errors
// in ds are ignored: a plan is never computed from a configuration with
// errors.
func (p *Plan) AddFileWarnings(ds diag.List) {
	seen := make(map[string]bool, len(p.Warnings))
	expiring := make(map[string]bool)
	for _, w := range p.Warnings {
		seen[w.String()] = true
		if w.Code == WarnExpiresSoon && w.TrusteeID != "" {
			expiring[strings.ToLower(w.TrusteeID)] = true
		}
	}
	for _, d := range ds {
		if d.Severity != diag.Warning || seen[d.String()] {
			continue
		}
		if d.Code == config.WarnExpired && expiring[strings.ToLower(d.TrusteeID)] {
			continue
		}
		seen[d.String()] = true
		p.Warnings = append(p.Warnings, d)
	}
	sortWarnings(p.Warnings)
}
