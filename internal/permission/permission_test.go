package permission_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trustsync/trustsync/internal/audit"
	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/permission"
	"github.com/trustsync/trustsync/internal/sandbox"
)

var update = flag.Bool("update", false, "rewrite the permission table of docs/authentication.md")

func TestFind(t *testing.T) {
	cases := []struct {
		method, path string
		want         string // the rule's path, "" for none
	}{
		{"GET", "/api/v2/orgauthorization/trustees/care", "/orgauthorization/trustees/care"},
		{"GET", "/api/v2/orgauthorization/trustees/b0000000-0000-4000-8000-000000000002", "/orgauthorization/trustees/{trusteeOrgId}"},
		{"POST", "/api/v2/orgauthorization/trustees/audits", "/orgauthorization/trustees/audits"},
		{"POST", "/api/v2/orgauthorization/trustees/b000/users", "/orgauthorization/trustees/{trusteeOrgId}/users"},
		{"put", "/orgauthorization/trustors/c000/groups/a300", "/orgauthorization/trustors/{trustorOrgId}/groups/{trustorGroupId}"},
		{"GET", "/api/v2/orgauthorization/trustees//users", ""},
		{"PATCH", "/api/v2/orgauthorization/trustees", ""},
		{"GET", "/api/v2/somewhere/else", ""},
	}
	for _, tc := range cases {
		r, ok := permission.Find(tc.method, tc.path)
		if got := r.Path; ok != (tc.want != "") || got != tc.want {
			t.Errorf("Find(%s %s) = %q, %t; want %q", tc.method, tc.path, got, ok, tc.want)
		}
	}
}

// sandboxWithout starts the demo sandbox with Northwind's client holding
// every permission but the given ones (none at all when none are given),
// and returns its URL and the
// client's credentials.
func sandboxWithout(t *testing.T, lacking ...string) (base, id, secret string) {
	t.Helper()
	fx := sandbox.DemoFixture()
	perms := []string{}
	if len(lacking) > 0 {
		for _, r := range permission.Rules() {
			for _, p := range r.Permissions {
				if !slices.Contains(perms, p) && !slices.Contains(lacking, p) {
					perms = append(perms, p)
				}
			}
		}
	}
	c := &fx.Orgs[0].Clients[0]
	c.Permissions = perms
	srv, err := sandbox.New(fx, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
	})
	return ts.URL, c.ID, c.Secret
}

// TestRulesAgreeWithTheSandbox: for every rule, a client with no
// permission at all is refused with a 403 that names exactly the rule's
// permissions, and an operation that needs none is not refused. The
// sandbox keeps its own table of the API documentation's rules; the two
// must agree.
func TestRulesAgreeWithTheSandbox(t *testing.T) {
	base, id, secret := sandboxWithout(t)
	token := accessToken(t, base, id, secret)
	ids := strings.NewReplacer("{", "", "}", "")
	for _, r := range permission.Rules() {
		path := "/api/v2" + ids.Replace(r.Path)
		body := strings.NewReader("")
		if r.Method == "POST" || r.Method == "PUT" {
			body = strings.NewReader("{}")
		}
		req, err := http.NewRequest(r.Method, base+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb struct {
			Code          string            `json:"code"`
			MessageParams map[string]string `json:"messageParams"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if len(r.Permissions) == 0 {
			if resp.StatusCode == http.StatusForbidden {
				t.Errorf("%s %s: 403 for an operation the table says needs nothing", r.Method, r.Path)
			}
			continue
		}
		got := strings.Split(eb.MessageParams["permissions"], ", ")
		slices.Sort(got)
		want := slices.Clone(r.Permissions)
		slices.Sort(want)
		if resp.StatusCode != http.StatusForbidden || eb.Code != "missing.permissions" || !slices.Equal(got, want) {
			t.Errorf("%s %s: %d %s %v; want 403 missing.permissions %v", r.Method, r.Path, resp.StatusCode, eb.Code, got, want)
		}
	}
}

func accessToken(t *testing.T, base, id, secret string) string {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// TestExplainThroughTheClient: the real client's 403 errors, wrapped as
// callers wrap them, explain themselves.
func TestExplainThroughTheClient(t *testing.T) {
	base, id, secret := sandboxWithout(t, permission.TrusteeUserAdd, permission.TrusteeGroupView)
	c, err := client.New(client.Config{APIURL: base, ClientID: id, ClientSecret: secret, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const bluebird = "b0000000-0000-4000-8000-000000000002"
	_, _, addErr := c.AddTrusteeUser(ctx, bluebird, client.TrustMemberCreate{ID: "b2000000-0000-4000-8000-000000000004"})
	_, listErr := c.ListTrusteeGroups(ctx, bluebird)
	_, _, createErr := c.CreateTrustee(ctx, client.TrustCreate{PairingID: "p", Enabled: true})
	_, okErr := c.ListTrustees(ctx)
	cases := []struct {
		command string
		err     error
		want    string
	}{
		{"apply", addErr, "apply needs authorization:orgTrusteeUser:add to add users to trusts (trustees[].users)"},
		{"plan", listErr, "plan needs authorization:orgTrusteeGroup:view to read the groups of trusts (trustees[].groups)"},
		// POST /trustees needs both; the answer names the one missing.
		{"apply", createErr, "apply needs authorization:orgTrusteeUser:add to create trusts (trustees[].pairingId)"},
		{"", errors2(listErr), "trustsync needs authorization:orgTrusteeGroup:view to read the groups of trusts (trustees[].groups)"},
		{"plan", okErr, ""},
	}
	for _, tc := range cases {
		if got := permission.Explain(tc.command, tc.err); got != tc.want {
			t.Errorf("Explain(%q, %v)\n got %q\nwant %q", tc.command, tc.err, got, tc.want)
		}
	}
	if h := permission.Hint("apply", addErr); !strings.HasPrefix(h, "hint: apply needs authorization:orgTrusteeUser:add") || !strings.Contains(h, "docs/authentication.md") {
		t.Errorf("Hint = %q", h)
	}
}

// errors2 hides err in a joined error behind another error, as a failed
// write and a failed read-back are reported together.
func errors2(err error) error {
	return joined{[]error{context.DeadlineExceeded, err}}
}

type joined struct{ errs []error }

func (j joined) Error() string   { return "joined" }
func (j joined) Unwrap() []error { return j.errs }

// TestDocsTable: docs/authentication.md shows the table (rewrite it with
// -update).
func TestDocsTable(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "authentication.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)(<!-- permission table: [^\n]*-->\n).*?(<!-- end of permission table -->)`)
	if !re.Match(doc) {
		t.Fatalf("%s has no permission table markers", path)
	}
	table := permission.Table()
	want := re.ReplaceAll(doc, []byte("${1}"+strings.ReplaceAll(table, "$", "$$")+"${2}"))
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(want) != string(doc) {
		t.Errorf("%s's permission table is out of date; run go test ./internal/permission -update", path)
	}
}

// TestAuditPermission: the audit package names the permission its queries
// need in its own messages; it must be the table's.
func TestAuditPermission(t *testing.T) {
	for _, path := range []string{"/orgauthorization/trustees/audits", "/orgauthorization/trustor/audits"} {
		r, ok := permission.Find("POST", path)
		if !ok || !slices.Equal(r.Permissions, []string{audit.Permission}) {
			t.Errorf("POST %s needs %v in the table; the audit package says %s", path, r.Permissions, audit.Permission)
		}
	}
}
