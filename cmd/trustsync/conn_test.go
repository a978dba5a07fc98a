package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kong"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/sandbox"
)

const (
	connHomeOrg  = "a0000000-0000-4000-8000-000000000001"
	connBluebird = "b0000000-0000-4000-8000-000000000002"
	connBen      = "b2000000-0000-4000-8000-000000000003"
)

// defaultConn is connFlags with kong's defaults.
func defaultConnFlags() connFlags {
	return connFlags{Concurrency: 8, MaxAttempts: 5, Timeout: 2 * time.Minute}
}

func connTestEnv(t *testing.T, vars map[string]string) (*env, *bytes.Buffer) {
	t.Helper()
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return &env{
		ctx:     ctx,
		stdout:  &bytes.Buffer{},
		stderr:  &stderr,
		getenv:  func(k string) string { return vars[k] },
		version: "1.0.0-test",
		workDir: t.TempDir(),
	}, &stderr
}

func TestConnFlagsParse(t *testing.T) {
	var cli struct {
		connFlags `embed:""`
	}
	p, err := kong.New(&cli, kong.Exit(func(int) { t.Fatal("kong exited") }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if got := cli.connFlags; got != defaultConnFlags() {
		t.Errorf("defaults = %+v, want %+v", got, defaultConnFlags())
	}
	if _, err := p.Parse([]string{"--region", "eu_west_1", "--api-url", "http://127.0.0.1:9", "--concurrency", "2",
		"--rate-limit", "120", "--max-attempts", "3", "--timeout", "30s", "--debug"}); err != nil {
		t.Fatal(err)
	}
	want := connFlags{Region: "eu_west_1", APIURL: "http://127.0.0.1:9", Concurrency: 2, RateLimit: 120, MaxAttempts: 3, Timeout: 30 * time.Second, Debug: true}
	if cli.connFlags != want {
		t.Errorf("parsed = %+v, want %+v", cli.connFlags, want)
	}
}

func TestEndpointsPrecedence(t *testing.T) {
	tests := []struct {
		name      string
		flags     connFlags
		vars      map[string]string
		cfgRegion string
		wantAPI   string
		wantLogin string
		wantErr   string
	}{
		{name: "config region", cfgRegion: "eu-west-1", wantAPI: "https://api.mypurecloud.ie", wantLogin: "https://login.mypurecloud.ie"},
		{name: "env beats config", vars: map[string]string{envRegion: "eu_central_1"}, cfgRegion: "eu-west-1", wantAPI: "https://api.mypurecloud.de"},
		{name: "flag beats env", flags: connFlags{Region: "ap-northeast-1"}, vars: map[string]string{envRegion: "eu-central-1"}, cfgRegion: "eu-west-1", wantAPI: "https://api.mypurecloud.jp"},
		{name: "domain", flags: connFlags{Region: "usw2.pure.cloud"}, wantAPI: "https://api.usw2.pure.cloud", wantLogin: "https://login.usw2.pure.cloud"},
		{name: "env api url beats env region", vars: map[string]string{envAPIURL: "http://127.0.0.1:8080/", envRegion: "eu-west-1"}, cfgRegion: "eu-central-1", wantAPI: "http://127.0.0.1:8080", wantLogin: "http://127.0.0.1:8080"},
		{name: "env api url beats config", vars: map[string]string{envAPIURL: "http://127.0.0.1:8080"}, cfgRegion: "eu-west-1", wantAPI: "http://127.0.0.1:8080"},
		{name: "api url flag beats env", flags: connFlags{APIURL: "https://api.example.test"}, vars: map[string]string{envAPIURL: "http://127.0.0.1:1"}, wantAPI: "https://api.example.test"},
		{name: "api url flag beats region flag", flags: connFlags{APIURL: "https://api.example.test", Region: "eu-west-1"}, wantAPI: "https://api.example.test", wantLogin: "https://api.example.test"},
		// A leftover export never overrides the command line.
		{name: "region flag beats env api url", flags: connFlags{Region: "eu-west-1"}, vars: map[string]string{envAPIURL: "http://127.0.0.1:8080"}, wantAPI: "https://api.mypurecloud.ie", wantLogin: "https://login.mypurecloud.ie"},
		{name: "region flag beats both env", flags: connFlags{Region: "eu-west-1"}, vars: map[string]string{envAPIURL: "http://127.0.0.1:8080", envRegion: "eu-central-1"}, cfgRegion: "ap-northeast-1", wantAPI: "https://api.mypurecloud.ie"},
		{name: "invalid env api url ignored under region flag", flags: connFlags{Region: "eu-west-1"}, vars: map[string]string{envAPIURL: "http://10.0.0.1"}, wantAPI: "https://api.mypurecloud.ie"},
		{name: "no region", wantErr: "no region: set --region or GENESYSCLOUD_REGION"},
		{name: "unknown flag region", flags: connFlags{Region: "eu-west-7"}, wantErr: `--region: unknown region "eu-west-7"; valid regions: ap-northeast-1,`},
		{name: "unknown env region", vars: map[string]string{envRegion: "moon"}, wantErr: "GENESYSCLOUD_REGION: unknown region"},
		{name: "unknown config region", cfgRegion: "mars-1", wantErr: "organization.region: unknown region"},
		{name: "http remote", flags: connFlags{APIURL: "http://api.example.com"}, wantErr: "--api-url: URL \"http://api.example.com\": plain http is allowed only for loopback addresses"},
		{name: "http remote env", vars: map[string]string{envAPIURL: "http://10.0.0.1"}, wantErr: "TRUSTSYNC_API_URL: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, login, _, err := tt.flags.endpoints(func(k string) string { return tt.vars[k] }, tt.cfgRegion)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if api != tt.wantAPI || (tt.wantLogin != "" && login != tt.wantLogin) {
				t.Errorf("endpoints = %q, %q; want %q, %q", api, login, tt.wantAPI, tt.wantLogin)
			}
		})
	}
}

