package apply_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustsync/trustsync/internal/apply"
	"github.com/trustsync/trustsync/internal/plan"
)

func TestRecord(t *testing.T) {
	p := &plan.Plan{
		Organization: plan.Org{ID: northwind, Name: "Northwind Insurance"},
		Changes: []plan.Change{
			{Action: plan.Delete, Kind: plan.KindTrusteeUser, Address: "trustee[B].user[Ben]", TrusteeID: bluebird, TrustorID: northwind, UserID: benBaker, Effect: plan.Narrow, Reason: "not in configuration"},
			{Action: plan.Create, Kind: plan.KindTrustorUser, Address: "trustor[C].user[Priya]", TrusteeID: northwind, TrustorID: copperfield, UserID: priyaPatel, Effect: plan.Widen, Reason: "in configuration, not live"},
		},
	}
	res := &apply.Result{Changes: []apply.ChangeResult{
		{Index: 0, Change: p.Changes[0], Status: apply.StatusFailed, Err: errors.New("remove user: 403 Forbidden [correlation id c-1]"),
			Duration: 1500 * time.Millisecond, Attempts: 1, CorrelationIDs: []string{"c-1"}},
		{Index: 1, Change: p.Changes[1], Status: apply.StatusSkipped, Err: errors.New("a narrowing change did not succeed, so no widening change runs")},
	}}
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	rec := apply.NewRecord(p, res, apply.RecordMeta{
		Start: start, TrustsyncVersion: "1.2.3", GitCommit: "abc123",
		ConfigFiles: []string{"trusts.yaml"}, ConfigDigest: "cd", PlanDigest: "pd", LiveFingerprint: "lf",
		Verification: apply.Verification{Ran: true, Remaining: []string{"trustee[B].user[Ben]"}},
	})
	path := filepath.Join(t.TempDir(), "record.json")
	if err := rec.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("record is not JSON: %v", err)
	}
	delete(got, "duration_ms") // wall time since start
	want := map[string]any{
		"record_version":    "1",
		"time":              "2026-03-01T09:00:00Z",
		"trustsync_version": "1.2.3",
		"git_commit":        "abc123",
		"organization":      map[string]any{"id": northwind, "name": "Northwind Insurance"},
		"config_files":      []any{"trusts.yaml"},
		"config_digest":     "cd",
		"plan_digest":       "pd",
		"live_fingerprint":  "lf",
		"summary":           map[string]any{"ok": 0.0, "failed": 1.0, "skipped": 1.0},
		"changes": []any{
			map[string]any{
				"address": "trustee[B].user[Ben]", "action": "delete", "kind": "trustee_user", "effect": "narrow",
				"reason": "not in configuration", "trustee_id": bluebird, "trustor_id": northwind, "user_id": benBaker,
				"status": "failed", "duration_ms": 1500.0, "attempts": 1.0, "correlation_ids": []any{"c-1"}, "notes": []any{},
				"error": "remove user: 403 Forbidden [correlation id c-1]",
			},
			map[string]any{
				"address": "trustor[C].user[Priya]", "action": "create", "kind": "trustor_user", "effect": "widen",
				"reason": "in configuration, not live", "trustee_id": northwind, "trustor_id": copperfield, "user_id": priyaPatel,
				"status": "skipped", "duration_ms": 0.0, "attempts": 0.0, "correlation_ids": []any{}, "notes": []any{},
				"error": "a narrowing change did not succeed, so no widening change runs",
			},
		},
		"verification": map[string]any{"ran": true, "clean": false, "remaining": []any{"trustee[B].user[Ben]"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}

	// Nothing to apply: an empty, clean record; no temporary files left.
	rec = apply.NewRecord(p, nil, apply.RecordMeta{Start: start, Verification: apply.Verification{Ran: true, Clean: true}})
	if err := rec.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if rec.Changes == nil || len(rec.Changes) != 0 || rec.Verification.Remaining == nil || rec.GitCommit != "" {
		t.Errorf("empty record: %+v", rec)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after two writes, want just the record", len(entries))
	}
	if err := rec.WriteFile(filepath.Join(t.TempDir(), "missing", "record.json")); err == nil {
		t.Error("writing into a missing directory did not fail")
	}
}
