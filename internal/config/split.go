package config

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/trustsync/trustsync/internal/blockyaml"
)

// A large desired state is one long `trustees` (or `trustors`) list.
// Parsed whole, its node tree alone takes about twenty times the file's
// size, and yaml.v3 parses on one core. A file in the plain block style
// that such files are written in is therefore cut into its list entries:
// each entry is parsed on its own, on every core (by package blockyaml
// when the entry is in the style it parses, which is most of the time, else
// by yaml.v3), decoded and checked in file order, and dropped. The rest of the file (the header) is parsed with
// each cut list holding one null entry in its place. Any doubt (anchors or
// aliases, tabs, several documents, an entry that does not parse as
// exactly one list item) means the file is parsed whole instead, so the
// result and the diagnostics are those of a whole parse.

// minSplitSize is the smallest file that is cut into entries.
const minSplitSize = 1 << 20

// span is one list entry: bytes [start, end) of the file, whose first line
// is line.
type span struct {
	start, end, line int
}

// split is a file cut into a header and list entries.
type split struct {
	header []byte
	lists  map[string][]span // "trustees", "trustors"
}

// splitLists cuts data as described above when it has at least minSize
// bytes, or returns nil.
func splitLists(data []byte, minSize int) *split {
	if len(data) < minSize || bytes.ContainsAny(data, "&*\t\r") {
		return nil
	}
	s := &split{lists: make(map[string][]span)}
	var header bytes.Buffer
	header.Grow(len(data) / 8)
	line, off := 1, 0
	// next returns the line starting at off without its newline.
	next := func(at int) []byte {
		end := bytes.IndexByte(data[at:], '\n')
		if end < 0 {
			return data[at:]
		}
		return data[at : at+end]
	}
	for off < len(data) {
		l := next(off)
		if bytes.HasPrefix(l, []byte("---")) || bytes.HasPrefix(l, []byte("...")) || bytes.HasPrefix(l, []byte("%")) {
			return nil
		}
		key := listKey(l)
		header.Write(l)
		header.WriteByte('\n')
		off += len(l) + 1
		line++
		if key == "" || s.lists[key] != nil {
			continue
		}
		// The list's entries start at the first line that is not blank or
		// a comment; its indentation is the list's.
		indent := -1
		var spans []span
		for off < len(data) {
			l := next(off)
			ind, blank := indentation(l)
			if blank {
				if len(spans) > 0 {
					spans[len(spans)-1].end = min(off+len(l)+1, len(data))
				} else {
					header.Write(l)
					header.WriteByte('\n')
				}
				off += len(l) + 1
				line++
				continue
			}
			if indent < 0 {
				if !isItem(l, ind) {
					break // not a block list: leave it to the header
				}
				indent = ind
			}
			switch {
			case ind == indent && isItem(l, ind):
				spans = append(spans, span{start: off, end: min(off+len(l)+1, len(data)), line: line})
			case ind > indent && len(spans) > 0:
				spans[len(spans)-1].end = min(off+len(l)+1, len(data))
			default:
				goto done
			}
			off += len(l) + 1
			line++
		}
	done:
		if len(spans) == 0 {
			continue
		}
		s.lists[key] = spans
		// One null entry stands for the list; blank lines keep every
		// later line where it was.
		header.WriteString(string(bytes.Repeat([]byte(" "), indent)) + "- ~\n")
		first, last := spans[0].line, line
		header.Write(bytes.Repeat([]byte("\n"), last-first-1))
	}
	if len(s.lists) == 0 {
		return nil
	}
	s.header = header.Bytes()
	return s
}

// listKey returns "trustees" or "trustors" when l is that top-level key
// with its value on the following lines.
func listKey(l []byte) string {
	for _, k := range []string{"trustees", "trustors"} {
		if rest, ok := bytes.CutPrefix(l, []byte(k+":")); ok {
			rest = bytes.TrimLeft(rest, " ")
			if len(rest) == 0 || rest[0] == '#' {
				return k
			}
		}
	}
	return ""
}

// indentation returns how many spaces l starts with, and whether l is blank
// or only a comment.
func indentation(l []byte) (int, bool) {
	ind := len(l) - len(bytes.TrimLeft(l, " "))
	rest := l[ind:]
	return ind, len(rest) == 0 || rest[0] == '#'
}

// isItem reports whether l, indented by ind, starts a list item.
func isItem(l []byte, ind int) bool {
	rest := l[ind:]
	return len(rest) > 0 && rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ')
}

// parsed is one entry parsed: its node and, when asked for, its schema
// diagnostics; or why it must be parsed with the whole file instead (it
// did not parse as one list item, or broke a limit).
type parsed struct {
	node   *yaml.Node
	schema []diag
	err    error
}

// entries says which list's entries to parse and how to check them.
type entries struct {
	file, key string
	text      string // the file
	spans     []span
	schema    bool // validate each entry against the schema
}

// parseEntries parses the entries on every core and delivers them in
// order on the returned channel, which is closed after the last one or
// when stop is closed.
func parseEntries(e entries, stop <-chan struct{}) <-chan parsed {
	out := make(chan parsed, 64)
	workers := max(runtime.GOMAXPROCS(0), 1)
	// Each entry gets a result channel, queued in order.
	queue := make(chan chan parsed, 4*workers)
	type job struct {
		i   int
		res chan parsed
	}
	jobs := make(chan job, 4*workers)
	for range workers {
		go func() {
			var bp blockyaml.Parser
			for j := range jobs {
				j.res <- e.parse(j.i, &bp)
			}
		}()
	}
	go func() {
		defer close(jobs)
		defer close(queue)
		for i := range e.spans {
			res := make(chan parsed, 1)
			select {
			case queue <- res:
			case <-stop:
				return
			}
			jobs <- job{i, res}
		}
	}()
	go func() {
		defer close(out)
		for res := range queue {
			select {
			case out <- <-res:
			case <-stop:
				for range queue { // let the feeder end
				}
				return
			}
		}
	}()
	return out
}

// parse parses entry i, with the file's line numbers, checks the limits
// checkLimits checks (an entry is at depth 2) and, when asked, the schema.
// An entry in the plain block style is parsed by package blockyaml, which
// builds the tree yaml.v3 would; any other by yaml.v3.
func (e entries) parse(i int, bp *blockyaml.Parser) parsed {
	s := e.spans[i]
	item, ok := bp.Item(e.text, s.start, s.end, s.line)
	if !ok {
		var doc yaml.Node
		if err := decodeNode(yaml.NewDecoder(strings.NewReader(e.text[s.start:s.end])), &doc); err != nil {
			return parsed{err: err}
		}
		if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode || len(doc.Content[0].Content) != 1 {
			return parsed{err: fmt.Errorf("entry at line %d is not one list item", s.line)}
		}
		item = doc.Content[0].Content[0]
		shiftLines(item, s.line-1)
	}
	c := converter{quiet: true, active: make(map[*yaml.Node]bool)}
	if c.convert(item, item, 2); c.failed {
		return parsed{err: fmt.Errorf("entry at line %d breaks a limit", s.line)}
	}
	p := parsed{node: item}
	if e.schema {
		p.schema = validateEntry(e.file, e.key, i, item)
	}
	return p
}

func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}
