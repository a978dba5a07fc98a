package live

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestFingerprintCanonical(t *testing.T) {
	exp := time.Date(2027, 6, 30, 2, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	a := &State{
		Org:          Org{ID: "o", Name: "Org"},
		Roles:        []Role{{ID: "r2", Name: "B"}, {ID: "r1", Name: "A"}},
		CareOrgIDs:   []string{"z", "y"},
		TrusteesRead: true,
		Trustees: []Trustee{
			{OrgID: "t2", Expires: &exp, Users: []TrusteeUser{{ID: "u2", RoleIDs: []string{"r2", "r1"}}, {ID: "u1"}}},
			{OrgID: "t1", Enabled: true},
		},
		TrustorsRead: true,
		Trustors:     []Trustor{{OrgID: "s2", Users: []User{{ID: "v2"}, {ID: "v1"}}}, {OrgID: "s1"}},
	}
	utc := exp.UTC()
	b := &State{
		Org:          Org{ID: "o", Name: "Org"},
		Roles:        []Role{{ID: "r1", Name: "A"}, {ID: "r2", Name: "B"}},
		CareOrgIDs:   []string{"y", "z"},
		TrusteesRead: true,
		Trustees: []Trustee{
			{OrgID: "t1", Enabled: true, Users: []TrusteeUser{}},
			{OrgID: "t2", Expires: &utc, Users: []TrusteeUser{{ID: "u1", RoleIDs: []string{}}, {ID: "u2", RoleIDs: []string{"r1", "r2"}}}},
		},
		TrustorsRead: true,
		Trustors:     []Trustor{{OrgID: "s1", Users: []User{}}, {OrgID: "s2", Users: []User{{ID: "v1"}, {ID: "v2"}}}},
	}
	fa := a.Fingerprint()
	if fa != b.Fingerprint() {
		t.Error("equal states in different order have different fingerprints")
	}
	if len(fa) != 64 {
		t.Errorf("fingerprint %q is not sha256 hex", fa)
	}
	// Fingerprint does not modify the state.
	if a.Trustees[0].OrgID != "t2" || a.Roles[0].ID != "r2" || a.Trustees[0].Users[0].RoleIDs[0] != "r2" {
		t.Error("Fingerprint reordered its receiver")
	}
	for name, mutate := range map[string]func(s *State){
		"role renamed":     func(s *State) { s.Roles[0].Name = "C" },
		"trust disabled":   func(s *State) { s.Trustees[0].Enabled = false },
		"expiry moved":     func(s *State) { e := utc.Add(time.Hour); s.Trustees[0].Expires = &e },
		"user role added":  func(s *State) { s.Trustees[1].Users[0].RoleIDs = []string{"r1"} },
		"trustor user cut": func(s *State) { s.Trustors[1].Users = s.Trustors[1].Users[:1] },
		"section unread":   func(s *State) { s.TrustorsRead = false },
	} {
		c := b.clone()
		mutate(c)
		if c.Fingerprint() == fa {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}
}

// TestCanonicalIsMarshal: the JSON the fingerprint hashes, written piece
// by piece, is byte for byte json.Marshal of the normalised state, for
// states with and without each optional part.
func TestCanonicalIsMarshal(t *testing.T) {
	exp := time.Date(2027, 6, 30, 2, 0, 0, 0, time.UTC)
	full := &State{
		Org:               Org{ID: "o", Name: "Org <&>"},
		Roles:             []Role{{ID: "r1", Name: "A \"quoted\""}},
		CareOrgIDs:        []string{"c"},
		TrusteesRead:      true,
		TrusteeGroupsRead: true,
		Trustees: []Trustee{
			{OrgID: "t1", OrgName: "T é", Enabled: true, Expires: &exp, HasFullAccess: true, IsTrustedUser: true,
				Users:  []TrusteeUser{{ID: "u1", Name: "U", RoleIDs: []string{"r1"}}},
				Groups: []TrusteeGroup{{ID: "g1", Name: "G", MemberCount: new(int64(3)), RoleIDs: []string{"r1"}}}},
			{OrgID: "t2"},
		},
		TrustorsRead:      true,
		TrustorGroupsRead: true,
		Trustors:          []Trustor{{OrgID: "s1", Users: []User{{ID: "v1"}}, Groups: []Group{{ID: "g2"}}}},
		Pairings:          []Pairing{{ID: "p1", Exists: true, DateCreated: &exp, Users: []User{{ID: "v1"}}}},
		OwnUsersRead:      true,
		OwnUsers:          []User{{ID: "w1", Name: "W"}},
	}
	for name, s := range map[string]*State{
		"full":          full,
		"empty":         {Org: Org{ID: "o"}},
		"trustees only": {Org: Org{ID: "o"}, TrusteesRead: true, Trustees: []Trustee{{OrgID: "t1", Users: []TrusteeUser{{ID: "u1"}}}}},
	} {
		for _, normalized := range []bool{false, true} {
			c := s.clone()
			if normalized {
				c.normalize()
			}
			want, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := c.writeCanonical(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s (normalized %v):\n got %s\nwant %s", name, normalized, got.Bytes(), want)
			}
		}
	}
}
