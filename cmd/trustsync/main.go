// Command trustsync manages Genesys Cloud organization authorization (trusts
// between organizations) from a reviewable YAML desired-state file.
//
//	trustsync validate -f trusts.yaml      check the file offline
//	trustsync plan     -f trusts.yaml      show what would change
//	trustsync apply    -f trusts.yaml      make live state match the file
//	trustsync show     plan.json           show a saved plan, offline
//	trustsync sandbox                      run a local emulator of the API
//	trustsync targets orgs/                list the org directories, as JSON
//
// See README.md for the file format, authentication and exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"golang.org/x/term"

	"github.com/trustsync/trustsync/internal/version"
)

// cli is the command tree. Each command is one struct with a Run method.
type cli struct {
	NoColor bool `name:"no-color" help:"Never use colour (also when NO_COLOR is set or TERM=dumb)."`

	Validate validateCmd `cmd:"" help:"Check desired-state files offline (schema, semantics, policy)."`
	Plan     planCmd     `cmd:"" help:"Read live state and show the changes apply would make."`
	Apply    applyCmd    `cmd:"" help:"Make live state match the desired-state files."`
	Show     showCmd     `cmd:"" help:"Show a saved plan (text, markdown or json), offline: no credentials, no connection."`
	Export   exportCmd   `cmd:"" help:"Write live state as a desired-state file to start managing an existing org from."`
	Audit    auditCmd    `cmd:"" help:"Show recent changes to trusts from the audit log."`
	Pairing  pairingCmd  `cmd:"" help:"Create or show a pairing, the one-time id another org creates a trust with."`
	Report   reportCmd   `cmd:"" help:"Write the access review: every trust, its users, roles, expiry and what to look at."`
	Targets  targetsCmd  `cmd:"" help:"List the org directories of a repository of many orgs, as JSON (for a CI matrix)."`
	Sandbox  sandboxCmd  `cmd:"" help:"Run a local emulator of the Genesys Cloud orgauthorization API."`
	Version  versionCmd  `cmd:"" help:"Print the trustsync version, commit and Go version."`
	Github   githubCmd   `cmd:"" name:"github" hidden:"" help:"Talk to GitHub from a workflow: the plan comment, the job summary, drift issues."`
}

// env is what commands need from the process; tests and main fill it in.
type env struct {
	// ctx is cancelled by the first interrupt (SIGINT, SIGTERM): commands
	// stop reading, the prompt cancels, and apply starts no new change.
	ctx context.Context
	// hard is cancelled by a second interrupt: apply stops at once. nil
	// means never.
	hard   context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// version is build.Version, the version requests and files carry.
	version string
	build   version.Info
	// isTerminal reports whether the given stream is an interactive terminal.
	isTerminal func(f any) bool
	// workDir is the directory relative paths are resolved against.
	workDir string
	// command is the command being run ("plan", "pairing create"), for
	// messages that name it.
	command string
	// now is the clock every command and the in-process sandbox use; nil
	// means time.Now. Tests pin it so that expiry windows and days left do
	// not depend on the day they run.
	now func() time.Time
}

// clock returns the environment's clock.
func (e *env) clock() func() time.Time {
	if e.now == nil {
		return time.Now
	}
	return e.now
}

// buildInfo is the running build, with e.version when the build
// information has no version.
func (e *env) buildInfo() version.Info {
	b := e.build
	if b.Version == "" {
		b.Version = e.version
	}
	return b
}

// exitError carries a process exit code out of a command's Run. A nil err
// means the command has already reported what went wrong (or nothing did).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// ExitCode is the code the process exits with.
func (e *exitError) ExitCode() int { return e.code }

// hardContext returns the context apply's requests run under: cancelled
// by the second interrupt, and not by the first.
func (e *env) hardContext() context.Context {
	if e.hard != nil {
		return e.hard
	}
	return context.WithoutCancel(e.ctx)
}

