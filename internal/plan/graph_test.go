package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLink(t *testing.T) {
	const tr, u1, u2 = "T0000000-0000-4000-8000-000000000001", "u1", "u2"
	cs := []Change{
		{Kind: KindTrusteeUser, Action: Delete, TrusteeID: "old", UserID: u1, Effect: Narrow},
		{Kind: KindTrusteeUserRoles, Action: Update, TrusteeID: tr, UserID: u2, Effect: Narrow},
		{Kind: KindTrustee, Action: Update, TrusteeID: tr, Effect: Narrow},
		{Kind: KindTrustee, Action: Delete, TrusteeID: "old", Effect: Narrow},
		{Kind: KindTrustee, Action: Create, TrusteeID: "new", Effect: Widen},
		{Kind: KindTrusteeUser, Action: Create, TrusteeID: "new", UserID: u1, Effect: Widen},
		{Kind: KindTrusteeUserRoles, Action: Update, TrusteeID: tr, UserID: u2, Effect: Widen},
		{Kind: KindTrustee, Action: Update, TrusteeID: tr, Effect: Widen},
		{Kind: KindTrustorUser, Action: Create, TrustorID: "x", UserID: u1, Effect: Widen},
	}
	Link(cs)
	type edge struct{ Key, Deps, Reqs string }
	var got []edge
	for _, c := range cs {
		got = append(got, edge{c.Key, strings.Join(c.DependsOn, ","), strings.Join(c.Requires, ",")})
	}
	trl := strings.ToLower(tr)
	want := []edge{
		{"trustee_user/old/u1", "", ""},
		{"trustee_user_roles/" + trl + "/u2#narrow", "", ""},
		{"trustee/" + trl + "#narrow", "", ""},
		{"trustee/old", "trustee_user/old/u1", ""},
		{"trustee/new", "", ""},
		{"trustee_user/new/u1", "trustee/new", "trustee/new"},
		{"trustee_user_roles/" + trl + "/u2#widen", "trustee_user_roles/" + trl + "/u2#narrow", "trustee_user_roles/" + trl + "/u2#narrow"},
		{"trustee/" + trl + "#widen", "trustee/" + trl + "#narrow", "trustee/" + trl + "#narrow"},
		{"trustor_user/x/u1", "", ""},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("link (-want +got):\n%s", d)
	}
	if err := CheckGraph(cs); err != nil {
		t.Fatalf("CheckGraph of a linked plan: %v", err)
	}
}

// TestLinkGroups: group kinds have their own keys (by group id), a group's
// role change requires the group's addition, the widening half of a split
// role change requires its narrowing half, and a deleted trust depends on
// its groups' changes.
func TestLinkGroups(t *testing.T) {
	const g1, g2 = "G1", "g2"
	cs := []Change{
		{Kind: KindTrusteeGroup, Action: Delete, TrusteeID: "old", GroupID: g1, Effect: Narrow},
		{Kind: KindTrusteeGroupRoles, Action: Update, TrusteeID: "t", GroupID: g2, Effect: Narrow},
		{Kind: KindTrustorGroup, Action: Delete, TrustorID: "x", GroupID: g1, Effect: Narrow},
		{Kind: KindTrustee, Action: Delete, TrusteeID: "old", Effect: Narrow},
		{Kind: KindTrustor, Action: Delete, TrustorID: "x", Effect: Narrow},
		{Kind: KindTrusteeGroup, Action: Create, TrusteeID: "t", GroupID: g1, Effect: Widen},
		{Kind: KindTrusteeGroupRoles, Action: Update, TrusteeID: "t", GroupID: g1, Effect: Widen},
		{Kind: KindTrusteeGroupRoles, Action: Update, TrusteeID: "t", GroupID: g2, Effect: Widen},
	}
	Link(cs)
	type edge struct{ Key, Deps, Reqs string }
	var got []edge
	for _, c := range cs {
		got = append(got, edge{c.Key, strings.Join(c.DependsOn, ","), strings.Join(c.Requires, ",")})
	}
	want := []edge{
		{"trustee_group/old/g1", "", ""},
		{"trustee_group_roles/t/g2#narrow", "", ""},
		{"trustor_group/x/g1", "", ""},
		{"trustee/old", "trustee_group/old/g1", ""},
		{"trustor/x", "trustor_group/x/g1", ""},
		{"trustee_group/t/g1", "", ""},
		{"trustee_group_roles/t/g1", "trustee_group/t/g1", "trustee_group/t/g1"},
		{"trustee_group_roles/t/g2#widen", "trustee_group_roles/t/g2#narrow", "trustee_group_roles/t/g2#narrow"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("link (-want +got):\n%s", d)
	}
	if err := CheckGraph(cs); err != nil {
		t.Fatalf("CheckGraph of a linked plan: %v", err)
	}
}

func TestCheckGraph(t *testing.T) {
	narrow := func(key string, deps ...string) Change {
		return Change{Key: key, Effect: Narrow, DependsOn: deps}
	}
	widen := func(key string, deps ...string) Change {
		return Change{Key: key, Effect: Widen, DependsOn: deps}
	}
	tests := []struct {
		name    string
		changes []Change
		want    string // substring of the error; "" for none
	}{
		{"ok", []Change{narrow("a"), widen("b", "a")}, ""},
		{"no key", []Change{{Effect: Narrow}}, "has no key"},
		{"duplicate key", []Change{narrow("a"), narrow("a")}, "same key"},
		{"unknown dependency", []Change{narrow("a", "zz")}, "not in the plan"},
		{"cycle", []Change{narrow("a", "b"), narrow("b", "a")}, "does not come before it"},
		{"self", []Change{narrow("a", "a")}, "does not come before it"},
		{"narrow after widen", []Change{widen("w"), narrow("n", "w")}, `narrow change "n" depends on widen change "w"`},
		{"requires without depending", []Change{narrow("a"), {Key: "b", Effect: Narrow, Requires: []string{"a"}}}, "does not depend on it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckGraph(tt.changes)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("CheckGraph: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("CheckGraph error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
