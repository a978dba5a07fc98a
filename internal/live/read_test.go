package live_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/live"
	"github.com/trustsync/trustsync/internal/sandbox"
)

const (
	homeID   = "a0000000-0000-4000-8000-000000000001"
	blueID   = "b0000000-0000-4000-8000-000000000002"
	copperID = "c0000000-0000-4000-8000-000000000003"
	careID   = "d0000000-0000-4000-8000-000000000004"
)

// startSandbox serves the demo fixture and returns a client logged in as
// Northwind, the home org.
func startSandbox(t *testing.T, opts sandbox.Options) (*sandbox.Server, *client.Client) {
	t.Helper()
	return startSandboxWith(t, sandbox.DemoFixture(), opts)
}

// startSandboxWith serves fx and returns a client logged in as its first
// org.
func startSandboxWith(t *testing.T, fx *sandbox.Fixture, opts sandbox.Options) (*sandbox.Server, *client.Client) {
	t.Helper()
	sb, url := serveSandbox(t, fx, opts)
	return sb, clientOf(t, url, sb.Orgs()[0])
}

// serveSandbox serves fx over HTTP and returns the sandbox and its URL.
func serveSandbox(t testing.TB, fx *sandbox.Fixture, opts sandbox.Options) (*sandbox.Server, string) {
	t.Helper()
	sb, err := sandbox.New(fx, opts)
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(func() {
		srv.Close()
		if err := sb.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
	})
	return sb, srv.URL
}

// clientOf returns a client logged in as org at url.
func clientOf(t *testing.T, url string, org sandbox.OrgInfo) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{
		APIURL:       url,
		ClientID:     org.Clients[0].ID,
		ClientSecret: org.Clients[0].Secret,
		MaxAttempts:  1,
		Deadline:     10 * time.Second,
	})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

func date(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// readClock is the clock of the reads whose whole state is compared: it
// sets State.ReadAt.
func readClock() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.FixedZone("CET", 3600)) }

// added is what the users of the demo fixture's trusts were added with
// (the trust's creation, which is when a sandbox on readClock was built).
func added() *live.Added {
	at := readClock().UTC()
	return &live.Added{At: &at}
}

// demoState is what Northwind sees of the demo fixture, read at readClock
// from a sandbox on readClock.
func demoState() *live.State {
	return &live.State{
		Org:    live.Org{ID: homeID, Name: "Northwind Insurance"},
		ReadAt: readClock().UTC(),
		Roles: []live.Role{
			{ID: "a1000000-0000-4000-8000-000000000002", Name: "Claims Agent"},
			{ID: "a1000000-0000-4000-8000-000000000001", Name: "Claims Supervisor"},
			{ID: "a1000000-0000-4000-8000-000000000006", Name: "Master Admin"},
			{ID: "a1000000-0000-4000-8000-000000000003", Name: "Quality Evaluator"},
			{ID: "a1000000-0000-4000-8000-000000000004", Name: "Reporting Viewer"},
			{ID: "a1000000-0000-4000-8000-000000000005", Name: "Telephony Admin"},
		},
		CareOrgIDs:   []string{careID},
		TrusteesRead: true,
		Trustees: []live.Trustee{
			{OrgID: blueID, OrgName: "Bluebird Outsourcing", Enabled: true, Expires: date("2027-06-30T00:00:00Z"),
				Users: []live.TrusteeUser{
					{ID: "b2000000-0000-4000-8000-000000000001", Name: "Bo Blue",
						RoleIDs: []string{"a1000000-0000-4000-8000-000000000001", "a1000000-0000-4000-8000-000000000004"}, Added: added()},
					{ID: "b2000000-0000-4000-8000-000000000002", Name: "Bella Byrne",
						RoleIDs: []string{"a1000000-0000-4000-8000-000000000002"}, Added: added()},
					{ID: "b2000000-0000-4000-8000-000000000003", Name: "Ben Baker",
						RoleIDs: []string{"a1000000-0000-4000-8000-000000000003"}, Added: added()},
				}},
			{OrgID: careID, OrgName: "Genesys Customer Care", Enabled: true,
				Users: []live.TrusteeUser{{ID: "d2000000-0000-4000-8000-000000000001", Name: "Grace Gale",
					RoleIDs: []string{"a1000000-0000-4000-8000-000000000006"}, Added: added()}}},
		},
		TrustorsRead: true,
		Trustors: []live.Trustor{
			{OrgID: copperID, OrgName: "Copperfield Consulting", Enabled: true,
				Users: []live.User{
					{ID: "a2000000-0000-4000-8000-000000000001", Name: "Nadia North", Added: added()},
					{ID: "a2000000-0000-4000-8000-000000000002", Name: "Oscar Ortega", Added: added()},
				}},
		},
	}
}

