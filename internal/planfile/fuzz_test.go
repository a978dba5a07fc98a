package planfile

import (
	"path/filepath"
	"testing"
)

// FuzzParse: reading a plan file never panics, whatever the bytes; a file
// it accepts has files, a valid connection and a plan document that
// converts back to plan data or is refused with an error.
func FuzzParse(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "plan.json")
	if err := Write(path, testPlan(), testMeta(dir)); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"format_version": "1"}`))
	f.Add([]byte(`{"format_version": "2", "plan_digest": "00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parse(path, data)
		if err != nil {
			return
		}
		if len(file.Meta.Files) == 0 {
			t.Fatal("accepted a file without configuration files")
		}
		if err := file.Meta.Connection.check(); err != nil {
			t.Fatalf("accepted a file with a bad connection: %v", err)
		}
		_, _ = file.Document.Plan()
		_, _ = file.ConfigPaths()
		_ = file.SandboxStatePath()
	})
}
