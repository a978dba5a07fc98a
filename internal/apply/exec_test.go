package apply

import (
	"context"
	"errors"
	"testing"
)

// TestAfterCutWrite: a write a graceful stop cut off while it was being
// sent ends as the read-back shows it: ok when in effect, skipped as
// interrupted when evidently not, unknown when the read-back fails, and
// failed when live state is something else.
func TestAfterCutWrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state liveState
		err   error
		want  Status
	}{
		{"in effect", stateDone, nil, StatusOK},
		{"did not happen", stateNotDone, nil, StatusSkipped},
		{"read-back failed", 0, errors.New("503"), StatusUnknown},
		{"something else", stateConflict, nil, StatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &execution{}
			s := step{check: func(context.Context) (liveState, string, error) { return tc.state, "differs", tc.err }}
			st, err := e.afterCutWrite(context.Background(), s)
			if st != tc.want {
				t.Fatalf("status %s (%v), want %s", st, err, tc.want)
			}
			if st != StatusOK && err == nil {
				t.Errorf("%s without a reason", st)
			}
			if st == StatusSkipped && !errors.Is(err, ErrInterrupted) {
				t.Errorf("skipped for %v, want ErrInterrupted", err)
			}
			if len(e.notes) != 1 {
				t.Errorf("notes %q, want one saying what the read-back showed", e.notes)
			}
		})
	}
}
