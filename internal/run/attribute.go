package run

import (
	"context"
	"slices"

	"github.com/trustsync/trustsync/internal/audit"
	"github.com/trustsync/trustsync/internal/plan"
)

// PlanOptions tune [Plan].
type PlanOptions struct {
	// Attribute names, on each change, the latest audit entry that
	// touched its live object (who and when: plan.Change.Attribution).
	// The audit log is read only when the plan has changes, and only for
	// the objects they touch. Attribution is information: whatever the
	// audit log answers, the plan is the same, and a failure to read it is
	// a warning ([Attribution.Warnings]), never an error.
	Attribute bool
}

// Attribution is what attributing a plan's changes did.
type Attribution struct {
	// Ran is true when the audit log was asked (the plan has changes).
	Ran bool
	// Attributed counts the changes that name an audit entry.
	Attributed int
	// Warnings say why changes could not be attributed (one naming
	// audit.Permission when the audit log answered 403). They are not
	// part of the plan: a saved plan, its comparison at apply time and
	// apply records leave them out; [Planned.Shown] adds them for a
	// reviewer.
	Warnings []plan.Warning
}

// attribute fills the changes' Attribution from the audit log.
func (p *Planned) attribute(ctx context.Context) {
	if !p.Plan.HasChanges() {
		return
	}
	p.Attribution = Attribution{Ran: true, Warnings: audit.Attribute(ctx, p.Client, p.Plan)}
	for _, c := range p.Plan.Changes {
		if c.Attribution != nil {
			p.Attribution.Attributed++
		}
	}
}

// Shown is the plan as a reviewer sees it: Plan with the attribution
// warnings after its own. Save, CheckSaved and Apply use Plan itself.
func (p *Planned) Shown() *plan.Plan {
	if len(p.Attribution.Warnings) == 0 {
		return p.Plan
	}
	shown := *p.Plan
	shown.Warnings = slices.Concat(p.Plan.Warnings, p.Attribution.Warnings)
	return &shown
}
