package plan

import (
	"errors"
	"fmt"

	"github.com/trustsync/trustsync/internal/config"
)

// Problem is a reason the configuration cannot be planned against live
// state, located in a desired-state file where possible. [Compute] returns
// its problems joined with [errors.Join]; [Problems] splits them again.
type Problem struct {
	Pos     config.Pos
	Message string
	// Hint tells the user what to do about it; it may be empty.
	Hint string
}

// Error returns "FILE:LINE:COL: message", or just the message when the
// position is unknown. The hint is not part of it.
func (p *Problem) Error() string {
	if loc := FormatPos(p.Pos); loc != "" {
		return loc + ": " + p.Message
	}
	return p.Message
}

// FormatPos formats a position as "FILE:LINE:COL", "FILE" or "" depending
// on what is known.
func FormatPos(pos config.Pos) string {
	switch {
	case pos.File != "" && pos.Line > 0:
		return fmt.Sprintf("%s:%d:%d", pos.File, pos.Line, pos.Col)
	case pos.Line > 0:
		return fmt.Sprintf("%d:%d", pos.Line, pos.Col)
	default:
		return pos.File
	}
}

// Problems returns the problems held in err (as returned by [Compute]) in
// order. Errors in err that are not problems are returned as problems with
// no position.
func Problems(err error) []*Problem {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]*Problem, 0, len(errs))
	for _, e := range errs {
		var p *Problem
		if errors.As(e, &p) {
			out = append(out, p)
			continue
		}
		out = append(out, &Problem{Message: e.Error()})
	}
	return out
}
