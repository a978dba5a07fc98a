package planfile

import (
	"bytes"
	"path/filepath"
	"testing"
)

// FuzzParse: reading a plan file never panics, whatever the bytes. A file it
// accepts carries a plan_digest of its own canonical content, has files, a
// valid connection and what apply checks, reads back the same a second
// time, and has a plan document that converts back to plan data or is
// refused with an error.
func FuzzParse(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "plan.json")
	good, err := marshal(testPlan(), testMeta(dir))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := parse(path, good); err != nil {
		f.Fatalf("a written plan file is refused: %v", err)
	}
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(`"format_version"`), []byte(`"format_versio"`), 1))
	f.Add([]byte(`{"format_version": "1"}`))
	f.Add([]byte(`{"format_version": "2", "plan_digest": "00"}`))
	f.Add([]byte(`[1, 2]`))
	f.Add([]byte(`{"format_version": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parse(path, data)
		if err != nil {
			if file != nil {
				t.Fatalf("parse returned a file with its error %v", err)
			}
			return
		}
		canon, err := canonical(data)
		if err != nil {
			t.Fatalf("an accepted file has no canonical form: %v", err)
		}
		if digest(canon) != file.PlanDigest {
			t.Fatalf("an accepted file's plan_digest %s is not the digest of its content", file.PlanDigest)
		}
		if len(file.Meta.Files) == 0 {
			t.Fatal("accepted a file without configuration files")
		}
		if file.Meta.ConfigDigest == "" || file.Meta.LiveFingerprint == "" || file.Document == nil {
			t.Fatalf("an accepted file lacks what apply checks: %+v", file.Meta)
		}
		if err := file.Meta.Connection.check(); err != nil {
			t.Fatalf("accepted a file with a bad connection: %v", err)
		}
		again, err := parse(path, data)
		if err != nil || !bytes.Equal(again.raw, file.raw) || again.PlanDigest != file.PlanDigest {
			t.Fatalf("a second read of an accepted file differs: %v", err)
		}
		_, _ = file.Document.Plan()
		_, _ = file.ConfigPaths()
		_ = file.SandboxStatePath()
	})
}
