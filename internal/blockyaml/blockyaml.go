// Package blockyaml parses the plain block style of YAML that large
// desired states are written in, and builds the same yaml.Node trees that
// yaml.v3 builds for it, several times faster. Everything outside that
// style it declines, and the caller parses with yaml.v3 instead, which also
// reports the errors: declining is never wrong, accepting must be exact.
//
// The style, by what it holds:
//   - block mappings whose keys are simple words (a letter, then letters,
//     digits or '_'), and block sequences, including a sequence at its
//     key's indentation and a mapping that starts on a "- " line;
//   - one-line scalars: plain ones whose type yaml.v3 resolves without
//     doubt (strings, true/false, null, UUIDs and dates; other values
//     starting with a digit, a sign or a dot are declined), and quoted ones
//     without escapes;
//   - one-line flow sequences and flow mappings of such scalars.
//
// and by what it declines: anything but printable ASCII, comments, tabs,
// anchors, aliases, tags, directives, document markers, block scalars,
// multi-line scalars, empty values, nested flow collections and explicit
// keys. FuzzAgreesWithYAMLv3 checks the contract: for every input it
// accepts, yaml.v3 returns the same tree.
package blockyaml

import (
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustsync/trustsync/internal/ids"
)

// A Parser parses items, reusing its buffers from one item to the next.
// The zero value is ready to use; a Parser must not be used by several
// goroutines at once. The nodes it returns are its callers' to keep.
type Parser struct {
	lines []line
	stack []*yaml.Node
}

// Item parses src[start:end] as exactly one block sequence item ("- ..."
// at the indentation of its first line, which starts at start), whose first
// line is line number line, and returns the item's node with the file's
// lines and columns. ok is false when the text is outside the style this
// package parses (see the package comment), or is not one item.
//
// Scalar values are substrings of src: passing the whole file once as a
// string saves a copy per value.
func (bp *Parser) Item(src string, start, end, line int) (_ *yaml.Node, ok bool) {
	p := parser{src: src, lines: bp.lines[:0], stack: bp.stack[:0]}
	defer func() {
		// Keep the buffers, but not the nodes the stack pointed to.
		clear(p.stack[:cap(p.stack)])
		bp.lines, bp.stack = p.lines[:0], p.stack[:0]
	}()
	if !p.splitLines(start, end, line) || len(p.lines) == 0 {
		return nil, false
	}
	first := p.lines[0]
	if !p.isItem(first) {
		return nil, false
	}
	seq, ok := p.sequence(first.indent)
	if !ok || p.i != len(p.lines) || len(seq.Content) != 1 {
		return nil, false
	}
	return seq.Content[0], true
}

// line is one non-blank line: src[start:end] is its text with trailing
// spaces removed, indent its leading spaces.
type line struct {
	start, end int
	indent     int
	num        int
}

type parser struct {
	src   string
	lines []line
	i     int // the line being parsed
	depth int // collections open

	// Nodes and content slices are carved from slabs, and children are
	// gathered on one stack: a few allocations per entry instead of
	// several per node.
	nodes []yaml.Node
	ptrs  []*yaml.Node
	stack []*yaml.Node
}

