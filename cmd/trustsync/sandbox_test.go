package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustsync/trustsync/internal/sandbox"
)

// TestSandboxCommand starts `trustsync sandbox` in-process, talks to it,
// stops it as a signal would and checks the state file it leaves.
func TestSandboxCommand(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	e := &env{
		ctx: ctx, stdin: strings.NewReader(""), stdout: outW, stderr: &stderr,
		getenv: func(string) string { return "" }, version: "test",
		isTerminal: func(any) bool { return false }, workDir: dir,
	}
	done := make(chan int, 1)
	go func() {
		done <- runCLI(ctx, []string{"sandbox", "--listen", "127.0.0.1:0", "--state", "state.json", "--rate-limit", "6000"}, e)
		outW.Close()
	}()

	lines := bufio.NewScanner(outR)
	readLine := func() string {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("sandbox output ended early; stderr: %s", stderr.String())
		}
		return lines.Text()
	}
	first := readLine()
	m := regexp.MustCompile(`^sandbox listening on (http://127\.0\.0\.1:\d+)$`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("first line %q", first)
	}
	base := m[1]
	wantOrgs := []string{
		`org "Northwind Insurance" id=a0000000-0000-4000-8000-000000000001 client_id=northwind-demo-client client_secret=demo-secret-northwind-NOT-A-REAL-SECRET (home)`,
		`org "Bluebird Outsourcing" id=b0000000-0000-4000-8000-000000000002 client_id=bluebird-demo-client client_secret=demo-secret-bluebird-NOT-A-REAL-SECRET`,
		`org "Copperfield Consulting" id=c0000000-0000-4000-8000-000000000003 client_id=copperfield-demo-client client_secret=demo-secret-copperfield-NOT-A-REAL-SECRET`,
		`org "Genesys Customer Care" id=d0000000-0000-4000-8000-000000000004 client_id=care-demo-client client_secret=demo-secret-care-NOT-A-REAL-SECRET (customer care)`,
	}
	for _, want := range wantOrgs {
		if got := readLine(); got != want {
			t.Errorf("org line\n got %s\nwant %s", got, want)
		}
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()

	// Log in as Bluebird and create a pairing: a mutation, saved to the state file.
	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("bluebird-demo-client", "demo-secret-bluebird-NOT-A-REAL-SECRET")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	mustDo(t, req, http.StatusOK, &tok)
	req, _ = http.NewRequest(http.MethodPost, base+"/api/v2/orgauthorization/pairings",
		strings.NewReader(`{"userIds":["b2000000-0000-4000-8000-000000000004"]}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	var pairing struct {
		ID string `json:"id"`
	}
	mustDo(t, req, http.StatusOK, &pairing)

	cancel() // what SIGINT/SIGTERM do through main's context
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d; stderr: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("sandbox did not stop")
	}
	if !strings.Contains(stderr.String(), "sandbox stopped after 1 API requests (1 writes)") {
		t.Errorf("stderr: %s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "--api-url "+base) {
		t.Errorf("no hint on stderr: %s", stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(pairing.ID)) {
		t.Error("the state file does not hold the pairing")
	}
	if _, err := net.Dial("tcp", strings.TrimPrefix(base, "http://")); err == nil {
		t.Error("the sandbox still listens after stopping")
	}
}

func mustDo(t *testing.T, req *http.Request, status int, v any) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatal(err)
	}
}

func TestSandboxCommandErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("orgs:\n  - id: \"a0000000-0000-4000-8000-000000000001\"\n    nmae: N\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--fault-rate", "1.5"}, "--fault-rate must be between 0 and 1, got 1.5"},
		{[]string{"--rate-limit=-2"}, "--rate-limit must be 0 (unlimited) or more"},
		{[]string{"--latency=-1s"}, "--latency must not be negative"},
		{[]string{"--latency", "soon"}, "--latency"},
		{[]string{"--fixture", "missing.yaml"}, "missing.yaml"},
		{[]string{"--fixture", "bad.yaml"}, filepath.Join(dir, "bad.yaml") + `:3:5: orgs[0]: unknown key "nmae"; did you mean "name"?`},
		{[]string{"--listen", busy.Addr().String()}, "hint: is another sandbox running?"},
		{[]string{"--generate", "trustees=1,users=1,trustors=1,roles=1", "--fixture", "bad.yaml"}, "--generate and --fixture both say what to start from"},
		{[]string{"--write-config", "out.yaml"}, "--write-config needs --generate"},
		{[]string{"--generate", "trustees=1,users=1,trustors=1"}, "roles= is required"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
				getenv: func(string) string { return "" }, version: "test", isTerminal: func(any) bool { return false }, workDir: dir}
			code := runCLI(context.Background(), append([]string{"sandbox"}, tt.args...), e)
			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

func TestDialAddr(t *testing.T) {
	for _, tt := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4zero, Port: 9400}, "127.0.0.1:9400"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 1}, "127.0.0.1:1"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 2}, "[::1]:2"},
		{&net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 3}, "10.0.0.5:3"},
	} {
		if got := dialAddr(tt.addr); got != tt.want {
			t.Errorf("dialAddr(%v) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}

// TestSandboxGenerate starts a generated sandbox that writes a desired
// state, then plans that file against the same generated orgs: the file is
// valid, names the home org, and differs from live state in a few changes.
func TestSandboxGenerate(t *testing.T) {
	dir := t.TempDir()
	const spec = "trustees=20,users=10,trustors=5,roles=6,seed=4"
	banner := startSandboxCmd(t, dir, 27, "--generate", spec, "--write-config", "trusts.yaml")
	if want := `org "Home Org" id=00000001-0000-4000-8000-000000000001 client_id=home-client client_secret=generated-secret-home-NOT-A-REAL-SECRET (home)`; banner[1] != want {
		t.Errorf("home line %q", banner[1])
	}
	// The plan runs against an in-process twin (the same spec gives the
	// same orgs), which the test can shut down without waiting for the
	// plan's idle connections.
	gs, err := sandbox.ParseGenerateSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	fx, err := sandbox.Generate(gs)
	if err != nil {
		t.Fatal(err)
	}
	base := serveSandbox(t, fx)
	out, errOut, code := runPlan(t, dir, base, "home-client", "generated-secret-home-NOT-A-REAL-SECRET", "-f", "trusts.yaml", "--detailed-exitcode", "--format", "json")
	if code != 2 {
		t.Fatalf("plan exit %d, want 2 (changes); stderr %s", code, errOut)
	}
	var p struct {
		Changes []json.RawMessage `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan JSON: %v", err)
	}
	// 20 trusts of 10 users and 5 of 10: 275 objects, about 5% change.
	if n := len(p.Changes); n < 3 || n > 40 {
		t.Errorf("%d changes, want about 14", n)
	}
}

// serveSandbox serves fx in-process until the test ends.
func serveSandbox(t *testing.T, fx *sandbox.Fixture) string {
	t.Helper()
	srv, err := sandbox.New(fx, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}

// runPlan runs `trustsync plan args...` in dir against the API at base
// with the given client credentials.
func runPlan(t *testing.T, dir, base, id, secret string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	vars := map[string]string{"TRUSTSYNC_API_URL": base, "GENESYSCLOUD_OAUTHCLIENT_ID": id, "GENESYSCLOUD_OAUTHCLIENT_SECRET": secret}
	var out, errOut bytes.Buffer
	pe := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return vars[k] }, version: "test", isTerminal: func(any) bool { return false }, workDir: dir}
	code = runCLI(context.Background(), append([]string{"plan"}, args...), pe)
	return out.String(), errOut.String(), code
}

