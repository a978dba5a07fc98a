package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trustsync/trustsync/internal/client"
	"github.com/trustsync/trustsync/internal/sandbox"
)

// Environment variables of the connection settings. The credential and
// region names are those of the official Genesys Cloud CLI and Terraform
// provider.
const (
	envClientID     = "GENESYSCLOUD_OAUTHCLIENT_ID"
	envClientSecret = "GENESYSCLOUD_OAUTHCLIENT_SECRET"
	envAccessToken  = "GENESYSCLOUD_ACCESS_TOKEN"
	envRegion       = "GENESYSCLOUD_REGION"
	envAPIURL       = "TRUSTSYNC_API_URL"
	envTokenPool    = "TRUSTSYNC_TOKEN_POOL_SIZE"
)

// connFlags are the connection settings of every command that talks to an
// org. Commands embed it; secrets never come from flags, only from the
// environment.
type connFlags struct {
	Region      string        `name:"region" placeholder:"REGION" help:"Genesys Cloud region key (eu-west-1) or domain (mypurecloud.ie). Flags beat the environment: without --api-url or --region, $TRUSTSYNC_API_URL, then $GENESYSCLOUD_REGION, then organization.region of the file decide."`
	APIURL      string        `name:"api-url" placeholder:"URL" help:"API base URL, also used for login (for example a sandbox), instead of a region; beats --region. Plain http only for loopback addresses. Default: $TRUSTSYNC_API_URL when no --region is given."`
	Sandbox     bool          `name:"sandbox" help:"Talk to an in-process sandbox with the demo orgs (state in .trustsync/sandbox.json), as the home org."`
	Concurrency int           `name:"concurrency" default:"8" help:"Maximum API requests in flight: the one bound on plan reads, apply writes and read-backs alike."`
	RateLimit   int           `name:"rate-limit" default:"0" placeholder:"N" help:"At most N API requests per minute per token (0: only what the service allows), to leave capacity to other integrations."`
	TokenPool   int           `name:"token-pool-size" default:"0" placeholder:"N" help:"Take N access tokens (1 to 20) from the client credentials and spread requests over them, each with its own pacing and Retry-After pause. Default: $TRUSTSYNC_TOKEN_POOL_SIZE, else 1."`
	MaxAttempts int           `name:"max-attempts" default:"5" placeholder:"N" help:"Attempts per API request (retries of 429, 502, 503, 504 and connection errors)."`
	Timeout     time.Duration `name:"timeout" default:"2m" help:"Deadline of one API call including its retries."`
	Debug       bool          `name:"debug" help:"Log one line per HTTP request to stderr (method, path, status, duration, attempt, correlation id; secrets redacted)."`

	// Set by code, never by flags (connection.go).
	conn connState `kong:"-"`
}

// check validates the flag values and combinations.
func (f *connFlags) check() error {
	switch {
	case f.Concurrency < 1:
		return fmt.Errorf("--concurrency must be at least 1, got %d", f.Concurrency)
	case f.RateLimit < 0:
		return fmt.Errorf("--rate-limit must not be negative, got %d", f.RateLimit)
	case f.TokenPool < 0 || f.TokenPool > client.MaxTokenPoolSize:
		return fmt.Errorf("--token-pool-size must be from 1 to %d, got %d", client.MaxTokenPoolSize, f.TokenPool)
	case f.MaxAttempts < 1:
		return fmt.Errorf("--max-attempts must be at least 1, got %d", f.MaxAttempts)
	case f.Timeout <= 0:
		return fmt.Errorf("--timeout must be positive, got %s", f.Timeout)
	case f.Sandbox && f.APIURL != "":
		return errors.New("--sandbox and --api-url both name the service to use; give one")
	case f.Sandbox && f.Region != "":
		return errors.New("--sandbox and --region both name the service to use; give one")
	}
	return nil
}

