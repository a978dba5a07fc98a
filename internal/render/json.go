package render

import (
	"fmt"
	"io"

	"github.com/trustsync/trustsync/internal/diag"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/planjson"
)

// JSON writes the plan as one JSON document (package planjson, format
// version [planjson.FormatVersion]), indented with two spaces and ending in
// a newline. The output depends only on the plan, so equal plans give
// identical bytes.
func JSON(w io.Writer, p *plan.Plan) error {
	b, err := planjson.Marshal(p)
	if err != nil {
		return fmt.Errorf("render plan: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write JSON plan: %w", err)
	}
	return nil
}

// JSONFailure writes the JSON document of a plan that could not be
// computed: format_version, the organization when known (org may be
// zero), errored true, no changes and the diagnostics that stopped it.
func JSONFailure(w io.Writer, org plan.Org, diags diag.List) error {
	b, err := planjson.NewFailure(org, diags).Marshal()
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write JSON plan: %w", err)
	}
	return nil
}
