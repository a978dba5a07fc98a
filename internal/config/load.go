package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Limits that keep hostile or accidental input from exhausting memory or
// time. Real desired-state files are a few kilobytes.
const (
	// MaxFileSize is the largest desired-state file Load reads, in bytes.
	MaxFileSize = 1 << 20
	// MaxNodes is the most YAML values one file may hold once aliases are
	// expanded; it stops "billion laughs" alias bombs.
	MaxNodes = 100_000
	// MaxDepth is the deepest nesting of lists and mappings Load accepts.
	MaxDepth = 64
)

// source is one file's name (as shown in diagnostics) and content.
type source struct {
	name string
	data []byte
}

// Load reads the desired-state files and directories in paths, checks them
// and merges them into one Config.
//
// A directory stands for the *.yaml and *.yml files directly in it (not in
// subdirectories, and not hidden files), in name order. Files are merged in
// the order given; a file named twice is read once. Every file must start
// with `version: 1`.
//
// Checks run in layers: YAML syntax and size limits; the structure of the
// file (keys, types, ids, dates); the JSON Schema in package schema; then
// semantic and policy rules on the merged result, using now as the current
// time for expiry rules. Every problem becomes a Diagnostic with its file,
// line and column.
//
// The returned Config is nil only when no usable configuration could be
// built (no files, a file that cannot be read or is not YAML). Callers must
// not act on a Config when the Diagnostics have errors.
func Load(paths []string, now time.Time) (*Config, Diagnostics) {
	files, diags := expandPaths(paths)
	if diags.HasErrors() {
		sortDiagnostics(diags, paths)
		return nil, diags
	}
	srcs := make([]source, 0, len(files))
	for _, f := range files {
		data, d := readFile(f)
		if d != nil {
			diags = append(diags, *d)
			continue
		}
		srcs = append(srcs, source{name: f, data: data})
	}
	if diags.HasErrors() {
		sortDiagnostics(diags, files)
		return nil, diags
	}
	return loadSources(srcs, now, checkAll)
}

// checks selects which layers loadSources runs; tests use it to compare the
// schema with the Go checks.
type checks int

const (
	checkGo     checks = 1 << iota // structure, semantics and policy in Go
	checkSchema                    // the JSON Schema
	checkAll    = checkGo | checkSchema
)

// loadSources checks and merges already-read files.
func loadSources(srcs []source, now time.Time, which checks) (*Config, Diagnostics) {
	l := &loader{}
	names := make([]string, len(srcs))
	var docs []*fileDoc
	usable := len(srcs) > 0
	if len(srcs) == 0 {
		l.add(diag{Diagnostic: Diagnostic{Severity: Error, Message: "no desired-state file given", Hint: "pass -f FILE (or -f DIR for all *.yaml files in it)"}})
	}
	for i, src := range srcs {
		names[i] = src.name
		root, ok := l.parse(src)
		if !ok {
			usable = false
			continue
		}
		d := &decoder{file: src.name, l: l}
		value, ok := d.toValue(root)
		if !ok {
			usable = false
			continue
		}
		if which&checkSchema != 0 {
			l.schemaDiags = append(l.schemaDiags, validateSchema(src.name, root, value)...)
		}
		if which&checkGo != 0 {
			docs = append(docs, d.document(root))
		}
	}
	var cfg *Config
	if which&checkGo != 0 && usable {
		cfg = l.merge(docs)
		cfg.Files = names
		l.check(cfg, docs, now)
	}
	out := l.result()
	sortDiagnostics(out, names)
	if !usable {
		return nil, out
	}
	return cfg, out
}

// diag is a Diagnostic plus the JSON pointer of the value it is about, which
// lets Go checks and schema checks of one file be matched up.
type diag struct {
	Diagnostic
	ptr string
}

// loader collects diagnostics while files are loaded.
type loader struct {
	diags       []diag // from the Go checks
	schemaDiags []diag // from the JSON Schema
}

func (l *loader) add(d diag) { l.diags = append(l.diags, d) }