// splitLines records the non-blank lines of src[start:end], or returns
// false when a byte or a line start is outside the style.
func (p *parser) splitLines(start, end, num int) bool {
	if start < 0 || end > len(p.src) || start > end {
		return false
	}
	for off := start; off < end; num++ {
		lineEnd := off
		for lineEnd < end && p.src[lineEnd] != '\n' {
			c := p.src[lineEnd]
			if c < ' ' || c > '~' || c == '#' {
				return false // control bytes, tabs, non-ASCII, comments
			}
			lineEnd++
		}
		next := lineEnd + 1
		text := lineEnd
		for text > off && p.src[text-1] == ' ' {
			text--
		}
		indent := 0
		for off+indent < text && p.src[off+indent] == ' ' {
			indent++
		}
		if off+indent < text {
			if indent == 0 {
				switch c := p.src[off]; {
				case c == '%', hasPrefix(p.src[off:text], "---"), hasPrefix(p.src[off:text], "..."):
					return false // directives and document markers
				}
			}
			p.lines = append(p.lines, line{start: off, end: text, indent: indent, num: num})
		}
		off = next
	}
	return true
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// isItem reports whether l starts a block sequence item.
func (p *parser) isItem(l line) bool {
	at := l.start + l.indent
	return p.src[at] == '-' && (at+1 == l.end || p.src[at+1] == ' ')
}

func (p *parser) node(kind yaml.Kind, tag string, num, col int) *yaml.Node {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]yaml.Node, 0, 32)
	}
	p.nodes = append(p.nodes, yaml.Node{Kind: kind, Tag: tag, Line: num, Column: col})
	return &p.nodes[len(p.nodes)-1]
}

// finish gives n the children pushed since mark.
func (p *parser) finish(n *yaml.Node, mark int) {
	kids := p.stack[mark:]
	if len(kids) > 0 {
		if cap(p.ptrs)-len(p.ptrs) < len(kids) {
			p.ptrs = make([]*yaml.Node, 0, max(64, len(kids)))
		}
		at := len(p.ptrs)
		p.ptrs = append(p.ptrs, kids...)
		n.Content = p.ptrs[at:len(p.ptrs):len(p.ptrs)]
	}
	p.stack = p.stack[:mark]
}

// maxDepth bounds the nesting of collections, far below yaml.v3's limit
// (10,000 indentation levels), so that nothing yaml.v3 refuses for depth
// is accepted.
const maxDepth = 1000

// enter counts a collection opened, or returns false beyond maxDepth.
// Every successful enter is paired with p.depth-- when the collection ends.
func (p *parser) enter() bool {
	p.depth++
	return p.depth <= maxDepth
}

// block parses the node that starts on the current line, indented deeper
// than its parent: a sequence or a mapping.
func (p *parser) block() (*yaml.Node, bool) {
	l := p.lines[p.i]
	if p.isItem(l) {
		return p.sequence(l.indent)
	}
	return p.mapping(l, l.indent)
}

// sequence parses the block sequence whose items start at indentation n on
// the current line.
func (p *parser) sequence(n int) (*yaml.Node, bool) {
	if !p.enter() {
		return nil, false
	}
	defer func() { p.depth-- }()
	seq := p.node(yaml.SequenceNode, "!!seq", p.lines[p.i].num, n+1)
	mark := len(p.stack)
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < n {
			break
		}
		if l.indent > n {
			return nil, false
		}
		if !p.isItem(l) {
			break // the next key of the mapping this sequence is a value of
		}
		item, ok := p.item(l, n)
		if !ok {
			return nil, false
		}
		p.stack = append(p.stack, item)
	}
	p.finish(seq, mark)
	return seq, true
}

// item parses the sequence item on line l, whose '-' is at indentation n.
func (p *parser) item(l line, n int) (*yaml.Node, bool) {
	at := p.skipSpaces(l.start+n+1, l.end)
	if at == l.end {
		p.i++
		if p.i == len(p.lines) || p.lines[p.i].indent <= n {
			return nil, false // an empty item: null, left to yaml.v3
		}
		return p.block()
	}
	if p.src[at] == '-' {
		return nil, false // a sequence in a sequence
	}
	if _, ok := p.keyEnd(at, l.end); ok {
		return p.mapping(l, at-l.start)
	}
	v, ok := p.inline(l, at)
	p.i++
	return v, ok
}

