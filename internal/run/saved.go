package run

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/planfile"
	"github.com/trustsync/trustsync/internal/version"
)

// Save writes the plan to path (`trustsync plan --out`) with the digest
// and fingerprint of its inputs, for [Planned.CheckSaved], the build that
// made it, and conn, the connection it was made against (its sandbox
// state path, if any, usable from the working directory). The files are
// recorded relative to the plan file, so it can be applied from anywhere.
func (p *Planned) Save(path string, build version.Info, conn planfile.Connection) error {
	return planfile.Write(path, p.Plan, planfile.Meta{
		Build:           build,
		ConfigDigest:    p.ConfigDigest,
		LiveFingerprint: p.Fingerprint,
		Files:           p.Target.Paths(),
		Connection:      conn,
	})
}

// SavedTarget returns t for applying saved: once connected, and before
// anything else is read, it refuses credentials of another organization
// than the plan's ([CheckSavedOrg]).
func SavedTarget(t Target, saved *planfile.File) Target {
	connect := t.Connect
	t.Connect = func(ctx context.Context, region string) (*Conn, error) {
		if connect == nil {
			return nil, errors.New("target has no connection")
		}
		conn, err := connect(ctx, region)
		if err != nil {
			return nil, err
		}
		o, err := conn.Client.GetOrganizationMe(ctx)
		if err != nil {
			err = fmt.Errorf("read the credentials' organization: %w", err)
		} else {
			err = CheckSavedOrg(saved, live.Org{ID: o.ID, Name: o.Name})
		}
		if err != nil {
			if conn.Close != nil {
				err = errors.Join(err, conn.Close())
			}
			return nil, err
		}
		return conn, nil
	}
	return t
}

// CheckSavedOrg refuses a saved plan made for another organization than
// the one the connection's credentials belong to, before anything else is
// read: the plan would be stale anyway, and the mismatch is what to fix.
func CheckSavedOrg(saved *planfile.File, got live.Org) error {
	want := saved.Document.Organization
	if strings.EqualFold(want.ID, got.ID) {
		return nil
	}
	return fmt.Errorf("this plan is for org %s (%s); these credentials are for org %s (%s)\nnothing was changed\n"+
		"hint: apply it with the credentials of %s, or run plan again with these", want.ID, want.Name, got.ID, got.Name, want.Name)
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
