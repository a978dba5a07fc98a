package report_test

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/report"
	"github.com/trustsync/trustsync/internal/sandbox"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	homeID     = "a0000000-0000-4000-8000-000000000001"
	blueID     = "b0000000-0000-4000-8000-000000000002"
	copperID   = "c0000000-0000-4000-8000-000000000003"
	careID     = "d0000000-0000-4000-8000-000000000004"
	orgLapsed  = "e0000000-0000-4000-8000-000000000005"
	userBo     = "b2000000-0000-4000-8000-000000000001"
	userBen    = "b2000000-0000-4000-8000-000000000003"
	userOscar  = "a2000000-0000-4000-8000-000000000002"
	roleMaster = "a1000000-0000-4000-8000-000000000006"
	groupBlue  = "b3000000-0000-4000-8000-000000000001"
	groupOurs  = "a3000000-0000-4000-8000-000000000001"
	groupOther = "b3000000-0000-4000-8000-000000000009"
)

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

func ptr[T any](v T) *T { return &v }

// sample is a report with every kind of flag and some missing data.
func sample() *report.Report {
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	added := time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)
	return &report.Report{
		Organization: plan.Org{ID: homeID, Name: "Northwind Insurance"},
		At:           at,
		WarnDays:     30,
		ConfigFiles:  []string{"trusts.yaml"},
		Trusts: []report.Trust{
			{Direction: report.Trustee, Org: report.Party{ID: blueID, Name: "Bluebird | Outsourcing"}, Enabled: true,
				Expires: ptr(time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)), DaysLeft: ptr(15), Flags: []string{report.FlagExpiresSoon},
				LastChange: &report.Change{At: at.Add(-time.Hour), By: "nw-ops", ByKind: "client", ByID: "nw-ops", Action: "UPDATE"},
				Users: []report.User{
					{ID: userBo, Name: "Bo Blue", Roles: []plan.Role{{ID: roleMaster, Name: "Master Admin"}, {ID: "r2", Name: "Reporting Viewer"}},
						AddedAt: &added, AddedBy: &report.Party{ID: "u9", Name: "Una Admin"}, Flags: []string{report.FlagForbidden}, ForbiddenRoles: []string{"Master Admin"},
						LastChange: &report.Change{At: at.Add(-2 * time.Hour), By: "Una Admin", ByKind: "user", ByID: "u9", Action: "UPDATE"}},
					{ID: userBen, Name: "=cmd()", Roles: []plan.Role{}, Flags: []string{report.FlagNotInConfig}},
				},
				Groups: []report.Group{
					{ID: groupBlue, Name: "Claims | Team", MemberCount: ptr(int64(40)), Roles: []plan.Role{{ID: roleMaster, Name: "Master Admin"}},
						Flags: []string{report.FlagForbidden}, ForbiddenRoles: []string{"Master Admin"}},
					{ID: groupOther, Roles: []plan.Role{}, Flags: []string{report.FlagNotInConfig}},
				}},
			{Direction: report.Trustee, Org: report.Party{ID: careID, Name: "Genesys Customer Care"}, Enabled: false,
				Flags: []string{report.FlagDisabled, report.FlagNoExpiry, report.FlagFullAccess, report.FlagTrustedUser, report.FlagCustomerCare}},
			{Direction: report.Trustee, Org: report.Party{ID: orgLapsed, Name: "Lapsed Partners"}, Enabled: true,
				Expires: ptr(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)), DaysLeft: ptr(-5), Flags: []string{report.FlagExpired, report.FlagNotInConfig}},
			{Direction: report.Trustor, Org: report.Party{ID: copperID, Name: "Copperfield Consulting"}, Enabled: true,
				Flags:  []string{report.FlagNotInConfig},
				Users:  []report.User{{ID: userOscar, Name: "Oscar Ortega", AddedBy: &report.Party{ID: "copperfield-demo-client", Name: "copperfield-demo-client"}}},
				Groups: []report.Group{{ID: groupOurs, Name: "Northwind Consultants", MemberCount: ptr(int64(2))}}},
		},
	}
}

