package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Demo fixture ids used throughout the tests.
const (
	northwind   = "a0000000-0000-4000-8000-000000000001"
	bluebird    = "b0000000-0000-4000-8000-000000000002"
	copperfield = "c0000000-0000-4000-8000-000000000003"
	care        = "d0000000-0000-4000-8000-000000000004"

	roleClaimsSupervisor = "a1000000-0000-4000-8000-000000000001"
	roleClaimsAgent      = "a1000000-0000-4000-8000-000000000002"
	roleQualityEvaluator = "a1000000-0000-4000-8000-000000000003"
	roleReportingViewer  = "a1000000-0000-4000-8000-000000000004"
	roleTelephonyAdmin   = "a1000000-0000-4000-8000-000000000005"
	roleMasterAdmin      = "a1000000-0000-4000-8000-000000000006"
	roleConsultant       = "c1000000-0000-4000-8000-000000000001"
	roleProjectLead      = "c1000000-0000-4000-8000-000000000002"
	roleAuditor          = "c1000000-0000-4000-8000-000000000003"
	roleOutsourcedAgent  = "b1000000-0000-4000-8000-000000000001"

	userNadia  = "a2000000-0000-4000-8000-000000000001"
	userOscar  = "a2000000-0000-4000-8000-000000000002"
	userPriya  = "a2000000-0000-4000-8000-000000000003"
	userBo     = "b2000000-0000-4000-8000-000000000001"
	userBella  = "b2000000-0000-4000-8000-000000000002"
	userBen    = "b2000000-0000-4000-8000-000000000003"
	userBianca = "b2000000-0000-4000-8000-000000000004"
	userCora   = "c2000000-0000-4000-8000-000000000001"
	userCarl   = "c2000000-0000-4000-8000-000000000002"
	userGrace  = "d2000000-0000-4000-8000-000000000001"

	oa = "/api/v2/orgauthorization"
)

// demoClients maps a short org name to its demo client credentials.
var demoClients = map[string]ClientCredentials{
	"northwind":   {ID: "northwind-demo-client", Secret: "demo-secret-northwind-NOT-A-REAL-SECRET"},
	"bluebird":    {ID: "bluebird-demo-client", Secret: "demo-secret-bluebird-NOT-A-REAL-SECRET"},
	"copperfield": {ID: "copperfield-demo-client", Secret: "demo-secret-copperfield-NOT-A-REAL-SECRET"},
	"care":        {ID: "care-demo-client", Secret: "demo-secret-care-NOT-A-REAL-SECRET"},
}

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a sandbox behind an httptest server, with a fake clock.
type harness struct {
	t     *testing.T
	s     *Server
	ts    *httptest.Server
	clock *fakeClock
}

func newHarness(t *testing.T, fx *Fixture, opts Options) *harness {
	t.Helper()
	if fx == nil {
		fx = DemoFixture()
	}
	clock := newFakeClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	s, err := New(fx, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &harness{t: t, s: s, ts: ts, clock: clock}
}

// response is what the server answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// tokenRequest posts to /oauth/token.
func (h *harness) tokenRequest(id, secret, grant string) response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.ts.URL+"/oauth/token", strings.NewReader(url.Values{"grant_type": {grant}}.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	return h.send(req)
}

// login returns an access token for one of the demo orgs by short name.
func (h *harness) login(org string) string {
	h.t.Helper()
	c, ok := demoClients[org]
	if !ok {
		h.t.Fatalf("no demo client for %q", org)
	}
	r := h.tokenRequest(c.ID, c.Secret, "client_credentials")
	r.want(h.t, http.StatusOK)
	var tr tokenResponse
	r.decode(h.t, &tr)
	return tr.AccessToken
}

// do sends an API request. body is nil (no body), a string (sent as is) or
// a value sent as JSON.
func (h *harness) do(tok, method, path string, body any) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return h.send(req)
}