func TestConnectCredentials(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		wantErr  []string
		wantLine string // on stderr
	}{
		{name: "none", vars: map[string]string{}, wantErr: []string{envClientID, envClientSecret, envAccessToken, "--sandbox"}},
		{name: "id only", vars: map[string]string{envClientID: "id"}, wantErr: []string{envClientSecret + " is not set"}},
		{name: "secret only", vars: map[string]string{envClientSecret: "s"}, wantErr: []string{envClientID + " is not set"}},
		{name: "client credentials", vars: map[string]string{envClientID: "id", envClientSecret: "s"},
			wantLine: "trustsync: connecting to region eu-west-1 (https://api.mypurecloud.ie), from GENESYSCLOUD_REGION, with GENESYSCLOUD_OAUTHCLIENT_ID\n"},
		{name: "access token", vars: map[string]string{envAccessToken: "tok", envClientID: "id"},
			wantLine: "trustsync: connecting to region eu-west-1 (https://api.mypurecloud.ie), from GENESYSCLOUD_REGION, with GENESYSCLOUD_ACCESS_TOKEN\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.vars[envRegion] = "eu-west-1"
			e, stderr := connTestEnv(t, tt.vars)
			f := defaultConnFlags()
			c, closeFn, err := f.connect(e, "")
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("connect succeeded")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("err = %q, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil || c == nil {
				t.Fatalf("connect = %v, %v", c, err)
			}
			if err := closeFn(); err != nil {
				t.Error(err)
			}
			if stderr.String() != tt.wantLine {
				t.Errorf("stderr = %q, want %q", stderr, tt.wantLine)
			}
		})
	}
}

func TestConnFlagsCheck(t *testing.T) {
	tests := []struct {
		mod  func(*connFlags)
		want string
	}{
		{func(f *connFlags) { f.Concurrency = 0 }, "--concurrency"},
		{func(f *connFlags) { f.RateLimit = -1 }, "--rate-limit"},
		{func(f *connFlags) { f.TokenPool = 21 }, "--token-pool-size must be from 1 to 20"},
		{func(f *connFlags) { f.TokenPool = -1 }, "--token-pool-size must be from 1 to 20"},
		{func(f *connFlags) { f.MaxAttempts = 0 }, "--max-attempts"},
		{func(f *connFlags) { f.Timeout = 0 }, "--timeout"},
		{func(f *connFlags) { f.Sandbox, f.APIURL = true, "http://127.0.0.1:1" }, "--sandbox and --api-url"},
		{func(f *connFlags) { f.Sandbox, f.Region = true, "eu-west-1" }, "--sandbox and --region"},
	}
	for _, tt := range tests {
		f := defaultConnFlags()
		tt.mod(&f)
		e, _ := connTestEnv(t, nil)
		if _, _, err := f.connect(e, ""); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("connect = %v, want an error about %s", err, tt.want)
		}
	}
}