// mapping parses the block mapping whose keys are at indentation (column)
// m, the first of them on line first (maybe after "- ").
func (p *parser) mapping(first line, m int) (*yaml.Node, bool) {
	if !p.enter() {
		return nil, false
	}
	defer func() { p.depth-- }()
	mp := p.node(yaml.MappingNode, "!!map", first.num, m+1)
	mark := len(p.stack)
	for {
		l := p.lines[p.i]
		keyAt := l.start + m
		colon, ok := p.keyEnd(keyAt, l.end)
		if !ok {
			return nil, false
		}
		key, ok := p.plain(keyAt, colon, l)
		if !ok {
			return nil, false
		}
		var val *yaml.Node
		if at := p.skipSpaces(colon+1, l.end); at < l.end {
			val, ok = p.inline(l, at)
			p.i++
		} else {
			p.i++
			switch {
			case p.i == len(p.lines):
				ok = false // an empty value: null, left to yaml.v3
			case p.lines[p.i].indent > m:
				val, ok = p.block()
			case p.lines[p.i].indent == m && p.isItem(p.lines[p.i]):
				val, ok = p.sequence(m)
			default:
				ok = false
			}
		}
		if !ok {
			return nil, false
		}
		p.stack = append(p.stack, key, val)
		if p.i == len(p.lines) || p.lines[p.i].indent < m {
			break
		}
		if next := p.lines[p.i]; next.indent > m || p.isItem(next) {
			return nil, false // a continuation line, or an item after a key's value
		}
	}
	p.finish(mp, mark)
	return mp, true
}

// keyEnd returns the offset of the ':' that ends the simple key starting at
// at, when a word is followed by ':' and then a space or the line's end.
func (p *parser) keyEnd(at, end int) (int, bool) {
	i := at
	for i < end && i-at <= maxKey && isWord(p.src[i], i == at) {
		i++
	}
	if i == at || i-at > maxKey || i == end || p.src[i] != ':' {
		return 0, false
	}
	if i+1 < end && p.src[i+1] != ' ' {
		return 0, false
	}
	return i, true
}

// maxKey bounds a key's length, well below yaml.v3's limit for simple keys.
const maxKey = 128

func isWord(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return true
	case c >= '0' && c <= '9', c == '_':
		return !first
	}
	return false
}

func (p *parser) skipSpaces(at, end int) int {
	for at < end && p.src[at] == ' ' {
		at++
	}
	return at
}

// inline parses the value that starts at at on line l and ends the line:
// a quoted or plain scalar, or a flow sequence or mapping.
func (p *parser) inline(l line, at int) (*yaml.Node, bool) {
	switch p.src[at] {
	case '"', '\'':
		n, end, ok := p.quoted(at, l)
		return n, ok && end == l.end
	case '[':
		return p.flow(l, at, yaml.SequenceNode)
	case '{':
		return p.flow(l, at, yaml.MappingNode)
	}
	s := p.src[at:l.end]
	for i := 0; i+1 < len(s); i++ {
		if s[i] == ':' && s[i+1] == ' ' {
			return nil, false // a mapping value where none is allowed
		}
	}
	if s[len(s)-1] == ':' {
		return nil, false
	}
	return p.plain(at, l.end, l)
}

// indicators may not start a plain scalar.
const indicators = "-?:,[]{}#&*!|>'\"%@`"

// plain returns the plain scalar src[at:end] on line l, with the tag
// yaml.v3 resolves for it.
func (p *parser) plain(at, end int, l line) (*yaml.Node, bool) {
	s := p.src[at:end]
	if s == "" || contains(indicators, s[0]) {
		return nil, false
	}
	tag, ok := resolve(s)
	if !ok {
		return nil, false
	}
	n := p.node(yaml.ScalarNode, tag, l.num, at-l.start+1)
	n.Value = s
	return n, true
}

func contains(set string, c byte) bool {
	for i := range len(set) {
		if set[i] == c {
			return true
		}
	}
	return false
}