// interrupts returns a context cancelled by the first SIGINT or SIGTERM
// and one cancelled by the second; stop ends the watch.
func interrupts() (first, second context.Context, stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	first, cancelFirst := context.WithCancelCause(context.Background())
	second, cancelSecond := context.WithCancelCause(context.Background())
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case s := <-sigs:
				if n == 1 {
					cancelFirst(fmt.Errorf("received %v", s))
					continue
				}
				cancelSecond(fmt.Errorf("received %v again", s))
				return
			case <-done:
				return
			}
		}
	}()
	return first, second, func() {
		signal.Stop(sigs)
		close(done)
		cancelFirst(nil)
		cancelSecond(nil)
	}
}

func main() { os.Exit(mainWithClock(time.Now)) }

// mainWithClock runs the command line of the process with the given clock
// and returns its exit code.
func mainWithClock(now func() time.Time) int {
	ctx, hard, stop := interrupts()
	build := version.Get()
	code := runCLI(ctx, os.Args[1:], &env{
		ctx:     ctx,
		hard:    hard,
		stdin:   os.Stdin,
		stdout:  os.Stdout,
		stderr:  os.Stderr,
		getenv:  os.Getenv,
		version: build.Version,
		build:   build,
		isTerminal: func(f any) bool {
			file, ok := f.(*os.File)
			return ok && term.IsTerminal(int(file.Fd()))
		},
		workDir: ".",
		now:     now,
	})
	stop()
	return code
}

// runCLI parses args, runs the chosen command and returns the exit code.
func runCLI(ctx context.Context, args []string, e *env) int {
	var root cli
	exitCode := -1
	parser, err := kong.New(&root,
		kong.Name("trustsync"),
		kong.Description("Declarative, reviewable Genesys Cloud organization authorization."),
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(func(code int) { exitCode = code }),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.Bind(e),
		kong.Vars{"version": e.version},
	)
	if err != nil {
		fmt.Fprintf(e.stderr, "trustsync: %v\n", err)
		return 1
	}
	if len(args) == 0 { // a bare trustsync: the usage, which is not an error
		_, _ = parser.Parse([]string{"--help"})
		return 0
	}
	kctx, err := parser.Parse(args)
	if exitCode >= 0 { // --help and friends
		return exitCode
	}
	if err != nil {
		return usageError(e.stderr, parser, args, err)
	}
	if root.Apply.PlanFile != "" && !isSavedPlan(resolvePath(e.workDir, root.Apply.PlanFile)) {
		if hint := positionalConfig(kctx, args); hint != "" {
			fmt.Fprintf(e.stderr, "trustsync: %s\n", hint)
			return 1
		}
	}
	if colorOff(root.NoColor, e.getenv) {
		e.getenv = withNoColor(e.getenv)
	}
	e.command = commandName(kctx.Command())
	if err := kctx.Run(); err != nil {
		return reportError(e.stderr, withPermissionHint(e.command, err))
	}
	return 0
}

// reportError prints err (unless it was already reported) and returns the
// exit code it carries, 1 by default.
func reportError(w io.Writer, err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(w, "trustsync: %v\n", ee.err)
			printCredentialHint(w, ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(w, "trustsync: %v\n", err)
	printCredentialHint(w, err)
	return 1
}

// printCredentialHint says which variables to fix when err is the
// service refusing the credentials, unless err already says it.
func printCredentialHint(w io.Writer, err error) {
	if h := credentialHint(err); h != "" && !strings.Contains(err.Error(), h) {
		fmt.Fprintln(w, h)
	}
}

// versionCmd prints the version, the commit and the Go version.
type versionCmd struct{}

func (versionCmd) Run(e *env) error {
	b := e.buildInfo()
	commit := b.Commit
	switch {
	case commit == "":
		commit = "unknown (built without VCS information)"
	case b.Modified:
		commit += " (with uncommitted changes)"
	}
	_, err := fmt.Fprintf(e.stdout, "trustsync %s\ncommit %s\n%s %s\n", b.Version, commit, b.GoVersion, b.Platform)
	return err
}
