package client

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzDecodeListing: whatever a listing page holds, decoding never panics,
// and a page that decodes has an entities array whose entities all have
// ids, and a total.
func FuzzDecodeListing(f *testing.F) {
	f.Add([]byte(`{"entities":[{"id":"a","enabled":true,"organization":{"id":"a","name":"A"}}],"pageSize":100,"pageNumber":1,"total":1,"pageCount":1}`))
	f.Add([]byte(`{"entities":null,"total":0}`))
	f.Add([]byte(`{"entities":[{"name":"no id"}],"total":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var l Listing[Trustee]
		if err := decodeBody(body, "application/json", &l); err != nil {
			if err.Error() == "" {
				t.Error("an error without text")
			}
			return
		}
		if l.Entities == nil {
			t.Fatal("decoded a listing without an entities array")
		}
		for i, e := range l.Entities {
			if e.ID == "" {
				t.Errorf("entity %d has no id", i)
			}
		}
		var u Listing[TrustUser]
		_ = decodeBody(body, "", &u)
	})
}

// FuzzDecodeAuditPage: an audit page decodes or fails cleanly; one that
// decodes has an entities array.
func FuzzDecodeAuditPage(f *testing.F) {
	f.Add([]byte(`{"pageNumber":1,"pageSize":100,"total":1,"pageCount":1,"entities":[{"id":"m1","action":"Create","context":{"a":1,"b":"x"},"propertyChanges":[{"property":"roles","oldValues":[],"newValues":["r"]}]}]}`))
	f.Add([]byte(`{"entities":[{"context":null}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var p AuditPage
		if err := decodeBody(body, "application/json", &p); err != nil {
			return
		}
		if p.Entities == nil {
			t.Fatal("decoded an audit page without an entities array")
		}
	})
}

// FuzzErrorBody: any error answer becomes an APIError whose text is one
// line, never a panic, and only a 403 names missing permissions.
func FuzzErrorBody(f *testing.F) {
	f.Add(403, []byte(`{"message":"missing [authorization:orgTrustee:view]","code":"missing.permissions","messageParams":{"permissions":["authorization:orgTrustee:view"]}}`))
	f.Add(500, []byte(`<html>proxy error</html>`))
	f.Add(429, []byte(`{"status":"429","details":[{"errorCode":1}],"errors":[{"errors":[{}]}]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 300 || status > 599 {
			return
		}
		e := newAPIError("GET", "/p", answer(status, nil), body)
		msg := e.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Errorf("Error() spans lines: %q", msg)
		}
		if status != http.StatusForbidden && e.MissingPermissions() != nil {
			t.Errorf("a %d names permissions %q", status, e.MissingPermissions())
		}
	})
}