// quoted parses the one-line quoted scalar whose quote is at at on line l,
// and returns the offset after its closing quote.
func (p *parser) quoted(at int, l line) (*yaml.Node, int, bool) {
	q := p.src[at]
	n := p.node(yaml.ScalarNode, "!!str", l.num, at-l.start+1)
	n.Style = yaml.DoubleQuotedStyle
	if q == '\'' {
		n.Style = yaml.SingleQuotedStyle
	}
	var value []byte // only when '' had to be unescaped
	from := at + 1
	for i := at + 1; i < l.end; i++ {
		switch c := p.src[i]; {
		case c == '\\' && q == '"':
			return nil, 0, false // escapes are left to yaml.v3
		case c != q:
		case q == '\'' && i+1 < l.end && p.src[i+1] == '\'':
			value = append(value, p.src[from:i+1]...)
			i++
			from = i + 1
		default:
			if value != nil {
				n.Value = string(append(value, p.src[from:i]...))
			} else {
				n.Value = p.src[from:i]
			}
			return n, i + 1, true
		}
	}
	return nil, 0, false // not closed on this line
}

// flow parses the one-line flow sequence or mapping of scalars that starts
// at at on line l and ends the line.
func (p *parser) flow(l line, at int, kind yaml.Kind) (*yaml.Node, bool) {
	tag, closing := "!!seq", byte(']')
	if kind == yaml.MappingNode {
		tag, closing = "!!map", '}'
	}
	n := p.node(kind, tag, l.num, at-l.start+1)
	n.Style = yaml.FlowStyle
	mark := len(p.stack)
	i := p.skipSpaces(at+1, l.end)
	if i < l.end && p.src[i] == closing {
		i++
	} else {
		for {
			if kind == yaml.MappingNode {
				colon, ok := p.keyEnd(i, l.end)
				if !ok || colon+1 == l.end {
					return nil, false
				}
				key, ok := p.plain(i, colon, l)
				if !ok {
					return nil, false
				}
				p.stack = append(p.stack, key)
				i = p.skipSpaces(colon+1, l.end)
			}
			v, next, ok := p.flowScalar(l, i)
			if !ok {
				return nil, false
			}
			p.stack = append(p.stack, v)
			i = p.skipSpaces(next, l.end)
			if i == l.end {
				return nil, false
			}
			if p.src[i] == closing {
				i++
				break
			}
			if p.src[i] != ',' {
				return nil, false
			}
			if i = p.skipSpaces(i+1, l.end); i == l.end || p.src[i] == closing {
				return nil, false // a trailing comma
			}
		}
	}
	if i != l.end {
		return nil, false
	}
	p.finish(n, mark)
	return n, true
}

// flowScalar parses the scalar at at inside a flow collection and returns
// the offset after it.
func (p *parser) flowScalar(l line, at int) (*yaml.Node, int, bool) {
	if at == l.end {
		return nil, 0, false
	}
	if c := p.src[at]; c == '"' || c == '\'' {
		return p.quoted(at, l)
	}
	end := at
	for end < l.end {
		c := p.src[end]
		if c == ',' || c == ']' || c == '}' {
			break
		}
		if c == '[' || c == '{' || c == ':' || c == '?' {
			return nil, 0, false
		}
		end++
	}
	trimmed := end
	for trimmed > at && p.src[trimmed-1] == ' ' {
		trimmed--
	}
	n, ok := p.plain(at, trimmed, l)
	return n, end, ok
}

// resolve returns the tag yaml.v3 gives the plain scalar s, or false when
// s is outside the values this package resolves: those starting with a
// digit (other than UUIDs and dates), a sign, a dot or '<' (numbers,
// floats such as .inf, the merge key).
func resolve(s string) (string, bool) {
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return "!!bool", true
	case "~", "null", "Null", "NULL":
		return "!!null", true
	}
	switch c := s[0]; {
	case c >= '0' && c <= '9':
		// A UUID is never a number or a timestamp to yaml.v3.
		if ids.IsUUID(s) {
			return "!!str", true
		}
		if isDate(s) {
			return "!!timestamp", true
		}
		return "", false
	case c == '+' || c == '-' || c == '.' || c == '<':
		return "", false
	}
	return "!!str", true
}

// isDate reports whether s is a date YYYY-MM-DD that yaml.v3 resolves to a
// timestamp.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	_, err := time.Parse("2006-1-2", s)
	return err == nil
}