// send performs req and checks the invariants of every answer: a
// correlation id header, and on a non-2xx an ErrorBody whose status and
// contextId match the answer.
func (h *harness) send(req *http.Request) response {
	h.t.Helper()
	res, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := response{status: res.StatusCode, header: res.Header, body: data}
	corr := res.Header.Get("inin-correlation-id")
	if corr == "" {
		h.t.Errorf("%s %s: no inin-correlation-id header", req.Method, req.URL.Path)
	}
	if res.StatusCode >= 300 {
		var eb errorBody
		if err := json.Unmarshal(data, &eb); err != nil {
			h.t.Errorf("%s %s: %d answer is not an ErrorBody: %v: %s", req.Method, req.URL.Path, res.StatusCode, err, data)
		}
		if eb.Status != res.StatusCode || eb.ContextID != corr || eb.Message == "" || eb.Code == "" {
			h.t.Errorf("%s %s: ErrorBody %+v does not match status %d / correlation id %q", req.Method, req.URL.Path, eb, res.StatusCode, corr)
		}
		if got := res.Header.Get("Content-Type"); got != "application/json" {
			h.t.Errorf("%s %s: error Content-Type %q", req.Method, req.URL.Path, got)
		}
	}
	return r
}

// want fails the test unless the answer has the given status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// decode decodes the body into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errBody decodes the ErrorBody of a non-2xx answer.
func (r response) errBody(t *testing.T) errorBody {
	t.Helper()
	var eb errorBody
	r.decode(t, &eb)
	return eb
}

// wantError checks a non-2xx answer's status and that its message
// contains each of the given strings.
func (r response) wantError(t *testing.T, status int, contains ...string) errorBody {
	t.Helper()
	r.want(t, status)
	eb := r.errBody(t)
	for _, s := range contains {
		if !strings.Contains(eb.Message, s) {
			t.Errorf("error message %q does not contain %q", eb.Message, s)
		}
	}
	return eb
}

// listing is a decoded listing with raw entities.
type listing struct {
	Entities    []map[string]any `json:"entities"`
	PageSize    int              `json:"pageSize"`
	PageNumber  int              `json:"pageNumber"`
	Total       int              `json:"total"`
	PageCount   int              `json:"pageCount"`
	FirstURI    string           `json:"firstUri"`
	SelfURI     string           `json:"selfUri"`
	NextURI     *string          `json:"nextUri"`
	PreviousURI *string          `json:"previousUri"`
	LastURI     string           `json:"lastUri"`
}

func (h *harness) list(tok, path string) listing {
	h.t.Helper()
	var l listing
	h.do(tok, http.MethodGet, path, nil).want(h.t, http.StatusOK).decode(h.t, &l)
	return l
}

// ids returns the "id" of each entity.
func (l listing) ids() []string {
	out := make([]string, 0, len(l.Entities))
	for _, e := range l.Entities {
		id, _ := e["id"].(string)
		out = append(out, id)
	}
	return out
}

// roleIDs reads the role ids of a trustee user.
func (h *harness) roleIDs(tok, trusteeOrg, userID string) []string {
	h.t.Helper()
	var ua struct {
		Roles []roleRef `json:"roles"`
	}
	h.do(tok, http.MethodGet, oa+"/trustees/"+trusteeOrg+"/users/"+userID+"/roles", nil).want(h.t, http.StatusOK).decode(h.t, &ua)
	out := []string{}
	for _, r := range ua.Roles {
		out = append(out, r.ID)
	}
	return out
}

// pair makes the trustee org (by short name) create a pairing for userIDs
// and returns its id.
func (h *harness) pair(tok string, userIDs ...string) string {
	h.t.Helper()
	var tr struct {
		ID string `json:"id"`
	}
	h.do(tok, http.MethodPost, oa+"/pairings", map[string]any{"userIds": userIDs}).want(h.t, http.StatusOK).decode(h.t, &tr)
	return tr.ID
}

// inTrust reports, under the server's lock, whether userID is in the trust
// from trustor to trustee.
func (h *harness) inTrust(trustor, trustee, userID string) bool {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	t := h.s.st.findTrust(trustor, trustee)
	return t != nil && t.member(userID) != nil
}
