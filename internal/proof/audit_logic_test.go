package proof

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// Ids for the harness's own tests.
const (
	orgA  = "a0000001-0000-4000-8000-000000000000"
	orgB  = "a0000002-0000-4000-8000-000000000000"
	userU = "b0000002-0000-4000-8000-000000000001"
	roleX = "c0000001-0000-4000-8000-000000000001"
	roleY = "c0000001-0000-4000-8000-000000000002"
	roleZ = "c0000001-0000-4000-8000-000000000003"
)

var (
	june = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	july = time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)
	aug  = time.Date(2027, 8, 1, 0, 0, 0, 0, time.UTC)
)

// one is an access holding the trust from orgA to orgB alone.
func one(enabled bool, expires time.Time, roles ...string) access {
	return access{{orgA, orgB}: {Enabled: enabled, Expires: expires, Users: map[string][]string{userU: sortedRoles(roles)}}}
}

func TestBoundViolations(t *testing.T) {
	old, want := one(true, july, roleX), one(true, june, roleY)
	tests := []struct {
		name string
		a    access
		want []string
	}{
		{"the old state", old, nil},
		{"the new state", want, nil},
		{"old and new roles at once", one(true, june, roleX, roleY), nil},
		{"a role neither grants", one(true, june, roleZ), []string{"grant " + grant{trustKey{orgA, orgB}, userU, roleZ}.String()}},
		{"a later expiry than both", one(true, aug), []string{"trust " + trustKey{orgA, orgB}.String() + " enabled until " + aug.String()}},
		{"no expiry", one(true, time.Time{}), []string{"trust " + trustKey{orgA, orgB}.String() + " enabled until " + time.Time{}.String()}},
		{"disabled, any expiry", one(false, aug), nil},
		{"no trust", access{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, boundViolations(tt.a, old, want)); diff != "" {
				t.Errorf("boundViolations (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("enabled when neither state enables it", func(t *testing.T) {
		got := boundViolations(one(true, june), one(false, june), one(false, june))
		if !slices.Equal(got, []string{"trust " + trustKey{orgA, orgB}.String() + " enabled"}) {
			t.Errorf("got %q", got)
		}
	})
}

func TestMoves(t *testing.T) {
	tests := []struct {
		name          string
		before, after access
		widen, narrow bool
	}{
		{"same", one(true, june, roleX), one(true, june, roleX), false, false},
		{"role added", one(true, june, roleX), one(true, june, roleX, roleY), true, false},
		{"role removed", one(true, june, roleX, roleY), one(true, june, roleX), false, true},
		{"role swapped", one(true, june, roleX), one(true, june, roleY), true, true},
		{"enabled", one(false, june), one(true, june), true, false},
		{"disabled", one(true, june), one(false, june), false, true},
		{"expiry later", one(true, june), one(true, july), true, false},
		{"expiry earlier", one(true, july), one(true, june), false, true},
		{"expiry removed", one(true, july), one(true, time.Time{}), true, false},
		{"expiry set", one(true, time.Time{}), one(true, july), false, true},
		{"expiry of a disabled trust", one(false, june), one(false, july), false, false},
		{"trust created", access{}, one(false, june), true, false},
		{"trust deleted", one(false, june), access{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, n := moves(tt.before, tt.after)
			if w != tt.widen || n != tt.narrow {
				t.Errorf("moves = widen %v, narrow %v; want %v, %v", w, n, tt.widen, tt.narrow)
			}
		})
	}
}

func TestReplay(t *testing.T) {
	ctx := map[string]string{"trustorOrgId": orgA, "trusteeOrgId": orgB}
	userCtx := map[string]string{"trustorOrgId": orgA, "trusteeOrgId": orgB, "userId": userU}
	pc := func(p string, old, new []string) sandbox.PropertyChange {
		return sandbox.PropertyChange{Property: p, OldValues: old, NewValues: new}
	}
	log := []sandbox.AuditLogMessage{
		{Action: "CREATE", EntityType: "ORG_TRUSTEE", Context: ctx, PropertyChanges: []sandbox.PropertyChange{
			pc("enabled", nil, []string{"true"}), pc("dateExpired", nil, []string{"2027-07-01T00:00:00.000Z"})}},
		{Action: "CREATE", EntityType: "ORG_TRUSTEE_USER", Context: userCtx, PropertyChanges: []sandbox.PropertyChange{
			pc("roleIds", nil, []string{roleY, roleX})}},
		{Action: "UPDATE", EntityType: "ORG_TRUSTEE_USER_ROLES", Context: userCtx, PropertyChanges: []sandbox.PropertyChange{
			pc("roleIds", []string{roleX, roleY}, []string{roleX})}},
		{Action: "UPDATE", EntityType: "ORG_TRUSTEE", Context: ctx, PropertyChanges: []sandbox.PropertyChange{
			pc("dateExpired", []string{"2027-07-01T00:00:00.000Z"}, []string{"2027-06-01T00:00:00.000Z"})}},
		{Action: "DELETE", EntityType: "ORG_TRUSTEE_USER_ROLES", Context: userCtx, PropertyChanges: []sandbox.PropertyChange{
			pc("roleIds", []string{roleX}, nil)}},
		{Action: "DELETE", EntityType: "ORG_TRUSTEE", Context: ctx},
	}
	steps, err := replayAll(access{}, log, 10)
	if err != nil {
		t.Fatal(err)
	}
	empty := access{{orgA, orgB}: {Enabled: true, Expires: july, Users: map[string][]string{}}}
	want := []access{empty, one(true, july, roleX, roleY), one(true, july, roleX), one(true, june, roleX), one(true, june), {}}
	wantMoves := [][2]bool{{true, false}, {true, false}, {false, true}, {false, true}, {false, true}, {false, true}}
	for i, st := range steps {
		if st.index != 10+i {
			t.Errorf("step %d: index %d", i, st.index)
		}
		if diff := cmp.Diff(want[i].String(), st.after.String()); diff != "" {
			t.Errorf("after entry %d (-want +got):\n%s", i, diff)
		}
		if [2]bool{st.widen, st.narrow} != wantMoves[i] {
			t.Errorf("entry %d: widen, narrow = %v, %v; want %v", i, st.widen, st.narrow, wantMoves[i])
		}
	}
	if _, err := replayAll(access{}, log[1:2], 0); err == nil {
		t.Error("an entry about a trust that does not exist was replayed")
	}
}

func TestGroupEntries(t *testing.T) {
	const group = "d0000002-0000-4000-8000-000000000001"
	m := sandbox.AuditLogMessage{Action: "CREATE", EntityType: "ORG_TRUSTEE_GROUP",
		Context:         map[string]string{"trustorOrgId": orgA, "trusteeOrgId": orgB, "groupId": group},
		PropertyChanges: []sandbox.PropertyChange{{Property: "roleIds", NewValues: []string{roleX}}}}
	a := one(true, june)
	if err := a.replay(m); err != nil {
		t.Fatal(err)
	}
	if got := a[trustKey{orgA, orgB}].Users[groupKey(group)]; !slices.Equal(got, []string{roleX}) {
		t.Errorf("the group holds %q, want [%s]", got, roleX)
	}
	p := &plan.Plan{Changes: []plan.Change{{Action: plan.Update, Kind: plan.KindTrustee, TrusteeID: orgB, TrustorID: orgA}}}
	if covered(p, m) {
		t.Error("a group entry counts as covered by a change to its trust")
	}
	p.Changes = append(p.Changes, plan.Change{Action: plan.Create, Kind: plan.KindTrusteeGroup, TrusteeID: orgB, TrustorID: orgA, GroupID: userU})
	if covered(p, m) {
		t.Error("a group entry counts as covered by a change to another group")
	}
	p.Changes = append(p.Changes, plan.Change{Action: plan.Create, Kind: plan.KindTrusteeGroup, TrusteeID: orgB, TrustorID: orgA, GroupID: group})
	if !covered(p, m) {
		t.Error("a group entry is not covered by the change that adds the group")
	}
	created := &plan.Plan{Changes: []plan.Change{{Action: plan.Create, Kind: plan.KindTrustee, TrusteeID: orgB, TrustorID: orgA,
		After: &plan.Value{Groups: []plan.Group{{ID: group}}}}}}
	if !covered(created, m) {
		t.Error("a group entry is not covered by the creation of a trust that lists the group")
	}
	// A group grant beyond both states is an access violation, as a
	// user's is.
	grown := one(true, june)
	grown[trustKey{orgA, orgB}].Users[groupKey(group)] = []string{roleZ}
	old, want := one(true, june), one(true, june)
	want[trustKey{orgA, orgB}].Users[groupKey(group)] = []string{roleX}
	if v := boundViolations(grown, old, want); len(v) != 1 || !strings.Contains(v[0], "role "+roleZ) {
		t.Errorf("boundViolations of a group's extra role = %q", v)
	}
}
