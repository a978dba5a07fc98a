package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/trustsync/trustsync/internal/sandbox"
)

// sandboxCmd runs the API emulator until SIGINT or SIGTERM.
type sandboxCmd struct {
	Listen      string        `default:"127.0.0.1:9400" placeholder:"ADDR" help:"Address to listen on (default ${default}); port 0 picks a free port."`
	Fixture     string        `placeholder:"FILE" help:"Fixture YAML with the orgs, clients, roles, users, groups and trusts to start with (default: the built-in demo)."`
	Generate    string        `placeholder:"SPEC" help:"Start from a generated fixture instead: trustees=T,users=U,trustors=R,roles=N[,groups=G][,seed=S]."`
	WriteConfig string        `placeholder:"FILE" help:"With --generate, write a desired-state file for the home org that differs from the sandbox in about 5% of objects."`
	State       string        `placeholder:"FILE" help:"Keep the whole sandbox in this JSON file: loaded at start when it exists, rewritten after every change."`
	Latency     time.Duration `placeholder:"DUR" help:"Delay every API request by this long, e.g. 50ms."`
	RateLimit   int           `placeholder:"N" help:"Requests per minute allowed per access token (429 beyond); 0 means unlimited."`
	FaultRate   float64       `placeholder:"P" help:"Probability from 0 to 1 that an API request fails with 502, 503 or 504."`
	FaultSeed   int64         `placeholder:"N" help:"Seed of the random faults: the same seed gives the same faults."`
}

// shutdownGrace is how long in-flight requests may take once a signal came.
const shutdownGrace = 5 * time.Second

// Validate checks the flag values before anything starts.
func (c *sandboxCmd) Validate() error {
	var errs []error
	if c.FaultRate < 0 || c.FaultRate > 1 || math.IsNaN(c.FaultRate) {
		errs = append(errs, fmt.Errorf("--fault-rate must be between 0 and 1, got %v", c.FaultRate))
	}
	if c.RateLimit < 0 {
		errs = append(errs, fmt.Errorf("--rate-limit must be 0 (unlimited) or more, got %d", c.RateLimit))
	}
	if c.Latency < 0 {
		errs = append(errs, fmt.Errorf("--latency must not be negative, got %v", c.Latency))
	}
	if c.Generate != "" && c.Fixture != "" {
		errs = append(errs, errors.New("--generate and --fixture both say what to start from; give one"))
	}
	if c.WriteConfig != "" && c.Generate == "" {
		errs = append(errs, errors.New("--write-config needs --generate (it describes the generated orgs)"))
	}
	if c.Generate != "" {
		if _, err := sandbox.ParseGenerateSpec(c.Generate); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Run starts the sandbox, prints where it listens and the demo
// credentials, and serves until e.ctx ends.
func (c *sandboxCmd) Run(e *env) error {
	ctx := e.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	fx := sandbox.DemoFixture()
	var spec sandbox.GenerateSpec
	switch {
	case c.Fixture != "":
		var err error
		if fx, err = sandbox.LoadFixture(c.resolve(e, c.Fixture)); err != nil {
			return &exitError{code: 1, err: err}
		}
	case c.Generate != "":
		var err error
		if spec, err = sandbox.ParseGenerateSpec(c.Generate); err != nil {
			return &exitError{code: 1, err: err}
		}
		if fx, err = sandbox.Generate(spec); err != nil {
			return &exitError{code: 1, err: err}
		}
	}
	statePath := ""
	if c.State != "" {
		statePath = c.resolve(e, c.State)
		if _, err := os.Stat(statePath); err == nil && (c.Fixture != "" || c.Generate != "") {
			fmt.Fprintf(e.stderr, "trustsync: sandbox state %s exists, so it is loaded and the fixture is not used\nhint: delete the state file to start again from the fixture\n", statePath)
		}
	}
	if c.WriteConfig != "" {
		if err := writeDesiredState(c.resolve(e, c.WriteConfig), fx, spec.Seed); err != nil {
			return &exitError{code: 1, err: err}
		}
	}
	srv, err := sandbox.New(fx, sandbox.Options{
		Latency:   c.Latency,
		RateLimit: c.RateLimit,
		FaultRate: c.FaultRate,
		FaultSeed: c.FaultSeed,
		StatePath: statePath,
		Now:       e.clock(),
	})
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("sandbox: listen on %s: %w\nhint: is another sandbox running? --listen 127.0.0.1:0 picks a free port", c.Listen, err)}
	}
	url := "http://" + dialAddr(ln.Addr())
	if err := printBanner(e, url, srv.Orgs()); err != nil {
		ln.Close()
		return errors.Join(err, srv.Close())
	}

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()

	var runErr error
	select {
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		if err := hs.Shutdown(shutCtx); err != nil {
			runErr = fmt.Errorf("sandbox: shut down: %w", err)
		}
		cancel()
	case err := <-serveErr:
		runErr = fmt.Errorf("sandbox: serve: %w", err)
	}
	if err := srv.Close(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	st := srv.Stats()
	fmt.Fprintf(e.stderr, "trustsync: sandbox stopped after %d API requests (%d writes)\n", st.Requests, st.Writes)
	return runErr
}

// writeDesiredState writes the generated desired-state file to path.
func writeDesiredState(path string, fx *sandbox.Fixture, seed uint64) error {
	var b strings.Builder
	if err := sandbox.WriteDesiredState(&b, fx, seed); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("--write-config: %w", err)
	}
	return nil
}

// resolve makes a relative path relative to the working directory.
func (c *sandboxCmd) resolve(e *env, path string) string {
	if filepath.IsAbs(path) || e.workDir == "" {
		return path
	}
	return filepath.Join(e.workDir, path)
}

// printBanner writes the listening line (scripts parse it: it is always the
// first line) and one line per org with its credentials.
func printBanner(e *env, url string, orgs []sandbox.OrgInfo) error {
	var b strings.Builder
	fmt.Fprintf(&b, "sandbox listening on %s\n", url)
	for i, o := range orgs {
		fmt.Fprintf(&b, "org %q id=%s", o.Name, o.ID)
		if len(o.Clients) == 0 {
			b.WriteString(" (no clients)")
		}
		for _, cl := range o.Clients {
			fmt.Fprintf(&b, " client_id=%s client_secret=%s", cl.ID, cl.Secret)
		}
		switch {
		case i == 0:
			b.WriteString(" (home)")
		case o.Care:
			b.WriteString(" (customer care)")
		}
		b.WriteByte('\n')
	}
	if _, err := fmt.Fprint(e.stdout, b.String()); err != nil {
		return fmt.Errorf("sandbox: write banner: %w", err)
	}
	if len(orgs) > 0 && len(orgs[0].Clients) > 0 {
		fmt.Fprintf(e.stderr, "hint: point trustsync at it with --api-url %s and GENESYSCLOUD_OAUTHCLIENT_ID=%s GENESYSCLOUD_OAUTHCLIENT_SECRET=%s; stop it with Ctrl-C\n",
			url, orgs[0].Clients[0].ID, orgs[0].Clients[0].Secret)
	}
	return nil
}

// dialAddr turns a listener address into one a client can dial: an
// unspecified host (0.0.0.0, :: or none) becomes 127.0.0.1.
func dialAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}
