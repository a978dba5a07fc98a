package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// Limits that keep hostile or accidental input from exhausting memory or
// time.
const (
	// MaxInputSize is the most bytes Load reads, all files together. A
	// desired state of 100,000 trust users is about 10 MB.
	MaxInputSize = 64 << 20
	// MaxAliasValues is the most YAML values aliases (*name) may expand
	// to in one file; it stops "billion laughs" alias bombs. Values
	// written out do not count: MaxInputSize bounds them.
	MaxAliasValues = 100_000
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
// Reading stops when ctx is cancelled, even when a path names a FIFO or
// device whose reads never return: Load then reports the interruption as
// an error diagnostic and returns at once.
//
// The returned Config is nil only when no usable configuration could be
// built (no files, a file that cannot be read or is not YAML). Callers must
// not act on a Config when the Diagnostics have errors.
func Load(ctx context.Context, paths []string, now time.Time) (*Config, Diagnostics) {
	files, diags := expandPaths(paths)
	if diags.HasErrors() {
		sortDiagnostics(diags, paths)
		return nil, diags
	}
	srcs := make([]source, 0, len(files))
	total := 0
	for _, f := range files {
		data, d := readFile(ctx, f, MaxInputSize-total)
		if d != nil {
			diags = append(diags, *d)
			if ctx.Err() != nil || strings.HasPrefix(d.Message, tooLargeMessage) {
				break
			}
			continue
		}
		total += len(data)
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
	if cfg, diags, ok := loadWith(srcs, now, which, minSplitSize); ok {
		return cfg, diags
	}
	cfg, diags, _ := loadWith(srcs, now, which, -1)
	return cfg, diags
}

// loadWith is loadSources; files of at least cutFrom bytes (never, when
// it is negative) are cut into their list entries (see split). ok is false
// when a cut file must be parsed whole instead.
func loadWith(srcs []source, now time.Time, which checks, cutFrom int) (_ *Config, _ Diagnostics, ok bool) {
	l := &loader{notMapping: make(map[string]bool), offsets: make(map[string]offsets)}
	names := make([]string, len(srcs))
	cfg := &Config{Version: 1, Positions: make(Positions)}
	usable := len(srcs) > 0
	if len(srcs) == 0 {
		l.add(diag{Diagnostic: Diagnostic{Severity: Error, Message: "no desired-state file given", Hints: []string{"pass -f FILE (or -f DIR for all *.yaml files in it)"}}})
	}
	total := 0
	for _, src := range srcs {
		total += len(src.data)
	}
	var wg sync.WaitGroup
	schemaDiags := make([][]diag, len(srcs))
	if total > MaxInputSize {
		l.add(diag{Diagnostic: tooLarge(srcs[len(srcs)-1].name)})
		usable = false
	}
	defer wg.Wait()
	stop := make(chan struct{})
	defer close(stop)
	for i, src := range srcs {
		names[i] = src.name
		if !usable {
			continue
		}
		var sp *split
		if cutFrom >= 0 {
			sp = splitLists(src.data, cutFrom)
		}
		parse := src
		if sp != nil {
			parse.data = sp.header
		}
		root, ok := l.parse(parse)
		if !ok {
			if sp != nil {
				return nil, nil, false
			}
			usable = false
			continue
		}
		d := &decoder{file: src.name, l: l, cfg: cfg, off: offsets{
			trustees: len(cfg.Trustees), trustors: len(cfg.Trustors), forbidden: len(cfg.Policy.ForbiddenRoles),
			protectTrustees: len(cfg.Protect.Trustees), protectTrustors: len(cfg.Protect.Trustors),
		}}
		l.offsets[src.name] = d.off
		nodes, ok := d.checkLimits(root)
		if !ok {
			if sp != nil {
				return nil, nil, false
			}
			usable = false
			continue
		}
		var skip map[string]bool
		if sp != nil {
			nodes = len(src.data) / 8 // about one value per 16 bytes; half get a position
			skip = make(map[string]bool)
			d.lists = make(map[string]<-chan parsed)
			// Values parsed by blockyaml are substrings of text: one
			// copy of the file instead of one per value.
			text := string(src.data)
			for key, spans := range sp.lists {
				skip[key] = true
				d.lists[key] = parseEntries(entries{file: src.name, key: key, text: text, spans: spans, schema: which&checkSchema != 0}, stop)
			}
		}
		if which&checkSchema != 0 {
			// The schema only reads the nodes: it runs beside the Go
			// checks, which write the Config.
			wg.Go(func() { schemaDiags[i] = validateSchema(src.name, root, skip) })
		}
		if which&checkGo != 0 {
			if i == 0 {
				// About half the nodes are keys, and a member's roles
				// keep their positions on them: about a quarter of the
				// nodes get an entry (a map sized for more holds the
				// room for them all the same).
				cfg.Positions = make(Positions, nodes/4)
			}
			d.document(root)
		}
		for key, ch := range d.lists {
			// Lists the Go checks did not read (schema only, or a
			// duplicate key) are read here for their schema errors.
			for p := range ch {
				if p.err != nil {
					d.cutFailed = true
					break
				}
				d.cutSchema = append(d.cutSchema, p.schema...)
			}
			delete(d.lists, key)
		}
		if d.cutFailed {
			return nil, nil, false
		}
		l.schemaDiags = append(l.schemaDiags, d.cutSchema...)
	}
	wg.Wait()
	for _, sd := range schemaDiags {
		l.schemaDiags = append(l.schemaDiags, sd...)
	}
	if which&checkGo != 0 && usable {
		fillDefaults(cfg)
		cfg.Files = names
		l.check(cfg, now)
	}
	out := l.result()
	sortDiagnostics(out, names)
	if !usable || which&checkGo == 0 {
		return nil, out, true
	}
	return cfg, out, true
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
	// notMapping holds the pointers of list entries that are not mappings:
	// the rules about an entry's content skip them.
	notMapping map[string]bool
	// offsets are each file's offsets into the merged lists.
	offsets map[string]offsets
}

func (l *loader) add(d diag) { l.diags = append(l.diags, d) }

// located returns the Diagnostic with its JSON pointer as Path.
func (d diag) located() Diagnostic {
	out := d.Diagnostic
	out.Path = d.ptr
	return out
}

// result returns the Go diagnostics plus every schema diagnostic that no Go
// error already covers. A schema error is covered when a Go error in the
// same file is about the same value or a value inside it. Schema errors thus
// show up only for rules the Go checks missed.
func (l *loader) result() Diagnostics {
	out := make(Diagnostics, 0, len(l.diags)+len(l.schemaDiags))
	// covered holds, per file, every Go error's pointer and its ancestors.
	covered := make(map[string]bool)
	for _, d := range l.diags {
		out = append(out, d.located())
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
			out = append(out, s.located())
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
		diags = append(diags, Diagnostic{Severity: Error, Message: "no desired-state file given", Hints: []string{"pass -f FILE (or -f DIR for all *.yaml files in it)"}})
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
				Hints:   []string{"name the files to load with -f, or put the desired-state files in this directory"}})
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
		d.Hints = []string{"check the path; -f takes a file or a directory of *.yaml files"}
	}
	return d
}

