package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// path is the JSON pointer of a value in the merged Config. Within one
// file it differs from the file's own pointer only in the index of a
// top-level list entry (see offsets).
type path string

func (p path) key(k string) path { return p + "/" + path(escapePointer(k)) }

func (p path) index(i int) path { return p + "/" + path(strconv.Itoa(i)) }

// human renders a JSON pointer as a readable path for messages:
// "/trustees/0/users/1/id" is "trustees[0].users[1].id". Tokens that are
// numbers are list indexes: no key of the format is a number.
func human(ptr string) string {
	if ptr == "" {
		return ""
	}
	var b strings.Builder
	for tok := range strings.SplitSeq(ptr[1:], "/") {
		tok = unescapePointer(tok)
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// prefix returns "human: " or "" at the root.
func prefix(ptr string) string {
	if ptr == "" {
		return ""
	}
	return human(ptr) + ": "
}

func unescapePointer(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	s = strings.ReplaceAll(s, "~1", "/")
	return strings.ReplaceAll(s, "~0", "~")
}

// escapePointer escapes one JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	s = strings.ReplaceAll(s, "~", "~0")
	return strings.ReplaceAll(s, "/", "~1")
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// scalar kinds after YAML tag resolution.
const (
	tagNull      = "!!null"
	tagBool      = "!!bool"
	tagInt       = "!!int"
	tagFloat     = "!!float"
	tagStr       = "!!str"
	tagTimestamp = "!!timestamp"
	tagMerge     = "!!merge"
)

// isString reports whether a scalar is text. Unquoted dates and times count:
// YAML calls them timestamps, JSON (and so the schema) sees strings.
func isString(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	switch n.ShortTag() {
	case tagStr, tagTimestamp:
		return true
	}
	return false
}

// parseBool parses a YAML 1.2 boolean.
func parseBool(s string) (bool, bool) {
	switch s {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

// parseNumber parses a YAML int or float scalar. ok is false for text that
// is not a number or a number that is not finite.
func parseNumber(n *yaml.Node) (v float64, isInt bool, i int64, ok bool) {
	s := strings.ReplaceAll(n.Value, "_", "")
	if n.ShortTag() == tagInt {
		if x, err := strconv.ParseInt(s, 0, 64); err == nil {
			return float64(x), true, x, true
		}
	}
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case ".inf", ".nan", "inf", "nan", "infinity":
		return 0, false, 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false, 0, false
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return f, true, int64(f), true
	}
	return f, false, 0, true
}

// describe names a node's type and value for messages: `the string "yes"`,
// `the number 12`, `a list`.
func describe(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case tagNull:
			return "an empty value (null)"
		case tagBool:
			return "the boolean " + n.Value
		case tagInt, tagFloat:
			return "the number " + shorten(n.Value)
		case tagStr, tagTimestamp:
			return "the string " + strconv.Quote(shorten(n.Value))
		default:
			return fmt.Sprintf("a %s value", n.ShortTag())
		}
	}
	return "an unsupported value"
}

// shorten cuts long values so that messages stay one readable line.
func shorten(s string) string {
	const limit = 60
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + "..."
	}
	return s
}

// checkLimits walks the node tree, expanding aliases, without building
// values: it reports alias cycles, aliases that expand to more than
// MaxAliasValues values and nesting deeper than MaxDepth. It returns the
// number of values walked.
func (d *decoder) checkLimits(root *yaml.Node) (nodes int, ok bool) {
	c := converter{d: d, active: make(map[*yaml.Node]bool)}
	c.convert(root, root, 0)
	return c.nodes, !c.failed
}

type converter struct {
	d      *decoder
	build  bool // build values, else only walk
	quiet  bool // report nothing (the limits were checked before)
	failed bool
	// nodes counts the nodes walked.
	nodes int
	// aliased counts the values reached through aliases; inAlias is how
	// many aliases the walk is inside.
	aliased, inAlias int
	// active holds the anchored nodes being expanded, to catch cycles.
	active map[*yaml.Node]bool
}

