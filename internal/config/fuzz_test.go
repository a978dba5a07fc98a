package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, every
// diagnostic must carry a file, line and column, and a valid configuration
// must load back from what Encode writes with the same digest. The seeds
// are the samples, the rule cases and testdata/fuzz/FuzzLoad (groups and
// the ways of writing version).
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
		if cfg == nil || diags.HasErrors() {
			return
		}
		// A valid configuration survives being written back.
		var b bytes.Buffer
		if err := Encode(&b, cfg, EncodeOptions{}); err != nil {
			t.Fatalf("Encode: %v", err)
		}
		again, diags := loadSources([]source{{name: "fuzz.yaml", data: b.Bytes()}}, testNow, checkAll)
		if again == nil || diags.HasErrors() {
			t.Fatalf("encoded configuration does not load:\n%v\n%s", diags, b.String())
		}
		if again.Digest() != cfg.Digest() {
			t.Fatalf("encoded configuration has another digest:\n%s", b.String())
		}
	})
}
