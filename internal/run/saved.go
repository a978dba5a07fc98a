package run

import (
	"errors"
	"fmt"

	"github.com/trustsync/trustsync/internal/planfile"
)

// Save writes the plan to path (`trustsync plan --out`) with the digest
// and fingerprint of its inputs, for [Planned.CheckSaved].
func (p *Planned) Save(path, trustsyncVersion string) error {
	return planfile.Write(path, p.Plan, planfile.Meta{
		TrustsyncVersion: trustsyncVersion,
		ConfigDigest:     p.ConfigDigest,
		LiveFingerprint:  p.Fingerprint,
		Files:            p.Target.Files,
	})
}

// CheckSaved refuses a saved plan that is not what applying now would do:
// the configuration or live state changed since it was made, or the plan
// computed now is not the saved one.
func (p *Planned) CheckSaved(saved *planfile.File) error {
	const rerun = "; run plan again\nnothing was changed"
	if saved.Meta.ConfigDigest != p.ConfigDigest {
		return errors.New("plan is stale: the configuration changed since it was made" + rerun)
	}
	if saved.Meta.LiveFingerprint != p.Fingerprint {
		return errors.New("plan is stale: live state changed since it was made" + rerun)
	}
	diff, err := saved.Difference(p.Plan)
	if err != nil {
		return fmt.Errorf("compare with the saved plan: %w", err)
	}
	if diff != "" {
		return fmt.Errorf("plan is stale: the plan computed now is not the saved one (%s)%s", diff, rerun)
	}
	return nil
}
