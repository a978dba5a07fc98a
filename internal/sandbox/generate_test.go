package sandbox

import (
	"bytes"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestParseGenerateSpec(t *testing.T) {
	spec, err := ParseGenerateSpec("trustees=3,users=4,trustors=2,roles=5,groups=1,seed=9")
	if err != nil {
		t.Fatal(err)
	}
	if want := (GenerateSpec{Trustees: 3, Users: 4, Trustors: 2, Roles: 5, Groups: 1, Seed: 9}); spec != want {
		t.Errorf("spec = %+v", spec)
	}
	for _, tc := range []struct{ in, want string }{
		{"trustees=1,users=1,trustors=1", "roles= is required"},
		{"trustees=1,users=1,trustors=1,roles=0", "roles must be from 1"},
		{"trustees=1,users=x,trustors=1,roles=1", "users=x is not a whole number"},
		{"trustees=1,users=1,trustors=1,roles=1,trustes=2", `unknown key "trustes"; did you mean "trustees"?`},
		{"trustees=1,trustees=2,users=1,trustors=1,roles=1", "trustees is given twice"},
		{"trustees=20000,users=1,trustors=1,roles=1", "at most 10000"},
		{"nonsense", `"nonsense" is not KEY=VALUE`},
	} {
		if _, err := ParseGenerateSpec(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestGenerate(t *testing.T) {
	spec := GenerateSpec{Trustees: 4, Users: 6, Trustors: 3, Roles: 5, Groups: 2, Seed: 1}
	fx, err := Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Generate(spec)
	if !reflect.DeepEqual(fx.Orgs, again.Orgs) || !reflect.DeepEqual(fx.Trusts, again.Trusts) {
		t.Error("Generate is not deterministic")
	}
	other, _ := Generate(GenerateSpec{Trustees: 4, Users: 6, Trustors: 3, Roles: 5, Groups: 2, Seed: 2})
	if reflect.DeepEqual(fx.Trusts, other.Trusts) {
		t.Error("the seed changes nothing")
	}
	if len(fx.Orgs) != 8 || fx.Orgs[0].Name != "Home Org" || len(fx.Orgs[0].Roles) != 5 || len(fx.Trusts) != 7 {
		t.Fatalf("orgs %d, trusts %d, home %+v", len(fx.Orgs), len(fx.Trusts), fx.Orgs[0].Name)
	}
	h := newHarness(t, fx, Options{})
	var tr tokenResponse
	h.tokenRequest("home-client", "generated-secret-home-NOT-A-REAL-SECRET", "client_credentials").want(t, http.StatusOK).decode(t, &tr)
	home := tr.AccessToken
	if l := h.list(home, oa+"/trustees"); l.Total != 4 {
		t.Errorf("trustees = %d", l.Total)
	}
	if l := h.list(home, oa+"/trustors"); l.Total != 3 {
		t.Errorf("trustors = %d", l.Total)
	}
	first := fx.Trusts[0].Trustee
	if l := h.list(home, oa+"/trustees/"+first+"/users"); l.Total != 6 {
		t.Errorf("trust users = %d", l.Total)
	}
	if l := h.list(home, oa+"/trustees/"+first+"/groups"); l.Total != 2 || l.Entities[0]["memberCount"] != 3.0 {
		t.Errorf("trust groups = %v", l.Entities)
	}
}

func TestWriteDesiredState(t *testing.T) {
	fx, err := Generate(GenerateSpec{Trustees: 40, Users: 25, Trustors: 10, Roles: 8, Groups: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := WriteDesiredState(&a, fx, 7); err != nil {
		t.Fatal(err)
	}
	if err := WriteDesiredState(&b, fx, 7); err != nil || a.String() != b.String() {
		t.Fatal("WriteDesiredState is not deterministic")
	}
	var doc dsFile
	if err := yaml.Unmarshal(a.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 || doc.Organization.ID != fx.Orgs[0].ID || len(doc.Trustees) != 40 || len(doc.Trustors) != 10 {
		t.Fatalf("document: version %d, org %+v, %d trustees, %d trustors", doc.Version, doc.Organization, len(doc.Trustees), len(doc.Trustors))
	}
	// Count how the document differs from the fixture.
	roleName := map[string]string{}
	for _, r := range fx.Orgs[0].Roles {
		roleName[r.ID] = r.Name
	}
	objects, diffs := 0, 0
	kinds := map[string]int{}
	for i, e := range doc.Trustees {
		t0 := fx.Trusts[i]
		objects++
		if e.ID != t0.Trustee || len(e.Users) == 0 {
			t.Fatalf("trustee %d = %+v", i, e)
		}
		if n := len(e.Users); n > DefaultMaxUsersPerTrust {
			t.Errorf("trustee %d has %d users, over the limit of %d a desired state may name", i, n, DefaultMaxUsersPerTrust)
		}
		if e.Expires != t0.DateExpired {
			diffs++
			kinds["expiry"]++
		}
		live := map[string][]string{}
		for _, u := range t0.Users {
			objects++
			names := []string{}
			for _, r := range u.Roles {
				names = append(names, roleName[r])
			}
			live[u.ID] = names
		}
		seen := 0
		for _, u := range e.Users {
			want, ok := live[u.ID]
			switch {
			case !ok:
				diffs++
				kinds["add"]++
			case !reflect.DeepEqual(want, u.Roles):
				diffs++
				seen++
				kinds["roles"]++
			default:
				seen++
			}
		}
		diffs += len(live) - seen
		kinds["remove"] += len(live) - seen
	}
	share := float64(diffs) / float64(objects)
	if share < 0.02 || share > 0.09 {
		t.Errorf("%d of %d objects differ (%.1f%%), want about 5%%", diffs, objects, share*100)
	}
	for _, k := range []string{"expiry", "add", "roles", "remove"} {
		if kinds[k] == 0 {
			t.Errorf("no %s changes: %v", k, kinds)
		}
	}
}