func TestWriters(t *testing.T) {
	for _, tt := range []struct {
		name  string
		write func(*bytes.Buffer, *report.Report) error
	}{
		{"report.md.golden", func(b *bytes.Buffer, r *report.Report) error { return report.WriteMarkdown(b, r) }},
		{"report.json.golden", func(b *bytes.Buffer, r *report.Report) error { return report.WriteJSON(b, r) }},
		{"report.csv.golden", func(b *bytes.Buffer, r *report.Report) error { return report.WriteCSV(b, r) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b, sample()); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// startSandbox serves the demo fixture, with the Customer Care trust
// marked hasFullAccess and isTrustedUser and the Bluebird Claims Team in
// the Bluebird trust.
func startSandbox(t *testing.T) *client.Client {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	fx := sandbox.DemoFixture()
	for i := range fx.Trusts {
		switch ft := &fx.Trusts[i]; ft.Trustee {
		case careID:
			ft.HasFullAccess, ft.IsTrustedUser = true, true
		case blueID:
			ft.Groups = append(ft.Groups, sandbox.FixtureTrustGroup{ID: groupBlue, Roles: []string{roleMaster}})
		}
	}
	sb, err := sandbox.New(fx, sandbox.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { srv.Close(); _ = sb.Close() })
	return newClient(t, srv.URL)
}

func newClient(t *testing.T, url string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{APIURL: url, LoginURL: url, ClientID: "northwind-demo-client",
		ClientSecret: "demo-secret-northwind-NOT-A-REAL-SECRET", MaxAttempts: 1, Deadline: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBuildSandbox(t *testing.T) {
	c := startSandbox(t)
	ctx := context.Background()
	// a change by hand, for the audit log
	if _, err := c.SetTrusteeUserRoles(ctx, blueID, userBen, []string{roleMaster}); err != nil {
		t.Fatal(err)
	}
	st, err := live.Read(ctx, c, live.Scope{Trustees: true, TrusteeGroups: true, Trustors: true, TrustorGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Policy:         config.Policy{ForbiddenRoles: []config.RoleRef{{Ref: "Master Admin"}}, WarnExpiryDays: 20},
		ManageTrustees: true,
		Trustees:       []config.Trustee{{ID: blueID, ManageUsers: true, Users: []config.TrusteeUser{{ID: userBo}, {ID: userBen}}}},
		Files:          []string{"trusts.yaml"},
	}
	r, err := report.Build(ctx, c, st, report.Options{Now: time.Date(2027, 6, 10, 0, 0, 0, 0, time.UTC), Config: cfg})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if r.AuditNote != "" {
		t.Errorf("audit note %q", r.AuditNote)
	}
	var dirs []string
	for _, tr := range r.Trusts {
		dirs = append(dirs, tr.Direction+" "+tr.Org.Name+" "+strings.Join(tr.Flags, ","))
	}
	want := []string{
		"trustee Bluebird Outsourcing expires_soon",
		"trustee Genesys Customer Care no_expiry,full_access,trusted_user,customer_care",
		"trustor Copperfield Consulting ", // its expiry is not visible to this org
	}
	if !slices.Equal(dirs, want) {
		t.Errorf("trusts = %q; want %q", dirs, want)
	}
	if copper := r.Trusts[2]; copper.Expires != nil || copper.DaysLeft != nil {
		t.Errorf("Copperfield: expires %v, days left %v", copper.Expires, copper.DaysLeft)
	}
	for _, u := range r.Trusts[2].Users {
		if u.AddedAt == nil {
			t.Errorf("trustor user %s has no added time", u.Name)
		}
	}
	blue := r.Trusts[0]
	if *blue.DaysLeft != 20 || blue.LastChange == nil || blue.LastChange.By != "northwind-demo-client" {
		t.Errorf("Bluebird: days left %v, last change %+v", *blue.DaysLeft, blue.LastChange)
	}
	flags := map[string]string{}
	for _, u := range blue.Users {
		flags[u.Name] = strings.Join(u.Flags, ",")
		if u.AddedAt == nil {
			t.Errorf("%s has no added time", u.Name)
		}
	}
	if flags["Ben Baker"] != "forbidden_role" || flags["Bella Byrne"] != "not_in_config" || flags["Bo Blue"] != "" {
		t.Errorf("user flags = %v", flags)
	}
	for _, u := range blue.Users {
		if u.Name == "Ben Baker" && (u.LastChange == nil || u.LastChange.Action != "UPDATE") {
			t.Errorf("Ben Baker's last change = %+v", u.LastChange)
		}
	}
	// the group with its member count and roles; the files manage no
	// groups of the trust, so it is not flagged not_in_config
	if len(blue.Groups) != 1 {
		t.Fatalf("Bluebird groups = %+v", blue.Groups)
	}
	g := blue.Groups[0]
	if g.ID != groupBlue || g.Name != "Bluebird Claims Team" || g.MemberCount == nil || *g.MemberCount != 3 ||
		len(g.Roles) != 1 || g.Roles[0].Name != "Master Admin" || strings.Join(g.Flags, ",") != "forbidden_role" {
		t.Errorf("Bluebird group = %+v (members %v)", g, g.MemberCount)
	}
	// with groups managed and the group left out, it is not_in_config
	cfg.Trustees[0].ManageGroups = true
	r, err = report.Build(ctx, c, st, report.Options{Now: time.Date(2027, 6, 10, 0, 0, 0, 0, time.UTC), Config: cfg, NoAudit: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Trusts[0].Groups[0].Flags, ","); got != "forbidden_role,not_in_config" {
		t.Errorf("group flags with groups managed = %q", got)
	}
	if _, _, fg := r.Flagged(); fg != 1 {
		t.Errorf("flagged groups = %d, want 1", fg)
	}
}

// TestBuildNeedsGroups checks that Build refuses a state read without
// groups: a review that silently showed no groups would understate access.
func TestBuildNeedsGroups(t *testing.T) {
	c := startSandbox(t)
	st, err := live.Read(context.Background(), c, live.Scope{Trustees: true, Trustors: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := report.Build(context.Background(), c, st, report.Options{NoAudit: true}); err == nil || !strings.Contains(err.Error(), "with groups") {
		t.Errorf("Build without groups read: %v", err)
	}
}

func TestBuildAuditForbidden(t *testing.T) {
	c := startSandbox(t)
	ctx := context.Background()
	st, err := live.Read(ctx, c, live.Scope{Trustees: true, TrusteeGroups: true, Trustors: true, TrustorGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(ctx, forbiddenAudits{c, deniedClient(t)}, st, report.Options{Now: time.Now()})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if !strings.Contains(r.AuditNote, "authorization:audit:view") {
		t.Errorf("audit note = %q", r.AuditNote)
	}
}

// forbiddenAudits is the sandbox's client with the audit queries sent to
// a server that answers them 403.
type forbiddenAudits struct {
	*client.Client
	denied *client.Client
}

func (f forbiddenAudits) QueryTrusteeAudits(ctx context.Context, q client.TrusteeAuditQuery, o client.AuditPageOptions) (*client.AuditPage, error) {
	return f.denied.QueryTrusteeAudits(ctx, q, o)
}

func (f forbiddenAudits) QueryTrustorAudits(ctx context.Context, q client.TrustorAuditQuery, o client.AuditPageOptions) (*client.AuditPage, error) {
	return f.denied.QueryTrustorAudits(ctx, q, o)
}

func deniedClient(t *testing.T) *client.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"status":403,"code":"missing.permissions","message":"missing authorization:audit:view"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(client.Config{APIURL: srv.URL, LoginURL: srv.URL, AccessToken: "t", MaxAttempts: 1, Deadline: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
