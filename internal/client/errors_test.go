package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func answer(status int, header map[string]string) *http.Response {
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: status, Header: h}
}

func TestForbiddenNamesPermission(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"messageParams", `{"message":"Unable to perform the requested action. You are missing the following permission(s): [authorization:orgTrustee:view]","code":"missing.permissions","status":403,"messageParams":{"permissions":"[authorization:orgTrustee:view]"}}`, "authorization:orgTrustee:view"},
		{"several", `{"code":"missing.any.permissions","messageWithParams":"You must have at least one of: {permissions}","messageParams":{"permissions":"[authorization:orgTrusteeUser:add, authorization:orgTrustee:add]"}}`, "authorization:orgTrusteeUser:add, authorization:orgTrustee:add"},
		{"message only", `{"message":"missing permission authorization:audit:view for this call","code":"missing.permissions"}`, "authorization:audit:view"},
		{"details", `{"message":"Forbidden","details":[{"errorCode":"missing.permission","entityName":"authorization:role:view"}]}`, "authorization:role:view"},
		{"none", `{"message":"Forbidden","code":"forbidden"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIError("GET", "/api/v2/x", answer(403, nil), []byte(tt.body))
			if got := strings.Join(e.MissingPermissions(), ", "); got != tt.want {
				t.Errorf("MissingPermissions = %q, want %q", got, tt.want)
			}
			if tt.want != "" && !strings.Contains(e.Error(), tt.want) {
				t.Errorf("Error() = %q lacks the permission", e.Error())
			}
		})
	}
	// Only a 403 names a permission.
	e := newAPIError("GET", "/x", answer(400, nil), []byte(`{"message":"bad authorization:role:view"}`))
	if p := e.MissingPermissions(); p != nil {
		t.Errorf("a 400 named permissions %q", p)
	}
}

func TestAPIErrorText(t *testing.T) {
	body := `{"message":"Trust not found","code":"not.found","status":404,"contextId":"ctx-1","details":[{"errorCode":"x","fieldName":"f"}]}`
	e := newAPIError("GET", "/p", answer(404, map[string]string{"inin-correlation-id": "corr-9"}), []byte(body))
	if got, want := e.Error(), "404 Not Found (not.found): Trust not found [correlation id corr-9]"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if len(e.Details) != 1 || e.Details[0].FieldName != "f" {
		t.Errorf("Details = %+v", e.Details)
	}
	// Without the header, the body's contextId is the correlation id.
	e = newAPIError("GET", "/p", answer(404, nil), []byte(body))
	if e.CorrelationID != "ctx-1" {
		t.Errorf("CorrelationID = %q", e.CorrelationID)
	}
	// A non-JSON body (a proxy's page) gives its first line.
	e = newAPIError("GET", "/p", answer(502, nil), []byte("<html>Bad gateway\x07</html>\nmore"))
	if got, want := e.Error(), "502 Bad Gateway: <html>Bad gateway </html>"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	// messageWithParams is expanded when message is empty.
	e = newAPIError("GET", "/p", answer(400, nil), []byte(`{"messageWithParams":"field {f} is bad","messageParams":{"f":"enabled"}}`))
	if e.Message != "field enabled is bad" {
		t.Errorf("Message = %q", e.Message)
	}
	// Long messages are cut.
	long := strings.Repeat("é", 400)
	e = newAPIError("GET", "/p", answer(400, nil), []byte(`{"message":"`+long+`"}`))
	if len(e.Message) > 310 || !strings.HasSuffix(e.Message, "...") || !json.Valid([]byte(`"`+e.Message+`"`)) {
		t.Errorf("long message kept as %d bytes: %q", len(e.Message), e.Message)
	}
	// An unknown status.
	e = &APIError{Status: 599}
	if e.Error() != "599" {
		t.Errorf("Error() = %q", e.Error())
	}
	wrapped := fmt.Errorf("list: %w", &APIError{Status: 404})
	if !IsNotFound(wrapped) || IsConflict(wrapped) || IsNotFound(errors.New("404")) {
		t.Error("IsNotFound/IsConflict")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{" 1.5 ", 1500 * time.Millisecond, true},
		{"Thu, 01 Jan 2026 12:00:10 GMT", 10 * time.Second, true},
		{"Thu, 01 Jan 2026 11:00:00 GMT", 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"0", 0, true},
		{"86400", 24 * time.Hour, true},
		// Not finite, negative or absurd: treated as absent rather than
		// overflowing into a negative or endless wait.
		{"NaN", 0, false},
		{"nan", 0, false},
		{"Inf", 0, false},
		{"+Inf", 0, false},
		{"-Inf", 0, false},
		{"infinity", 0, false},
		{"1e300", 0, false},
		{"1e3", 0, false},
		{"0x1p4", 0, false},
		{"1_000", 0, false},
		{"-0", 0, false},
		{"+5", 0, false},
		{".5", 0, false},
		{"5.", 0, false},
		{"86401", 0, false},
		{"9223372036854775807", 0, false},
		{"1" + strings.Repeat("0", 400), 0, false},
		{"Fri, 01 Jan 2100 00:00:00 GMT", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	e := newAPIError("GET", "/p", answer(429, map[string]string{"Retry-After": "4"}), []byte(`{}`))
	if e.RetryAfter != 4*time.Second {
		t.Errorf("RetryAfter = %v", e.RetryAfter)
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[Outcome]string{Applied: "applied", AlreadyGone: "already gone", AlreadyPresent: "already present", Outcome(9): "Outcome(9)"} {
		if o.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(o), o.String(), want)
		}
	}
}

func TestAuditContextDecoding(t *testing.T) {
	var m AuditLogMessage
	data := `{"id":"1","eventDate":"2026-01-02T03:04:05.678Z","context":{"trusteeOrgId":"b0","count":3,"flag":true,"nested":{"a":1}},"propertyChanges":[{"property":"enabled","oldValues":["true"],"newValues":["false"]}]}`
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		t.Fatal(err)
	}
	want := AuditContext{"trusteeOrgId": "b0", "count": "3", "flag": "true", "nested": `{"a":1}`}
	for k, v := range want {
		if m.Context[k] != v {
			t.Errorf("Context[%q] = %q, want %q", k, m.Context[k], v)
		}
	}
	if m.EventDate == nil || m.EventDate.Nanosecond() != 678_000_000 {
		t.Errorf("EventDate = %v", m.EventDate)
	}
	var c AuditContext
	if err := json.Unmarshal([]byte(`null`), &c); err != nil || c != nil {
		t.Errorf("null context = %v, %v", c, err)
	}
	if err := json.Unmarshal([]byte(`[1]`), &c); err == nil {
		t.Error("an array context decoded without error")
	}
}

func TestWireNames(t *testing.T) {
	exp := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	got, err := json.Marshal(TrustCreate{PairingID: "p", Enabled: true, DateExpired: &exp,
		Users: &[]TrustMemberCreate{{ID: "u", RoleIDs: []string{"r"}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"pairingId":"p","enabled":true,"users":[{"id":"u","roleIds":["r"]}],"dateExpired":"2027-06-30T00:00:00Z"}`
	if string(got) != want {
		t.Errorf("TrustCreate = %s, want %s", got, want)
	}
	got, _ = json.Marshal(TrustCreate{PairingID: "p", Enabled: true, Users: &[]TrustMemberCreate{}})
	if want := `{"pairingId":"p","enabled":true,"users":[]}`; string(got) != want {
		t.Errorf("TrustCreate with no users = %s, want %s", got, want)
	}
	got, _ = json.Marshal(TrustUpdate{Enabled: false})
	if string(got) != `{"enabled":false}` {
		t.Errorf("TrustUpdate = %s", got)
	}
	got, _ = json.Marshal(TrusteeAuditQuery{TrusteeOrganizationIDs: []string{"o"}, TrusteeUserIDs: []string{}})
	if string(got) != `{"trusteeOrganizationIds":["o"],"trusteeUserIds":[]}` {
		t.Errorf("TrusteeAuditQuery = %s", got)
	}
	var tu TrustUser
	if err := json.Unmarshal([]byte(`{"id":"u","name":"N","trustUserDetails":{"dateCreated":"2026-01-01T00:00:00Z","createdBy":{"id":"c"}}}`), &tu); err != nil {
		t.Fatal(err)
	}
	if tu.ID != "u" || tu.Name != "N" || tu.TrustUserDetails.CreatedBy.ID != "c" {
		t.Errorf("TrustUser = %+v", tu)
	}
	var ua *UserAuthorization
	if ua.RoleIDs() != nil {
		t.Error("nil UserAuthorization has role ids")
	}
}
