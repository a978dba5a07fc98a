package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestColor runs plan against the in-process sandbox with stdout on a
// (pretend) terminal: colour is on unless --no-color, NO_COLOR or
// TERM=dumb turns it off.
func TestColor(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "trusts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		flag  bool
		vars  map[string]string
		color bool
	}{
		{"terminal", false, map[string]string{"TERM": "xterm-256color"}, true},
		{"--no-color", true, map[string]string{"TERM": "xterm-256color"}, false},
		{"NO_COLOR", false, map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"}, false},
		{"TERM=dumb", false, map[string]string{"TERM": "dumb"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "trusts.yaml"), example, 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			e := &env{
				ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
				getenv: func(k string) string { return tt.vars[k] }, version: "test", workDir: dir,
				isTerminal: func(f any) bool { return f == any(&stdout) },
			}
			args := []string{"plan", "--sandbox"}
			if tt.flag {
				args = append(args, "--no-color")
			}
			if code := runCLI(context.Background(), args, e); code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr.String())
			}
			if got := strings.Contains(stdout.String(), "\x1b["); got != tt.color {
				t.Errorf("colour %v, want %v:\n%s", got, tt.color, stdout.String())
			}
		})
	}
}
