package live_test

import (
	"context"
	"testing"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// TestReadThen: Scope.Then sees the trusts read, sorted, and what it
// returns is read in a second phase, together with the scope's own checks;
// org and roles are not read again.
func TestReadThen(t *testing.T) {
	sb, url := serveSandbox(t, sandbox.DemoFixture(), sandbox.Options{})
	c := clientOf(t, url, sb.Orgs()[0])
	ctx := context.Background()
	pr, err := clientOf(t, url, sb.Orgs()[2]).CreatePairing(ctx, client.TrustRequestCreate{UserIDs: []string{coraID}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{API: c}
	var seen []string
	st, err := live.Read(ctx, rec, live.Scope{
		Trustees:   true,
		OwnUserIDs: []string{nadiaID},
		Then: func(st *live.State) live.Checks {
			for _, tr := range st.Trustees {
				seen = append(seen, tr.OrgID)
			}
			return live.Checks{PairingIDs: []string{pr.ID}, OwnUserIDs: []string{priyaID}}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0] != "b0000000-0000-4000-8000-000000000002" {
		t.Errorf("Then saw trustees %v, want Bluebird's and Customer Care's, sorted", seen)
	}
	if len(st.Pairings) != 1 || !st.Pairings[0].Exists || st.Pairings[0].TrusteeOrg.ID != copperID {
		t.Errorf("pairings = %+v, want Copperfield's", st.Pairings)
	}
	if !st.OwnUsersRead || len(st.OwnUsers) != 2 {
		t.Errorf("own users read %t: %+v, want Nadia and Priya", st.OwnUsersRead, st.OwnUsers)
	}
	for name, want := range map[string]int{"me": 1, "roles": 1, "pairing": 1, "users by id": 1} {
		if n := rec.count(name); n != want {
			t.Errorf("%d %q requests, want %d", n, name, want)
		}
	}
}
