package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and
// every diagnostic must carry a file, line and column.
//
//	go test ./internal/config -run '^$' -fuzz FuzzLoad -fuzztime 30s
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	if data, err := os.ReadFile(filepath.Join("..", "..", "examples", "trusts.yaml")); err == nil {
		f.Add(data)
	}
	for _, tc := range ruleCases {
		for _, src := range tc.files {
			if len(src.data) < 4096 {
				f.Add(src.data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, diags := loadSources([]source{{name: "fuzz.yaml", data: data}}, testNow, checkAll)
		for _, d := range diags {
			if d.Pos.File != "fuzz.yaml" || d.Pos.Line < 1 || d.Pos.Col < 1 {
				t.Errorf("diagnostic without a full position: %s", d)
			}
			if d.Message == "" {
				t.Errorf("diagnostic without a message at %s", d.Pos)
			}
		}
		if cfg == nil && !diags.HasErrors() {
			t.Error("nil config without an error")
		}
		if cfg != nil {
			_ = cfg.Digest()
		}
	})
}
