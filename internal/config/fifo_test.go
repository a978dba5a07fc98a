//go:build unix

package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoadAbandonsABlockedReadWhenCancelled gives Load a FIFO that nobody
// writes to: opening it blocks forever. A cancelled context must end Load
// with an error about the interruption instead of hanging.
func TestLoadAbandonsABlockedReadWhenCancelled(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "trusts.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupted by SIGTERM"))
	cfg, diags := Load(ctx, []string{fifo}, testNow)
	if cfg != nil || len(diags) != 1 {
		t.Fatalf("Load = %v, %v; want nil and one diagnostic", cfg, diags)
	}
	if got := diags[0].String(); got != fifo+": error: reading stopped: interrupted by SIGTERM" {
		t.Errorf("diagnostic = %q", got)
	}
	// Release the abandoned open so the goroutine ends with the test.
	if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
		w.Close()
	}
}

// TestLoadReadsAFIFO checks that a FIFO with a writer is read like a file
// (process substitution: -f <(generate)).
func TestLoadReadsAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "trusts.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			done <- err
			return
		}
		_, err = w.WriteString("version: 1\ntrustees: []\n")
		done <- errors.Join(err, w.Close())
	}()
	cfg, diags := Load(context.Background(), []string{fifo}, testNow)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if diags.HasErrors() || cfg == nil || !cfg.ManageTrustees {
		t.Fatalf("Load = %+v, %v", cfg, diags)
	}
	if !strings.HasSuffix(cfg.Files[0], "trusts.yaml") {
		t.Errorf("files = %v", cfg.Files)
	}
}
