package audit_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/audit"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, got)
	}
}

func sampleEntries() []audit.Entry {
	at := func(m int) time.Time { return time.Date(2026, 11, 24, 9, m, 3, 0, time.UTC) }
	return []audit.Entry{
		{ID: "e3", At: at(12), ByKind: audit.ByClient, By: "nw-ops", ByID: "nw-ops", Action: "UPDATE", EntityType: "ORG_TRUSTEE_USER_ROLES",
			Object: audit.ObjectRoles, ObjectID: userBo, ObjectName: "Bo Blue", Side: audit.TrusteeSide, TrusteeID: blueID, TrustorID: homeID, UserID: userBo,
			Changes: []audit.PropertyChange{{Property: "roleIds", Old: []string{roleSupervisor, roleAgent}, New: []string{roleSupervisor}}}},
		{ID: "e2", At: at(5), ByKind: audit.ByUser, By: "Una Admin", ByID: "u9", Action: "DELETE", EntityType: "ORG_TRUSTEE_USER",
			Object: audit.ObjectUser, ObjectID: userNadia, Side: audit.TrustorSide, TrusteeID: homeID, TrustorID: copperID, UserID: userNadia},
		{ID: "e1", At: at(1), ByKind: audit.ByClient, By: "nw-ops", ByID: "nw-ops", Action: "UPDATE", EntityType: "ORG_TRUSTEE",
			Object: audit.ObjectTrust, ObjectID: blueID, ObjectName: "Bluebird Outsourcing", Side: audit.TrusteeSide, TrusteeID: blueID, TrustorID: homeID,
			Changes: []audit.PropertyChange{{Property: "dateExpired", Old: []string{"2027-06-30T00:00:00.000Z"}, New: []string{"2027-03-31T00:00:00.000Z"}}}},
		{Side: audit.TrusteeSide, EntityType: "Widget"}, // an entry that lacks nearly everything
	}
}

func sampleNames() audit.Names {
	return audit.Names{blueID: "Bluebird Outsourcing", copperID: "Copperfield Consulting", userNadia: "Nadia North", roleSupervisor: "Claims Supervisor", roleAgent: "Claims Agent"}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := audit.WriteText(&b, sampleEntries(), sampleNames(), false); err != nil {
		t.Fatal(err)
	}
	golden(t, "entries.txt.golden", b.Bytes())
	b.Reset()
	if err := audit.WriteText(&b, nil, nil, false); err != nil || b.String() != "No audit entries about trusts in this period.\n" {
		t.Errorf("no entries: %q, %v", b.String(), err)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := audit.WriteJSON(&b, sampleEntries(), sampleNames(), true); err != nil {
		t.Fatal(err)
	}
	golden(t, "entries.json.golden", b.Bytes())
}
