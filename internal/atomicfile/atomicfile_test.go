package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, 0o644, []byte("new "), []byte("content")); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "new content" {
		t.Errorf("content %q, want %q", got, "new content")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", info.Mode().Perm())
	}
	requireOnly(t, dir, "out.json")
}

func TestWriteFileErrorLeavesTargetAlone(t *testing.T) {
	dir := t.TempDir()
	// The target is a non-empty directory: the rename fails.
	path := filepath.Join(dir, "target")
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, 0o600, []byte("data")); err == nil {
		t.Fatal("WriteFile over a non-empty directory succeeded")
	}
	requireOnly(t, dir, "target")
	if err := WriteFile(filepath.Join(dir, "missing", "f"), 0o600, []byte("x")); err == nil {
		t.Fatal("WriteFile into a missing directory succeeded")
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"new file", filepath.Join(dir, "new.json"), ""},
		{"existing file", file, ""},
		{"missing directory", filepath.Join(dir, "no", "such", "r.json"), "does not exist"},
		{"parent is a file", filepath.Join(file, "r.json"), "is not a directory"},
		{"a directory", dir, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckWritable(tc.path)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("CheckWritable: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("CheckWritable = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	requireOnly(t, dir, "file")

	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		if err := CheckWritable(filepath.Join(ro, "r.json")); err == nil || !strings.Contains(err.Error(), "not writable") {
			t.Errorf("CheckWritable in a read-only directory = %v", err)
		}
	}
}

// requireOnly fails unless dir holds exactly the names given.
func requireOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %v, want %v", got, names)
	}
}
