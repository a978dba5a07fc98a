package audit_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/trustsync/trustsync/internal/audit"
	"github.com/trustsync/trustsync/internal/client"
)

// FuzzNormalize feeds audit entries as the service might send them,
// however malformed, through Normalize and both writers: nothing may
// panic, and the table must stay one line per entry, free of control
// characters an entry could forge lines with.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"id":"1","eventDate":"2026-11-24T09:00:00Z","client":{"id":"c"},"action":"UPDATE","entityType":"ORG_TRUSTEE","entity":{"id":"b"},"context":{"trusteeOrgId":"b"}}`,
		`{"user":{"name":"a\nWHEN"},"entityType":"OrganizationAuthorizationUserTrust","context":{"userId":1,"x":[1,2]},"propertyChanges":[{"property":"roleIds","oldValues":["a\t"],"newValues":[]}]}`,
		`{"entity":{"name":"\u202e"},"context":null}`,
	} {
		f.Add(s, "b")
	}
	f.Fuzz(func(t *testing.T, raw, asked string) {
		var m client.AuditLogMessage
		if json.Unmarshal([]byte(raw), &m) != nil {
			return
		}
		for _, side := range []audit.Side{audit.TrusteeSide, audit.TrustorSide} {
			e := audit.Normalize(m, side, "home", []string{asked})
			var b bytes.Buffer
			if err := audit.WriteText(&b, []audit.Entry{e}, audit.Names{strings.ToLower(asked): asked}, false); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if len(lines) != 3 {
				t.Fatalf("one entry made %d lines:\n%s", len(lines), b.String())
			}
			if strings.IndexFunc(b.String(), func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) >= 0 {
				t.Fatalf("control character in the table:\n%q", b.String())
			}
			b.Reset()
			if err := audit.WriteJSON(&b, []audit.Entry{e}, nil, false); err != nil || !json.Valid(b.Bytes()) {
				t.Fatalf("WriteJSON: %v\n%s", err, b.String())
			}
		}
	})
}
