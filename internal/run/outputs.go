package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/trustsync/trustsync/internal/atomicfile"
)

// Output is a file a command will write, named by the flag that gave it.
type Output struct {
	Flag string // "--out", "--record"
	Path string // as given; relative to the target's Dir
}

// CheckOutputs checks, before anything is read or written, that each
// output (those with an empty Path are ignored) can be written and
// destroys no input: it may not be one of the target's desired-state
// files, nor one of extra (a saved plan being applied), nor another
// output, compared both by cleaned absolute path and by file identity
// (os.SameFile, so a link or another spelling is caught); it may not be a
// *.yaml or *.yml file in a directory the target reads as configuration;
// and its directory must exist and accept a new file.
func CheckOutputs(t Target, extra []string, outs ...Output) error {
	type input struct {
		label, path string
		info        os.FileInfo
	}
	var inputs []input
	var dirs []string
	add := func(label, path string) {
		in := input{label: label, path: absClean(path)}
		if info, err := os.Stat(path); err == nil {
			in.info = info
		}
		inputs = append(inputs, in)
	}
	for _, f := range t.Files {
		path := t.path(f)
		info, err := os.Stat(path)
		if err != nil || !info.IsDir() {
			add(f, path)
			continue
		}
		dirs = append(dirs, absClean(path))
		entries, err := os.ReadDir(path)
		if err != nil {
			continue // config.Load reports it
		}
		for _, e := range entries {
			if isConfigName(e.Name()) {
				add(filepath.Join(f, e.Name()), filepath.Join(path, e.Name()))
			}
		}
	}
	for _, f := range extra {
		add(f, t.path(f))
	}

	var errs []error
	var seen []input
	for _, o := range outs {
		if o.Path == "" {
			continue
		}
		path := t.path(o.Path)
		abs := absClean(path)
		info, statErr := os.Stat(path)
		clash := func(in input) bool {
			return in.path == abs || (statErr == nil && in.info != nil && os.SameFile(in.info, info))
		}
		bad := ""
		for _, in := range inputs {
			if clash(in) {
				bad = fmt.Sprintf("%s %s is the input %s: writing it would destroy it\nhint: write to another file", o.Flag, o.Path, in.label)
				break
			}
		}
		if bad == "" {
			for _, in := range seen {
				if clash(in) {
					bad = fmt.Sprintf("%s %s is also %s: give each output its own file", o.Flag, o.Path, in.label)
					break
				}
			}
		}
		if bad == "" && isConfigName(filepath.Base(abs)) {
			for _, d := range dirs {
				if filepath.Dir(abs) == d {
					bad = fmt.Sprintf("%s %s is in %s, whose *.yaml and *.yml files are read as configuration\nhint: write to a file outside that directory, or not ending .yaml or .yml", o.Flag, o.Path, d)
					break
				}
			}
		}
		if bad == "" {
			if err := atomicfile.CheckWritable(path); err != nil {
				bad = fmt.Sprintf("%s %s cannot be written: %v", o.Flag, o.Path, err)
			}
		}
		if bad != "" {
			errs = append(errs, errors.New(bad))
		}
		in := input{label: o.Flag + " " + o.Path, path: abs}
		if statErr == nil {
			in.info = info
		}
		seen = append(seen, in)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w\nnothing was read or changed", errors.Join(errs...))
	}
	return nil
}

// isConfigName reports whether config.Load reads a file of this name when
// it is in a directory given with -f.
func isConfigName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return !strings.HasPrefix(name, ".") && (ext == ".yaml" || ext == ".yml")
}

func absClean(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}