// startSandboxCmd runs `trustsync sandbox` in-process in dir with args,
// reads bannerLines lines of its banner, stops it and returns them.
func startSandboxCmd(t *testing.T, dir string, bannerLines int, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	e := &env{
		ctx: ctx, stdin: strings.NewReader(""), stdout: outW, stderr: &stderr,
		getenv: func(string) string { return "" }, version: "test",
		isTerminal: func(any) bool { return false }, workDir: dir,
	}
	done := make(chan int, 1)
	go func() {
		done <- runCLI(ctx, append([]string{"sandbox", "--listen", "127.0.0.1:0"}, args...), e)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	var banner []string
	for len(banner) < bannerLines && lines.Scan() {
		banner = append(banner, lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("sandbox exit %d; stderr %s", code, stderr.String())
	}
	if len(banner) != bannerLines {
		t.Fatalf("banner %q", banner)
	}
	if !regexp.MustCompile(`^sandbox listening on http://127\.0\.0\.1:\d+$`).MatchString(banner[0]) {
		t.Fatalf("first line %q", banner[0])
	}
	return banner
}

// TestSandboxPermissions: against a sandbox whose OAuth client lacks a
// permission, plan fails and names it, as a real org's would.
func TestSandboxPermissions(t *testing.T) {
	dir := t.TempDir()
	fixture := `orgs:
  - id: "a0000000-0000-4000-8000-000000000001"
    name: Home
    clients:
      - id: limited
        secret: limited-secret-NOT-A-REAL-SECRET
        permissions: [authorization:role:view, authorization:orgTrustee:view]
    roles: [{id: "a1000000-0000-4000-8000-000000000001", name: Agent}]
  - id: "b0000000-0000-4000-8000-000000000002"
    name: Partner
    users: [{id: "b2000000-0000-4000-8000-000000000001", name: Pat}]
trusts:
  - trustor: "a0000000-0000-4000-8000-000000000001"
    trustee: "b0000000-0000-4000-8000-000000000002"
    users: [{id: "b2000000-0000-4000-8000-000000000001", roles: ["a1000000-0000-4000-8000-000000000001"]}]
`
	desired := `version: 1
trustees:
  - id: "b0000000-0000-4000-8000-000000000002"
    users:
      - id: "b2000000-0000-4000-8000-000000000001"
        roles: [Agent]
`
	if err := os.WriteFile(filepath.Join(dir, "trusts.yaml"), []byte(desired), 0o644); err != nil {
		t.Fatal(err)
	}
	fx, err := sandbox.ParseFixture("fixture.yaml", []byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	base := serveSandbox(t, fx)
	out, errOut, code := runPlan(t, dir, base, "limited", "limited-secret-NOT-A-REAL-SECRET", "-f", "trusts.yaml")
	if code != 1 {
		t.Fatalf("plan exit %d, want 1; stdout %s stderr %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "authorization:orgTrusteeUser:view") || !strings.Contains(errOut, "403") {
		t.Errorf("stderr does not name the missing permission: %s", errOut)
	}
}