// connect builds the API client the flags, the environment and the
// configuration's region (cfgRegion, "" when none) call for. The returned
// func releases the connection: it stops an in-process sandbox and writes
// its state; it is safe to call more than once.
func (f *connFlags) connect(e *env, cfgRegion string) (*client.Client, func() error, error) {
	if err := f.check(); err != nil {
		return nil, nil, err
	}
	version := e.version
	if version == "" {
		version = "dev"
	}
	getenv := e.getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	pool, err := f.poolSize(getenv)
	if err != nil {
		return nil, nil, err
	}
	cfg := client.Config{
		Concurrency:   f.Concurrency,
		RateLimit:     f.RateLimit,
		TokenPoolSize: pool,
		MaxAttempts:   f.MaxAttempts,
		Deadline:      f.Timeout,
		UserAgent:     "trustsync/" + version,
	}
	if f.Debug {
		cfg.Debug = e.stderr
	}
	if f.Sandbox {
		return connectSandbox(e, cfg, &f.conn)
	}
	var from endpointSource
	if cfg.APIURL, cfg.LoginURL, from, err = f.endpoints(getenv, cfgRegion); err != nil {
		return nil, nil, err
	}
	credVar, err := credentials(getenv, &cfg)
	if err != nil {
		return nil, nil, err
	}
	if cfg.AccessToken != "" && pool > 1 {
		fmt.Fprintf(e.stderr, "trustsync: warning: %s is one ready token, so the token pool has one token, not the %d asked for; set %s and %s instead to take %d\n",
			envAccessToken, pool, envClientID, envClientSecret, pool)
	}
	f.conn.connected(e, from, cfg.APIURL, credVar)
	c, err := client.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return c, func() error { return nil }, nil
}

// poolSize is the token pool's size: --token-pool-size when given, else
// $TRUSTSYNC_TOKEN_POOL_SIZE, else 1.
func (f *connFlags) poolSize(getenv func(string) string) (int, error) {
	if f.TokenPool > 0 {
		return f.TokenPool, nil
	}
	v := strings.TrimSpace(getenv(envTokenPool))
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > client.MaxTokenPoolSize {
		return 0, fmt.Errorf("%s=%q: want a whole number from 1 to %d (how many access tokens to take)", envTokenPool, v, client.MaxTokenPoolSize)
	}
	return n, nil
}

// endpoints picks the API and login base URLs from the first of these that
// is set: the flags --api-url and --region, then the environment
// (TRUSTSYNC_API_URL, GENESYSCLOUD_REGION), then the configuration's
// organization.region. The command line always beats the environment, so
// a leftover export never overrides what was typed.
func (f *connFlags) endpoints(getenv func(string) string, cfgRegion string) (apiURL, loginURL string, from endpointSource, err error) {
	sources := []endpointSource{
		{"--api-url", f.APIURL, true},
		{"--region", f.Region, false},
	}
	if f.conn.saved != nil {
		// A saved plan's connection beats the environment, not the flags.
		sources = append(sources, f.conn.saved.source())
	}
	sources = append(sources,
		endpointSource{envAPIURL, getenv(envAPIURL), true},
		endpointSource{envRegion, getenv(envRegion), false},
		endpointSource{"organization.region", cfgRegion, false},
	)
	for _, src := range sources {
		v := strings.TrimSpace(src.val)
		if v == "" {
			continue
		}
		if src.isURL {
			u := strings.TrimRight(v, "/")
			if err := client.CheckBaseURL(u); err != nil {
				return "", "", src, fmt.Errorf("%s: %w", src.name, err)
			}
			src.val = u
			return u, u, src, nil
		}
		api, login, err := client.EndpointsFor(v)
		if err != nil {
			return "", "", src, fmt.Errorf("%s: %w", src.name, err)
		}
		src.val = v
		return api, login, src, nil
	}
	return "", "", endpointSource{}, fmt.Errorf("no region: set --region or %s (for example eu-west-1), or organization.region in the file\nhint: run with --sandbox to try trustsync against the built-in demo orgs", envRegion)
}