// TestConnectAPIURL connects to a sandbox through TRUSTSYNC_API_URL with
// credentials from the environment and --debug on.
func TestConnectAPIURL(t *testing.T) {
	srv, err := sandbox.New(sandbox.DemoFixture(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	home := srv.Orgs()[0]
	e, stderr := connTestEnv(t, map[string]string{
		envAPIURL:       ts.URL,
		envClientID:     home.Clients[0].ID,
		envClientSecret: home.Clients[0].Secret,
	})
	f := defaultConnFlags()
	f.Debug = true
	c, closeFn, err := f.connect(e, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	me, err := c.GetOrganizationMe(e.ctx)
	if err != nil || me.ID != connHomeOrg {
		t.Fatalf("GetOrganizationMe = %v, %v", me, err)
	}
	log := stderr.String()
	if !strings.Contains(log, "debug: GET /api/v2/organizations/me 200") || strings.Contains(log, home.Clients[0].Secret) {
		t.Errorf("debug log:\n%s", log)
	}
}

// TestConnectSandbox runs the in-process sandbox twice in one working
// directory: the state written at close is there the second time.
func TestConnectSandbox(t *testing.T) {
	e, _ := connTestEnv(t, map[string]string{envRegion: "nowhere"}) // ignored by --sandbox
	f := defaultConnFlags()
	f.Sandbox = true
	c, closeFn, err := f.connect(e, "also-ignored")
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.GetOrganizationMe(e.ctx)
	if err != nil || me.ID != connHomeOrg {
		t.Fatalf("GetOrganizationMe = %v, %v", me, err)
	}
	if o, err := c.DeleteTrusteeUser(e.ctx, connBluebird, connBen); err != nil || o != client.Applied {
		t.Fatalf("DeleteTrusteeUser = %v, %v", o, err)
	}
	if err := closeFn(); err != nil {
		t.Fatal(err)
	}
	if err := closeFn(); err != nil {
		t.Errorf("second close: %v", err)
	}
	gi, err := os.ReadFile(filepath.Join(e.workDir, ".trustsync", ".gitignore"))
	if err != nil || !strings.Contains(string(gi), "\n*\n") {
		t.Errorf(".gitignore = %q, %v", gi, err)
	}
	if _, err := os.Stat(filepath.Join(e.workDir, ".trustsync", "sandbox.json")); err != nil {
		t.Errorf("no state file: %v", err)
	}

	c2, close2, err := f.connect(e, "")
	if err != nil {
		t.Fatal(err)
	}
	defer close2()
	if _, err := c2.GetTrusteeUser(e.ctx, connBluebird, connBen); !client.IsNotFound(err) {
		t.Errorf("the removed user is back after a restart: %v", err)
	}
}

func TestConnectSandboxBadState(t *testing.T) {
	e, _ := connTestEnv(t, nil)
	dir := filepath.Join(e.workDir, ".trustsync")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sandbox.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := defaultConnFlags()
	f.Sandbox = true
	_, _, err := f.connect(e, "")
	if err == nil || !strings.Contains(err.Error(), "start the sandbox") || !strings.Contains(err.Error(), "hint: remove") {
		t.Errorf("err = %v", err)
	}
	// The .gitignore was written even so.
	if _, err := os.Stat(filepath.Join(dir, ".gitignore")); err != nil {
		t.Error(err)
	}
}

// TestConnectTokenPool: the pool size comes from the flag, else the
// environment, else 1, and reaches the client; a ready access token makes
// a pool of one and says so.
func TestConnectTokenPool(t *testing.T) {
	tests := []struct {
		name     string
		flag     int
		vars     map[string]string
		want     int
		wantWarn bool
	}{
		{name: "default", want: 1},
		{name: "flag", flag: 4, want: 4},
		{name: "env", vars: map[string]string{envTokenPool: "3"}, want: 3},
		{name: "flag beats env", flag: 2, vars: map[string]string{envTokenPool: "5"}, want: 2},
		{name: "max", flag: 20, want: 20},
		{name: "access token", flag: 4, vars: map[string]string{envAccessToken: "tok"}, want: 1, wantWarn: true},
		{name: "access token from env pool", vars: map[string]string{envAccessToken: "tok", envTokenPool: "2"}, want: 1, wantWarn: true},
		{name: "access token alone", vars: map[string]string{envAccessToken: "tok"}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{envRegion: "eu-west-1", envClientID: "id", envClientSecret: "s"}
			for k, v := range tt.vars {
				vars[k] = v
			}
			e, stderr := connTestEnv(t, vars)
			f := defaultConnFlags()
			f.TokenPool = tt.flag
			c, closeFn, err := f.connect(e, "")
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			if got := len(c.Stats().Tokens); got != tt.want {
				t.Errorf("pool of %d tokens, want %d", got, tt.want)
			}
			warned := strings.Contains(stderr.String(), "the token pool has one token")
			if warned != tt.wantWarn {
				t.Errorf("warning = %v, want %v; stderr: %q", warned, tt.wantWarn, stderr.String())
			}
		})
	}
	for _, bad := range []string{"0", "21", "two", "-1"} {
		e, _ := connTestEnv(t, map[string]string{envRegion: "eu-west-1", envClientID: "id", envClientSecret: "s", envTokenPool: bad})
		f := defaultConnFlags()
		if _, _, err := f.connect(e, ""); err == nil || !strings.Contains(err.Error(), envTokenPool) {
			t.Errorf("%s=%s: err = %v, want it named", envTokenPool, bad, err)
		}
	}
}
