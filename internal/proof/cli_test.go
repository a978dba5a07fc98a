package proof

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildCLI builds the trustsync binary into a temporary directory once per
// test that needs it, and returns its path.
func buildCLI(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("the go command is not on PATH, so the CLI cannot be built: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "trustsync")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/trustsync/trustsync/cmd/trustsync").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/trustsync: %v\n%s", err, out)
	}
	return bin
}

// cliResult is what one run of the binary left.
type cliResult struct {
	stdout, stderr string
	code           int
}

// cliCommand is the command that runs the binary in dir with env added to
// a clean environment (no credentials or endpoints of the caller's).
func cliCommand(bin, dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GENESYSCLOUD_") && !strings.HasPrefix(kv, "TRUSTSYNC_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "NO_COLOR=1")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader("")
	return cmd
}

// runCLI runs the binary in dir (see cliCommand) and returns what it left.
func runCLI(t *testing.T, bin, dir string, env []string, args ...string) cliResult {
	t.Helper()
	cmd := cliCommand(bin, dir, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("run trustsync %s: %v", strings.Join(args, " "), err)
	}
	return res
}