// credentials fills in the secrets from the environment: a ready access
// token wins over client credentials. It returns the variable that names
// the credentials used (the token's, or the client id's).
func credentials(getenv func(string) string, cfg *client.Config) (string, error) {
	tok := strings.TrimSpace(getenv(envAccessToken))
	id := strings.TrimSpace(getenv(envClientID))
	secret := strings.TrimSpace(getenv(envClientSecret))
	switch {
	case tok != "":
		cfg.AccessToken = tok
		return envAccessToken, nil
	case id != "" && secret != "":
		cfg.ClientID, cfg.ClientSecret = id, secret
		return envClientID, nil
	case id != "":
		return "", fmt.Errorf("%s is not set (%s is); set both, the OAuth client's secret and id, or %s", envClientSecret, envClientID, envAccessToken)
	case secret != "":
		return "", fmt.Errorf("%s is not set (%s is); set both, the OAuth client's id and secret, or %s", envClientID, envClientSecret, envAccessToken)
	default:
		return "", fmt.Errorf("no credentials: set %s and %s (an OAuth client-credentials client), or %s\nhint: run with --sandbox to try trustsync against the built-in demo orgs", envClientID, envClientSecret, envAccessToken)
	}
}

// connectSandbox serves the demo sandbox on a loopback port in-process,
// with its state in <workDir>/.trustsync/sandbox.json, and connects to it as
// the home org's first client.
func connectSandbox(e *env, cfg client.Config, st *connState) (*client.Client, func() error, error) {
	dir := filepath.Join(e.workDir, ".trustsync")
	statePath := filepath.Join(dir, "sandbox.json")
	if p := st.sandboxState(); p != "" {
		statePath = resolvePath(e.workDir, p)
		dir = filepath.Dir(statePath)
	}
	if err := ensureStateDir(dir); err != nil {
		return nil, nil, err
	}
	srv, err := sandbox.New(sandbox.DemoFixture(), sandbox.Options{StatePath: statePath, Now: e.clock()})
	if errors.Is(err, sandbox.ErrStateInUse) {
		return nil, nil, fmt.Errorf("start the sandbox: %w\nhint: wait for the other run to finish, then try again", err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("start the sandbox: %w\nhint: remove %s to start again from the demo orgs", err, statePath)
	}
	orgs := srv.Orgs()
	if len(orgs) == 0 || len(orgs[0].Clients) == 0 {
		return nil, nil, errors.New("start the sandbox: its home org has no OAuth client")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("start the sandbox: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	var c *client.Client
	var once sync.Once
	var closeErr error
	closeFn := func() error {
		once.Do(func() {
			// Our own keep-alive connections would hold up the shutdown.
			if c != nil {
				c.CloseIdleConnections()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var err error
			if serr := hs.Shutdown(ctx); serr != nil {
				// The command is done with the sandbox: cut whatever is
				// still open after the grace period.
				_ = hs.Close()
			}
			if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
				err = serr
			}
			if cerr := srv.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("save sandbox state: %w", cerr))
			}
			if err != nil {
				closeErr = fmt.Errorf("stop the sandbox: %w", err)
			}
		})
		return closeErr
	}

	base := "http://" + ln.Addr().String()
	cfg.APIURL, cfg.LoginURL = base, base
	cfg.ClientID, cfg.ClientSecret = orgs[0].Clients[0].ID, orgs[0].Clients[0].Secret
	if c, err = client.New(cfg); err != nil {
		return nil, nil, errors.Join(err, closeFn())
	}
	st.connectedSandbox(e, statePath, orgs[0].Clients[0].ID)
	return c, closeFn, nil
}

// ensureStateDir creates dir with a .gitignore that keeps its content out
// of version control.
func ensureStateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	gi := filepath.Join(dir, ".gitignore")
	if _, err := os.Stat(gi); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("check %s: %w", gi, err)
	}
	if err := os.WriteFile(gi, []byte("# trustsync's local state (sandbox); never commit it.\n*\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", gi, err)
	}
	return nil
}