func (c *converter) fail(at *yaml.Node, msg, hint string) {
	if c.failed {
		return
	}
	c.failed = true
	if !c.quiet {
		c.d.errorAt(at, "", msg, hint)
	}
}

// convert returns the value of n; site is the node written in the file (the
// alias itself when n was reached through one), used for positions.
func (c *converter) convert(n, site *yaml.Node, depth int) any {
	if c.failed || n == nil {
		return nil
	}
	c.nodes++
	if c.inAlias > 0 {
		c.aliased++
		if c.aliased > MaxAliasValues {
			c.fail(site, fmt.Sprintf("too many values: more than %d after expanding aliases", MaxAliasValues),
				"aliases (*name) that repeat large anchored values multiply the document; write values out or use fewer aliases")
			return nil
		}
	}
	if depth > MaxDepth {
		c.fail(site, fmt.Sprintf("values nested more than %d levels deep", MaxDepth), "a desired-state file needs only a few levels")
		return nil
	}
	switch n.Kind {
	case yaml.AliasNode:
		target := n.Alias
		if target == nil {
			c.fail(n, "alias *"+n.Value+" names no anchor", "define &"+n.Value+" before using *"+n.Value)
			return nil
		}
		if c.active[target] {
			c.fail(n, "alias *"+n.Value+" is used inside the value it names", "an anchored value cannot contain an alias to itself")
			return nil
		}
		c.active[target] = true
		c.inAlias++
		v := c.convert(target, n, depth)
		c.inAlias--
		delete(c.active, target)
		return v
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return c.convert(n.Content[0], n.Content[0], depth)
	case yaml.SequenceNode:
		if n.Anchor != "" {
			c.active[n] = true
			defer delete(c.active, n)
		}
		if !c.build {
			for _, item := range n.Content {
				c.convert(item, item, depth+1)
			}
			return nil
		}
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			out = append(out, c.convert(item, item, depth+1))
		}
		return out
	case yaml.MappingNode:
		if n.Anchor != "" {
			c.active[n] = true
			defer delete(c.active, n)
		}
		var out map[string]any
		if c.build {
			out = make(map[string]any, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			if k == nil || k.Kind != yaml.ScalarNode {
				// A list or mapping as a key: never valid here, and the
				// schema must see something that is not a known key. Its
				// content counts against the alias limit when it is
				// reached through one.
				if c.inAlias > 0 {
					c.aliased += countNodes(k)
				}
				v := c.convert(n.Content[i+1], n.Content[i+1], depth+1)
				if c.build {
					out[complexKey(n.Content[i])] = v
				}
				continue
			}
			if !c.build {
				c.convert(n.Content[i+1], n.Content[i+1], depth+1)
				continue
			}
			if _, dup := out[k.Value]; dup {
				continue // the Go checks report duplicate keys
			}
			out[k.Value] = c.convert(n.Content[i+1], n.Content[i+1], depth+1)
		}
		if !c.build {
			return nil
		}
		return out
	case yaml.ScalarNode:
		if !c.build {
			return nil
		}
		return scalarValue(n)
	}
	return nil
}

// complexKey names a list or mapping used as a mapping key, for the
// schema (which sees an unknown property) and the matching Go error.
func complexKey(n *yaml.Node) string {
	return fmt.Sprintf("<complex key at line %d>", n.Line)
}

// countNodes counts the nodes under n without following aliases.
func countNodes(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, x := range n.Content {
		c += countNodes(x)
	}
	return c
}

// scalarValue is the JSON value of a scalar. Values JSON cannot hold
// (infinities, NaN, binary and custom tags) become strings.
func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case tagNull:
		return nil
	case tagBool:
		if b, ok := parseBool(n.Value); ok {
			return b
		}
	case tagInt, tagFloat:
		if f, isInt, i, ok := parseNumber(n); ok {
			if isInt {
				return i
			}
			return f
		}
	}
	return n.Value
}
