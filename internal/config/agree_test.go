package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSchemaAndGoChecksAgree loads every sample in testdata/valid and
// testdata/invalid twice: once with only the JSON Schema, once with only
// the Go checks. Both must reach the sample's verdict, so the schema that
// editors use and the checks trustsync runs cannot drift apart.
func TestSchemaAndGoChecksAgree(t *testing.T) {
	for _, dir := range []string{"valid", "invalid"} {
		wantValid := dir == "valid"
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) < 5 {
			t.Fatalf("testdata/%s holds %d samples; want at least 5", dir, len(files))
		}
		for _, f := range files {
			t.Run(dir+"/"+filepath.Base(f), func(t *testing.T) {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				src := []source{{name: f, data: data}}
				_, goDiags := loadSources(src, testNow, checkGo)
				_, schemaDiags := loadSources(src, testNow, checkSchema)
				if got := !goDiags.HasErrors(); got != wantValid {
					t.Errorf("Go checks: valid = %v, want %v\n%v", got, wantValid, goDiags)
				}
				if got := !schemaDiags.HasErrors(); got != wantValid {
					t.Errorf("schema: valid = %v, want %v\n%v", got, wantValid, schemaDiags)
				}
				for _, d := range schemaDiags {
					if d.Pos.Line < 1 {
						t.Errorf("schema diagnostic without a position: %s", d)
					}
				}
				// Together, the schema adds nothing the Go checks missed.
				_, all := loadSources(src, testNow, checkAll)
				if len(all) != len(goDiags) {
					t.Errorf("schema reported errors the Go checks did not cover:\n%v", all)
				}
			})
		}
	}
}
