package apply

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/trustsync/trustsync/internal/atomicfile"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/planjson"
	"github.com/trustsync/trustsync/internal/version"
)

// RecordVersion is the version of the apply record format (docs/apply.md).
// "2" added complete, the unknown and pending statuses and their counts.
const RecordVersion = "2"

// StatusPending is the status a record gives a change that had not ended
// when the record was written; a complete record has none.
const StatusPending = "pending"

// Record is the JSON apply record written by `trustsync apply --record`, for
// access reviews: what was applied, from which configuration, how each
// change ended, and whether live state matched the configuration afterwards.
// docs/apply.md describes every field.
type Record struct {
	RecordVersion    string    `json:"record_version"`
	Time             time.Time `json:"time"`
	DurationMS       int64     `json:"duration_ms"`
	TrustsyncVersion string    `json:"trustsync_version"`
	// Trustsync is the build that applied: version, commit, Go version.
	Trustsync version.Info `json:"trustsync"`
	// GitCommit is the commit checked out where apply ran; empty (and
	// omitted) outside a git repository.
	GitCommit    string    `json:"git_commit,omitempty"`
	Organization RecordOrg `json:"organization"`
	ConfigFiles  []string  `json:"config_files"`
	ConfigDigest string    `json:"config_digest"`
	PlanDigest   string    `json:"plan_digest"`
	// PlanFile and PlanFileDigest are set when a saved plan was applied.
	PlanFile        string `json:"plan_file,omitempty"`
	PlanFileDigest  string `json:"plan_file_digest,omitempty"`
	LiveFingerprint string `json:"live_fingerprint"`
	// Complete is false while apply is still running: the record is
	// written before the first write and again as changes end, so a crash
	// leaves the record of what was done so far. Changes it had not seen
	// end are pending, and verification has not run.
	Complete bool `json:"complete"`
	// Interrupted is set when the run was stopped by a signal.
	Interrupted  bool           `json:"interrupted"`
	Summary      RecordSummary  `json:"summary"`
	Changes      []RecordChange `json:"changes"`
	Verification Verification   `json:"verification"`
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
	Unknown int `json:"unknown"`
	Pending int `json:"pending"`
}

// RecordChange is one change and how it ended.
//
// Its description of the change is the JSON plan's wire form of it
// (planjson.Change: key, action, kind, address, ids, before and after,
// effect, reason, dependencies); the members after it are apply's.
type RecordChange struct {
	planjson.Change
	// Status is ok, failed, skipped or unknown ([Status]), or pending.
	Status     string `json:"status"`
	DurationMS int64  `json:"duration_ms"`
	Attempts   int    `json:"attempts"`
	// CorrelationIDs are the correlation ids of every API answer behind
	// the change, writes (each attempt) and read-backs, successes and
	// errors, in the order the answers arrived; empty for a skipped
	// change. See [ChangeResult.CorrelationIDs].
	CorrelationIDs []string `json:"correlation_ids"`
	Notes          []string `json:"notes"`
	// Error is why the change failed or was skipped, or, for unknown,
	// what the read-back showed; empty for ok and pending.
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
	Build            version.Info
	GitCommit        string
	ConfigFiles      []string
	ConfigDigest     string
	PlanDigest       string
	PlanFile         string
	PlanFileDigest   string
	LiveFingerprint  string
	Verification     Verification
	// Complete and Interrupted are copied to the record.
	Complete    bool
	Interrupted bool
}

// NewRecord builds the record of applying p. ended holds the results of the
// changes that have ended so far (by [ChangeResult.Index]; all of them once
// the run is over, none when nothing ran); every other change of p is
// pending.
func NewRecord(p *plan.Plan, ended []ChangeResult, meta RecordMeta) *Record {
	r := &Record{
		RecordVersion:    RecordVersion,
		Time:             meta.Start.UTC(),
		DurationMS:       time.Since(meta.Start).Milliseconds(),
		TrustsyncVersion: meta.TrustsyncVersion,
		Trustsync:        meta.Build,
		GitCommit:        meta.GitCommit,
		Organization:     RecordOrg{ID: p.Organization.ID, Name: p.Organization.Name},
		ConfigFiles:      nonNil(meta.ConfigFiles),
		ConfigDigest:     meta.ConfigDigest,
		PlanDigest:       meta.PlanDigest,
		PlanFile:         meta.PlanFile,
		PlanFileDigest:   meta.PlanFileDigest,
		LiveFingerprint:  meta.LiveFingerprint,
		Complete:         meta.Complete,
		Interrupted:      meta.Interrupted,
		Changes:          make([]RecordChange, 0, len(p.Changes)),
		Verification:     meta.Verification,
	}
	r.Verification.Remaining = nonNil(r.Verification.Remaining)
	byIndex := make(map[int]ChangeResult, len(ended))
	for _, cr := range ended {
		byIndex[cr.Index] = cr
	}
	for i, c := range p.Changes {
		rc := RecordChange{
			Change:         planjson.NewChange(c),
			Status:         StatusPending,
			CorrelationIDs: []string{},
			Notes:          []string{},
		}
		cr, ok := byIndex[i]
		if !ok {
			r.Summary.Pending++
			r.Changes = append(r.Changes, rc)
			continue
		}
		rc.Status = cr.Status.String()
		rc.DurationMS = cr.Duration.Milliseconds()
		rc.Attempts = cr.Attempts
		rc.CorrelationIDs = nonNil(cr.CorrelationIDs)
		rc.Notes = nonNil(cr.Notes)
		if cr.Err != nil {
			rc.Error = cr.Err.Error()
		}
		switch cr.Status {
		case StatusOK:
			r.Summary.OK++
		case StatusFailed:
			r.Summary.Failed++
		case StatusUnknown:
			r.Summary.Unknown++
		default:
			r.Summary.Skipped++
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

// WriteFile writes the record to path atomically ([atomicfile.WriteFile]),
// so a reader, or a crash, never leaves a partial record.
func (r *Record) WriteFile(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write apply record %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, 0o600, data, []byte("\n")); err != nil {
		return fmt.Errorf("write apply record %s: %w", path, err)
	}
	return nil
}