// readFile reads a file of at most limit bytes. The read runs in its own
// goroutine so that a cancelled ctx abandons it: opening a FIFO blocks
// until a writer appears, and a read of one blocks until it writes. An
// abandoned goroutine ends when its read does (at the latest, with the
// process).
func readFile(ctx context.Context, name string, limit int) ([]byte, *Diagnostic) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		f, err := os.Open(name)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
		done <- result{data: data, err: err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			d := fileError(name, "cannot read", r.err)
			return nil, &d
		}
		if len(r.data) > limit {
			d := tooLarge(name)
			return nil, &d
		}
		return r.data, nil
	case <-ctx.Done():
		d := Diagnostic{Pos: Pos{File: name}, Severity: Error,
			Message: "reading stopped: " + context.Cause(ctx).Error(),
			Hints:   []string{"nothing was checked; if the path is a pipe, make sure something writes to it"}}
		return nil, &d
	}
}

// tooLargeMessage starts the error for input over MaxInputSize.
const tooLargeMessage = "the desired state is too large"

func tooLarge(name string) Diagnostic {
	return Diagnostic{Pos: Pos{File: name, Line: 1, Col: 1}, Severity: Error,
		Message: fmt.Sprintf("%s: more than %d MiB in all files together (reached in this file)", tooLargeMessage, MaxInputSize>>20),
		Hints: []string{"one run reads at most " + strconv.Itoa(MaxInputSize>>20) + " MiB of desired state; check that these are the right files;",
			"for several organizations, keep each one's files in its own directory and run once per directory (-f DIR reads the *.yaml files in it and merges them)"}}
}