func TestReadDemo(t *testing.T) {
	_, c := startSandbox(t, sandbox.Options{Now: readClock})
	var (
		mu    sync.Mutex
		steps []live.Progress
	)
	st, err := live.Read(context.Background(), c, live.Scope{
		Trustees: true, Trustors: true,
		PinOrgID: strings.ToUpper(homeID), // ids compare case-insensitively
		Now:      readClock,
		Progress: func(p live.Progress) {
			mu.Lock()
			defer mu.Unlock()
			steps = append(steps, p)
		},
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if diff := cmp.Diff(demoState(), st); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	if st.Fingerprint() != demoState().Fingerprint() {
		t.Error("fingerprint differs from an equal state's")
	}

	// me, roles, care, trustees, trustors, 2 trustee user lists, 4 user
	// roles, 1 trustor user list.
	const requests = 12
	if len(steps) != requests {
		t.Fatalf("progress calls = %d, want %d", len(steps), requests)
	}
	for i, p := range steps {
		if p.Done != i+1 || p.Total < p.Done || (i > 0 && p.Total < steps[i-1].Total) {
			t.Errorf("progress %d = %+v after %+v", i, p, steps[max(i-1, 0)])
		}
	}
	if last := steps[len(steps)-1]; last.Done != last.Total {
		t.Errorf("last progress = %+v, want done = total", last)
	}
}

// recorder passes calls through to the real client, counting them and the
// calls in flight.
type recorder struct {
	live.API
	mu       sync.Mutex
	calls    []string
	inFlight atomic.Int32
	maxSeen  atomic.Int32
}

func (r *recorder) note(name string) func() {
	r.mu.Lock()
	r.calls = append(r.calls, name)
	r.mu.Unlock()
	n := r.inFlight.Add(1)
	for {
		m := r.maxSeen.Load()
		if n <= m || r.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	return func() { r.inFlight.Add(-1) }
}

func (r *recorder) GetOrganizationMe(ctx context.Context) (*client.Organization, error) {
	defer r.note("me")()
	return r.API.GetOrganizationMe(ctx)
}

func (r *recorder) ListRoles(ctx context.Context) ([]client.Role, error) {
	defer r.note("roles")()
	return r.API.ListRoles(ctx)
}

func (r *recorder) ListCareTrustees(ctx context.Context) ([]string, error) {
	defer r.note("care")()
	return r.API.ListCareTrustees(ctx)
}

func (r *recorder) ListTrustees(ctx context.Context) ([]client.Trustee, error) {
	defer r.note("trustees")()
	return r.API.ListTrustees(ctx)
}

func (r *recorder) ListTrusteeUsers(ctx context.Context, id string) ([]client.TrustUser, error) {
	defer r.note("trustee users")()
	return r.API.ListTrusteeUsers(ctx, id)
}

func (r *recorder) GetTrusteeUserRoles(ctx context.Context, id, user string) (*client.UserAuthorization, error) {
	defer r.note("trustee user roles")()
	return r.API.GetTrusteeUserRoles(ctx, id, user)
}

func (r *recorder) ListTrustors(ctx context.Context) ([]client.Trustor, error) {
	defer r.note("trustors")()
	return r.API.ListTrustors(ctx)
}

func (r *recorder) ListTrustorUsers(ctx context.Context, id string) ([]client.TrustUser, error) {
	defer r.note("trustor users")()
	return r.API.ListTrustorUsers(ctx, id)
}

func (r *recorder) GetPairing(ctx context.Context, id string) (*client.TrustRequest, error) {
	defer r.note("pairing")()
	return r.API.GetPairing(ctx, id)
}

func (r *recorder) GetUsersByID(ctx context.Context, ids []string) ([]client.User, error) {
	defer r.note("users by id")()
	return r.API.GetUsersByID(ctx, ids)
}

// count returns how many calls named name were made.
func (r *recorder) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if c == name {
			n++
		}
	}
	return n
}

func (r *recorder) sortedCalls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.calls)
	slices.Sort(out)
	return slices.Compact(out)
}

