package sandbox

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/trustsync/trustsync/internal/suggest"
)

// This file checks the shape of a fixture document against the Fixture
// types before it is decoded: unknown keys (with a did-you-mean),
// repeated keys and values of the wrong kind, each located by line and
// column, all reported at once.

// located is one problem at a position in the fixture's source.
type located struct {
	line, col int
	path      string
	msg       string
}

// shapeChecker walks a YAML node tree alongside a Go type.
type shapeChecker struct {
	probs []located
	// depth and visits bound the walk: aliases can nest deeply and
	// expand exponentially.
	depth, visits int
}

// maxShapeVisits is far more nodes than a real fixture has.
const maxShapeVisits = 1 << 20

// maxShapeDepth is deeper than any fixture nests; deeper documents are
// refused rather than walked.
const maxShapeDepth = 32

func (c *shapeChecker) add(n *yaml.Node, path []any, format string, args ...any) {
	c.probs = append(c.probs, located{line: n.Line, col: n.Column, path: pathString(path), msg: fmt.Sprintf(format, args...)})
}

// yamlKeys returns the YAML keys of struct type t, in field order, and
// the field index of each.
func yamlKeys(t reflect.Type) ([]string, map[string]int) {
	var keys []string
	idx := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		keys = append(keys, name)
		idx[name] = i
	}
	return keys, idx
}

// check walks n as a value of type t at path.
func (c *shapeChecker) check(n *yaml.Node, t reflect.Type, path []any) {
	c.depth++
	c.visits++
	defer func() { c.depth-- }()
	if c.visits == maxShapeVisits {
		c.add(n, path, "the document expands to more than %d values (aliases repeated too often)", maxShapeVisits)
	}
	if c.visits >= maxShapeVisits {
		return
	}
	if c.depth > maxShapeDepth {
		c.add(n, path, "the document nests more than %d levels deep", maxShapeDepth)
		return
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // null is the zero value of anything
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		keys, idx := yamlKeys(t)
		if n.Kind != yaml.MappingNode {
			c.add(n, path, "expected a mapping with the keys %s, got %s", strings.Join(keys, ", "), nodeKind(n))
			return
		}
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				c.add(k, path, "a key must be a plain word, got %s", nodeKind(k))
				continue
			}
			if prev, dup := seen[k.Value]; dup {
				c.add(k, append(slices.Clone(path), k.Value), "key %q is repeated (first at line %d)", k.Value, prev.Line)
				continue
			}
			seen[k.Value] = k
			fi, ok := idx[k.Value]
			if !ok {
				c.add(k, path, "unknown key %q%s (allowed here: %s)", k.Value, didYouMean(k.Value, keys), strings.Join(keys, ", "))
				continue
			}
			c.check(v, t.Field(fi).Type, append(slices.Clone(path), k.Value))
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.add(n, path, "expected a list, got %s", nodeKind(n))
			return
		}
		for i, e := range n.Content {
			c.check(e, t.Elem(), append(slices.Clone(path), i))
		}
	default:
		if n.Kind != yaml.ScalarNode {
			c.add(n, path, "expected %s, got %s", scalarKind(t), nodeKind(n))
			return
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			c.add(n, path, "expected %s, got %q", scalarKind(t), n.Value)
		}
	}
}

// didYouMean suggests the closest of keys to k, or "".
func didYouMean(k string, keys []string) string {
	if len(k) > 64 {
		return ""
	}
	best, bestD := "", 3
	for _, cand := range keys {
		if d := suggest.Distance(strings.ToLower(k), strings.ToLower(cand)); d < bestD {
			best, bestD = cand, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

func scalarKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	}
	return "a string"
}