// result returns the Go diagnostics plus every schema diagnostic that no Go
// error already covers. A schema error is covered when a Go error in the
// same file is about the same value or a value inside it. Schema errors thus
// show up only for rules the Go checks missed.
func (l *loader) result() Diagnostics {
	out := make(Diagnostics, 0, len(l.diags)+len(l.schemaDiags))
	// covered holds, per file, every Go error's pointer and its ancestors.
	covered := make(map[string]bool)
	for _, d := range l.diags {
		out = append(out, d.Diagnostic)
		if d.Severity != Error {
			continue
		}
		p := d.ptr
		for {
			key := d.Pos.File + "\x00" + p
			if covered[key] {
				break
			}
			covered[key] = true
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	for _, s := range l.schemaDiags {
		if !covered[s.Pos.File+"\x00"+s.ptr] {
			out = append(out, s.Diagnostic)
		}
	}
	return out
}

// expandPaths turns files and directories into the list of files to read.
func expandPaths(paths []string) ([]string, Diagnostics) {
	var files []string
	var diags Diagnostics
	seen := make(map[string]bool)
	addFile := func(name string) {
		key := filepath.Clean(name)
		if abs, err := filepath.Abs(name); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			files = append(files, name)
		}
	}
	if len(paths) == 0 {
		diags = append(diags, Diagnostic{Severity: Error, Message: "no desired-state file given", Hint: "pass -f FILE (or -f DIR for all *.yaml files in it)"})
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			diags = append(diags, fileError(p, "cannot read", err))
			continue
		}
		if !info.IsDir() {
			addFile(p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			diags = append(diags, fileError(p, "cannot read directory", err))
			continue
		}
		n := 0
		for _, e := range entries { // ReadDir sorts by name
			name := e.Name()
			ext := strings.ToLower(filepath.Ext(name))
			if strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml") {
				continue
			}
			full := filepath.Join(p, name)
			if fi, err := os.Stat(full); err != nil || fi.IsDir() {
				continue
			}
			addFile(full)
			n++
		}
		if n == 0 {
			diags = append(diags, Diagnostic{Pos: Pos{File: p}, Severity: Error,
				Message: "directory holds no *.yaml or *.yml files",
				Hint:    "name the files to load with -f, or put the desired-state files in this directory"})
		}
	}
	return files, diags
}

// fileError describes an I/O error on a path without repeating the path.
func fileError(path, what string, err error) Diagnostic {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	d := Diagnostic{Pos: Pos{File: path}, Severity: Error, Message: what + ": " + err.Error()}
	if errors.Is(err, fs.ErrNotExist) {
		d.Hint = "check the path; -f takes a file or a directory of *.yaml files"
	}
	return d
}

// readFile reads a file, refusing one larger than MaxFileSize.
func readFile(name string) ([]byte, *Diagnostic) {
	f, err := os.Open(name)
	if err != nil {
		d := fileError(name, "cannot read", err)
		return nil, &d
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		d := fileError(name, "cannot read", err)
		return nil, &d
	}
	if len(data) > MaxFileSize {
		d := tooLarge(name)
		return nil, &d
	}
	return data, nil
}

func tooLarge(name string) Diagnostic {
	return Diagnostic{Pos: Pos{File: name, Line: 1, Col: 1}, Severity: Error,
		Message: fmt.Sprintf("file is larger than %d KiB", MaxFileSize>>10),
		Hint:    "a desired-state file is normally a few KiB; check that this is the right file"}
}

// yamlLineError matches yaml.v3's "yaml: line N: message" errors.
var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse reads one YAML document and returns its root value node.
func (l *loader) parse(src source) (root *yaml.Node, ok bool) {
	if len(src.data) > MaxFileSize {
		l.add(diag{Diagnostic: tooLarge(src.name)})
		return nil, false
	}
	dec := yaml.NewDecoder(bytes.NewReader(src.data))
	var doc yaml.Node
	if err := decodeNode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.emptyFile(src.name)
		} else {
			l.add(syntaxError(src.name, err))
		}
		return nil, false
	}
	var extra yaml.Node
	switch err := decodeNode(dec, &extra); {
	case err == nil:
		l.add(diag{Diagnostic: Diagnostic{
			Pos:      Pos{File: src.name, Line: max(extra.Line, 1), Col: max(extra.Column, 1)},
			Severity: Error, Message: "a second YAML document; a desired-state file holds exactly one",
			Hint: "remove the `---` separator, or split the documents into separate files",
		}})
		return nil, false
	case !errors.Is(err, io.EOF):
		l.add(syntaxError(src.name, err))
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		l.emptyFile(src.name)
		return nil, false
	}
	root = doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		l.emptyFile(src.name)
		return nil, false
	}
	return root, true
}

// decodeNode decodes the next document, turning a panic inside the YAML
// library into an error so that no input can crash the program.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse: %v", r)
		}
	}()
	return dec.Decode(n)
}

func (l *loader) emptyFile(name string) {
	l.add(diag{Diagnostic: Diagnostic{
		Pos: Pos{File: name, Line: 1, Col: 1}, Severity: Error,
		Message: "file is empty",
		Hint:    "a desired-state file starts with `version: 1`; see examples/trusts.yaml",
	}})
}

// syntaxError turns a yaml.v3 parse error into a diagnostic. The library
// reports lines but not columns, so the column is 1.
func syntaxError(name string, err error) diag {
	msg := err.Error()
	line := 1
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			line = n
		}
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return diag{Diagnostic: Diagnostic{
		Pos: Pos{File: name, Line: line, Col: 1}, Severity: Error,
		Message: "invalid YAML: " + msg,
		Hint:    "the problem may be on an earlier line: check indentation, quotes and colons",
	}}
}