func TestReadScope(t *testing.T) {
	tests := []struct {
		name  string
		scope live.Scope
		calls []string
	}{
		{"nothing managed", live.Scope{}, []string{"me", "roles"}},
		{"trustors only", live.Scope{Trustors: true}, []string{"me", "roles", "trustor users", "trustors"}},
		{"trustees only", live.Scope{Trustees: true}, []string{"care", "me", "roles", "trustee user roles", "trustee users", "trustees"}},
	}
	_, c := startSandbox(t, sandbox.Options{Now: readClock})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{API: c}
			scope := tt.scope
			scope.Now = readClock
			st, err := live.Read(context.Background(), rec, scope)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.calls, rec.sortedCalls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			want := demoState()
			if !tt.scope.Trustees {
				want.TrusteesRead, want.Trustees, want.CareOrgIDs = false, []live.Trustee{}, []string{}
			}
			if !tt.scope.Trustors {
				want.TrustorsRead, want.Trustors = false, []live.Trustor{}
			}
			if diff := cmp.Diff(want, st); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadPinMismatch(t *testing.T) {
	_, c := startSandbox(t, sandbox.Options{})
	rec := &recorder{API: c}
	_, err := live.Read(context.Background(), rec, live.Scope{Trustees: true, PinOrgID: copperID})
	var pe *live.PinError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *PinError", err)
	}
	if pe.Want != copperID || pe.Got != (live.Org{ID: homeID, Name: "Northwind Insurance"}) {
		t.Errorf("PinError = %+v", pe)
	}
	if want := "pinned to organization " + copperID + ", but the credentials belong to Northwind Insurance (" + homeID + ")"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to contain %q", err, want)
	}
	if diff := cmp.Diff([]string{"me"}, rec.sortedCalls()); diff != "" {
		t.Errorf("calls after a pin mismatch (-want +got):\n%s", diff)
	}
}

func TestReadFailure(t *testing.T) {
	sb, c := startSandbox(t, sandbox.Options{})
	sb.Inject(sandbox.Fault{
		Method: "GET",
		Path:   "/api/v2/orgauthorization/trustees/" + blueID + "/users",
		Status: 500,
		Times:  10,
	})
	st, err := live.Read(context.Background(), c, live.Scope{Trustees: true, Trustors: true})
	if err == nil {
		t.Fatalf("Read succeeded with %+v, want an error", st)
	}
	if !strings.Contains(err.Error(), "list users of trustee "+blueID) {
		t.Errorf("err = %v, want it to name the failed listing", err)
	}
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 500 {
		t.Errorf("err = %v, want an *APIError with status 500", err)
	}
}