// yamlLineError matches yaml.v3's "yaml: line N: message" errors.
var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse reads one YAML document and returns its root value node.
func (l *loader) parse(src source) (root *yaml.Node, ok bool) {
	dec := yaml.NewDecoder(bytes.NewReader(src.data))
	var doc yaml.Node
	if err := decodeNode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.emptyFile(src.name)
		} else {
			l.add(syntaxError(src, err))
		}
		return nil, false
	}
	var extra yaml.Node
	switch err := decodeNode(dec, &extra); {
	case err == nil:
		l.add(diag{Diagnostic: Diagnostic{
			Pos:      Pos{File: src.name, Line: max(extra.Line, 1), Col: max(extra.Column, 1)},
			Severity: Error, Message: "a second YAML document; a desired-state file holds exactly one",
			Hints: []string{"remove the `---` separator, or split the documents into separate files"},
		}})
		return nil, false
	case !errors.Is(err, io.EOF):
		l.add(syntaxError(src, err))
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
		Hints:   []string{"a desired-state file starts with `version: 1`; see examples/trusts.yaml"},
	}})
}

// yamlError splits a yaml.v3 error into its line (0 when it gives none)
// and message.
func yamlError(err error) (line int, msg string) {
	msg = err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			line = n
		}
		return line, m[2]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// parseError returns the error yaml.v3 reports for data read as one file
// (a second document included), or nil.
func parseError(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for range 2 {
		var n yaml.Node
		if err := decodeNode(dec, &n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
	return nil
}

// maxRefineSize is the largest file whose syntax errors are located by
// parsing prefixes of it (see failingLine).
const maxRefineSize = 8 << 20

// failingLine returns the first line the parser cannot read past: the
// smallest k such that the file's first k lines fail with msg. yaml.v3
// reports some errors at the start of the enclosing mapping or list rather
// than where reading failed; this finds the latter. It returns 0 when it
// cannot tell.
func failingLine(data []byte, msg string) int {
	if len(data) > maxRefineSize {
		return 0
	}
	// ends[k-1] is the offset just past line k.
	var ends []int
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	fails := func(k int) bool {
		err := parseError(data[:ends[k-1]])
		if err == nil {
			return false
		}
		_, m := yamlError(err)
		return m == msg
	}
	if !fails(len(ends)) {
		return 0
	}
	lo, hi := 1, len(ends) // fails(hi) holds
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}

// indentTab finds the first tab in the indentation of a line up to line
// last (all lines when last is 0), ignoring blank and comment lines.
func indentTab(data []byte, last int) (line, col int) {
	n := 0
	for raw := range bytes.SplitSeq(data, []byte("\n")) {
		n++
		if last > 0 && n > last {
			break
		}
		indent := len(raw) - len(bytes.TrimLeft(raw, " \t"))
		rest := bytes.TrimSpace(raw[indent:])
		if len(rest) == 0 || rest[0] == '#' {
			continue
		}
		if i := bytes.IndexByte(raw[:indent], '\t'); i >= 0 {
			return n, i + 1
		}
	}
	return 0, 0
}

// syntaxError turns a yaml.v3 parse error into a diagnostic at the line
// reading failed on. The library reports lines but not columns, so the
// column is 1, except for a tab used for indentation, which gets its own
// message and position.
func syntaxError(src source, err error) diag {
	line, msg := yamlError(err)
	if k := failingLine(src.data, msg); k > 0 {
		line = k
	}
	if tl, tc := indentTab(src.data, line); tl > 0 {
		return diag{Diagnostic: Diagnostic{
			Pos: Pos{File: src.name, Line: tl, Col: tc}, Severity: Error,
			Message: "tabs are not allowed for indentation in YAML",
			Hints:   []string{"indent with spaces (two per level is usual); set your editor to insert spaces for tabs"},
		}}
	}
	hint := "the parser could not read past this line; the mistake may be on an earlier line: check indentation, colons and quotes"
	switch msg {
	case "did not find expected ',' or ']'":
		hint = "a list opened with [ on this line is not closed with ], or a comma is missing between its items"
	case "did not find expected ',' or '}'":
		hint = "a mapping opened with { on this line is not closed with }, or a comma is missing between its entries"
	case "found unexpected end of stream":
		hint = "the file ends inside a value that starts on this line: check for a quote that is not closed"
	}
	return diag{Diagnostic: Diagnostic{
		Pos: Pos{File: src.name, Line: max(line, 1), Col: 1}, Severity: Error,
		Message: "invalid YAML: " + msg,
		Hints:   hints(hint),
	}}
}
