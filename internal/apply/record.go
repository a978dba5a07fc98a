package apply

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/trustsync/trustsync/internal/plan"
)

// RecordVersion is the version of the apply record format (docs/apply.md).
const RecordVersion = "1"

// Record is the JSON apply record written by `trustsync apply --record`, for
// access reviews: what was applied, from which configuration, how each
// change ended, and whether live state matched the configuration afterwards.
// docs/apply.md describes every field.
type Record struct {
	RecordVersion    string    `json:"record_version"`
	Time             time.Time `json:"time"`
	DurationMS       int64     `json:"duration_ms"`
	TrustsyncVersion string    `json:"trustsync_version"`
	// GitCommit is the commit checked out where apply ran; empty (and
	// omitted) outside a git repository.
	GitCommit    string    `json:"git_commit,omitempty"`
	Organization RecordOrg `json:"organization"`
	ConfigFiles  []string  `json:"config_files"`
	ConfigDigest string    `json:"config_digest"`
	PlanDigest   string    `json:"plan_digest"`
	// PlanFile and PlanFileDigest are set when a saved plan was applied.
	PlanFile        string         `json:"plan_file,omitempty"`
	PlanFileDigest  string         `json:"plan_file_digest,omitempty"`
	LiveFingerprint string         `json:"live_fingerprint"`
	Summary         RecordSummary  `json:"summary"`
	Changes         []RecordChange `json:"changes"`
	Verification    Verification   `json:"verification"`
}

// RecordOrg is the organization the record is about.
type RecordOrg struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// RecordSummary counts the changes by how they ended.
type RecordSummary struct {
	OK      int `json:"ok"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// RecordChange is one change and how it ended.
type RecordChange struct {
	Address    string `json:"address"`
	Action     string `json:"action"`
	Kind       string `json:"kind"`
	Effect     string `json:"effect"`
	Reason     string `json:"reason"`
	TrusteeID  string `json:"trustee_id,omitempty"`
	TrustorID  string `json:"trustor_id,omitempty"`
	UserID     string `json:"user_id,omitempty"`
	Status     string `json:"status"`
	DurationMS int64  `json:"duration_ms"`
	Attempts   int    `json:"attempts"`
	// CorrelationIDs are the correlation ids of every API answer behind
	// the change, writes (each attempt) and read-backs, successes and
	// errors, in the order the answers arrived; empty for a skipped
	// change. See [ChangeResult.CorrelationIDs].
	CorrelationIDs []string `json:"correlation_ids"`
	Notes          []string `json:"notes"`
	// Error is why the change failed or was skipped; empty for ok.
	Error string `json:"error,omitempty"`
}

// Verification is the outcome of re-reading live state and planning again
// after the changes.
type Verification struct {
	// Ran is false when verification could not run (interrupted, or live
	// state could not be read); Error says why.
	Ran bool `json:"ran"`
	// Clean is true only when the new plan has no changes.
	Clean bool `json:"clean"`
	// Remaining are the addresses of the changes still needed.
	Remaining []string `json:"remaining"`
	Error     string   `json:"error,omitempty"`
}

// RecordMeta is what a record holds besides the run's result.
type RecordMeta struct {
	Start            time.Time
	TrustsyncVersion string
	GitCommit        string
	ConfigFiles      []string
	ConfigDigest     string
	PlanDigest       string
	PlanFile         string
	PlanFileDigest   string
	LiveFingerprint  string
	Verification     Verification
}

// NewRecord builds the record of applying p with result res (nil when
// there was nothing to apply).
func NewRecord(p *plan.Plan, res *Result, meta RecordMeta) *Record {
	r := &Record{
		RecordVersion:    RecordVersion,
		Time:             meta.Start.UTC(),
		DurationMS:       time.Since(meta.Start).Milliseconds(),
		TrustsyncVersion: meta.TrustsyncVersion,
		GitCommit:        meta.GitCommit,
		Organization:     RecordOrg{ID: p.Organization.ID, Name: p.Organization.Name},
		ConfigFiles:      nonNil(meta.ConfigFiles),
		ConfigDigest:     meta.ConfigDigest,
		PlanDigest:       meta.PlanDigest,
		PlanFile:         meta.PlanFile,
		PlanFileDigest:   meta.PlanFileDigest,
		LiveFingerprint:  meta.LiveFingerprint,
		Changes:          []RecordChange{},
		Verification:     meta.Verification,
	}
	r.Verification.Remaining = nonNil(r.Verification.Remaining)
	if res == nil {
		return r
	}
	r.Summary.OK, r.Summary.Failed, r.Summary.Skipped = res.Counts()
	for _, cr := range res.Changes {
		c := cr.Change
		rc := RecordChange{
			Address:        c.Address,
			Action:         c.Action.String(),
			Kind:           string(c.Kind),
			Effect:         c.Effect.String(),
			Reason:         c.Reason,
			TrusteeID:      c.TrusteeID,
			TrustorID:      c.TrustorID,
			UserID:         c.UserID,
			Status:         cr.Status.String(),
			DurationMS:     cr.Duration.Milliseconds(),
			Attempts:       cr.Attempts,
			CorrelationIDs: nonNil(cr.CorrelationIDs),
			Notes:          nonNil(cr.Notes),
		}
		if cr.Err != nil {
			rc.Error = cr.Err.Error()
		}
		r.Changes = append(r.Changes, rc)
	}
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteFile writes the record to path atomically: a temporary file in the
// same directory, synced, then renamed over path, so a reader never sees a
// partial record.
func (r *Record) WriteFile(path string) (err error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write apply record %s: %w", path, err)
	}
	data = append(data, '\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write apply record: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write apply record %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write apply record %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write apply record %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write apply record %s: %w", path, err)
	}
	return nil
}