func TestReadCanceled(t *testing.T) {
	_, c := startSandbox(t, sandbox.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := live.Read(ctx, c, live.Scope{Trustees: true}); err == nil {
		t.Error("Read with a canceled context succeeded")
	}
}

func TestFingerprintChangesWithLiveState(t *testing.T) {
	_, c := startSandbox(t, sandbox.Options{})
	ctx := context.Background()
	scope := live.Scope{Trustees: true, Trustors: true}
	first, err := live.Read(ctx, c, scope)
	if err != nil {
		t.Fatal(err)
	}
	again, err := live.Read(ctx, c, scope)
	if err != nil {
		t.Fatal(err)
	}
	if first.Fingerprint() != again.Fingerprint() {
		t.Fatal("two reads of unchanged state have different fingerprints")
	}
	if _, err := c.UpdateTrustee(ctx, blueID, client.TrustUpdate{Enabled: false}); err != nil {
		t.Fatal(err)
	}
	changed, err := live.Read(ctx, c, scope)
	if err != nil {
		t.Fatal(err)
	}
	if changed.Trustees[0].Enabled {
		t.Fatal("update not visible")
	}
	if first.Fingerprint() == changed.Fingerprint() {
		t.Error("fingerprint unchanged after a live change")
	}
}

// TestReadEscapesNames: names come from other orgs; control and
// bidirectional-formatting characters in them must not reach a plan as they
// are, where they could forge or hide lines.
func TestReadEscapesNames(t *testing.T) {
	fx := sandbox.DemoFixture()
	fx.Orgs[1].Name = "Bluebird\n+ trustee[Fake] [widens access]"
	fx.Orgs[1].Users[0].Name = "Bo \x1b[32mBlue"
	fx.Orgs[0].Roles[0].Name = "Claims \u202eSupervisor"
	fx.Orgs[0].Users[0].Name = "Nadia\rNorth"
	_, c := startSandboxWith(t, fx, sandbox.Options{})
	st, err := live.Read(context.Background(), c, live.Scope{Trustees: true, Trustors: true})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range st.Roles {
		names = append(names, r.Name)
	}
	for _, lt := range st.Trustees {
		names = append(names, lt.OrgName)
		for _, u := range lt.Users {
			names = append(names, u.Name)
		}
	}
	for _, lt := range st.Trustors {
		for _, u := range lt.Users {
			names = append(names, u.Name)
		}
	}
	for _, want := range []string{`Bluebird\n+ trustee[Fake] [widens access]`, `Bo \x1b[32mBlue`, `Claims \u202eSupervisor`, `Nadia\rNorth`} {
		if !slices.Contains(names, want) {
			t.Errorf("no name %q among %q", want, names)
		}
	}
	for _, n := range names {
		if strings.ContainsAny(n, "\n\r\x1b\u202e") {
			t.Errorf("name %q reached the live state unescaped", n)
		}
	}
}

// TestReadAdded: when and by whom each user was added (trustUserDetails)
// comes with the listing of the trust's users, in both directions.
func TestReadAdded(t *testing.T) {
	fx := sandbox.DemoFixture()
	for i := range fx.Trusts {
		tr := &fx.Trusts[i]
		switch {
		case tr.Trustee == blueID:
			tr.Users[0].DateCreated = "2026-03-01T09:30:00+01:00"
			tr.Users[0].CreatedBy = "a2000000-0000-4000-8000-000000000001" // Nadia North
		case tr.Trustor == copperID:
			tr.Users[1].CreatedBy = "copperfield-demo-client"
		}
	}
	_, c := startSandboxWith(t, fx, sandbox.Options{Now: readClock})
	st, err := live.Read(context.Background(), c, live.Scope{Trustees: true, Trustors: true, Now: readClock})
	if err != nil {
		t.Fatal(err)
	}
	bo := st.Trustees[0].Users[0]
	want := &live.Added{At: date("2026-03-01T08:30:00Z"), By: &live.User{ID: "a2000000-0000-4000-8000-000000000001", Name: "Nadia North"}}
	if diff := cmp.Diff(want, bo.Added); diff != "" {
		t.Errorf("Bo Blue added (-want +got):\n%s", diff)
	}
	if bo.Added.At.Location() != time.UTC {
		t.Errorf("added at %v, not in UTC", bo.Added.At)
	}
	oscar := st.Trustors[0].Users[1]
	if oscar.Added == nil || oscar.Added.By == nil || oscar.Added.By.ID != "copperfield-demo-client" || oscar.Added.At == nil {
		t.Errorf("Oscar Ortega added = %+v", oscar.Added)
	}
	if st.Fingerprint() == demoState().Fingerprint() {
		t.Error("who added a user is not part of the fingerprint")
	}
}
