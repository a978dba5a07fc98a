package config

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/trustsync/trustsync/schema"
)

// compiled holds the embedded schema, compiled once, and the definitions
// of a trustee and a trustor entry, which large files are checked against
// one entry at a time.
type compiled struct {
	root, trustee, trustor *jsonschema.Schema
}

// compiledSchema compiles the embedded schema once. Formats (date,
// date-time) are asserted, as the Go checks do.
var compiledSchema = sync.OnceValues(func() (*compiled, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.JSON()))
	if err != nil {
		return nil, fmt.Errorf("parse embedded schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseRegexpEngine(compilePattern)
	if err := c.AddResource(schema.URL, doc); err != nil {
		return nil, fmt.Errorf("add embedded schema: %w", err)
	}
	var out compiled
	for _, s := range []struct {
		into **jsonschema.Schema
		loc  string
	}{{&out.root, schema.URL}, {&out.trustee, schema.URL + "#/$defs/trustee"}, {&out.trustor, schema.URL + "#/$defs/trustor"}} {
		if *s.into, err = c.Compile(s.loc); err != nil {
			return nil, fmt.Errorf("compile embedded schema %s: %w", s.loc, err)
		}
	}
	return &out, nil
})

// validateSchema checks one file against the JSON Schema and maps each
// error back to the YAML node it is about. The top level is checked with
// the trustees and trustors lists emptied, then each of their entries
// against its definition, one at a time: a large file is thus never held
// twice, once as nodes and once as JSON-like values. It only reads the
// nodes, so it may run beside the Go checks. The file must have passed
// checkLimits.
//
// Entries of the lists named in skip are left out: they were cut from the
// file and are checked one by one (see split).
func validateSchema(file string, root *yaml.Node, skip map[string]bool) []diag {
	sch, err := compiledSchema()
	if err != nil {
		// The schema is embedded and tested; failing here is a build defect.
		return []diag{{Diagnostic: Diagnostic{Pos: Pos{File: file, Line: 1, Col: 1}, Severity: Error,
			Message: "internal error: " + err.Error()}}}
	}
	c := converter{build: true, quiet: true, active: make(map[*yaml.Node]bool)}
	top := c.convert(root, root, 0)
	type entry struct {
		sch    *jsonschema.Schema
		prefix []string
		node   *yaml.Node
	}
	var list []entry
	if m, ok := top.(map[string]any); ok {
		for _, sec := range []struct {
			key string
			sch *jsonschema.Schema
		}{{"trustees", sch.trustee}, {"trustors", sch.trustor}} {
			if _, ok := m[sec.key].([]any); !ok {
				continue
			}
			if !skip[sec.key] {
				_, items := mappingEntry(root, sec.key)
				for i, item := range deref(items).Content {
					list = append(list, entry{sec.sch, []string{sec.key, strconv.Itoa(i)}, item})
				}
			}
			m[sec.key] = []any{}
		}
	}
	out := schemaCheck(file, root, sch.root, top, nil)
	for _, e := range list {
		out = append(out, schemaCheck(file, e.node, e.sch, c.convert(e.node, e.node, 2), e.prefix)...)
	}
	return out
}

// validateEntry checks one entry of the trustees or trustors list (key)
// at index i against its definition.
func validateEntry(file, key string, i int, item *yaml.Node) []diag {
	sch, err := compiledSchema()
	if err != nil {
		return []diag{{Diagnostic: Diagnostic{Pos: Pos{File: file, Line: 1, Col: 1}, Severity: Error,
			Message: "internal error: " + err.Error()}}}
	}
	def := sch.trustee
	if key == "trustors" {
		def = sch.trustor
	}
	c := converter{build: true, quiet: true, active: make(map[*yaml.Node]bool)}
	return schemaCheck(file, item, def, c.convert(item, item, 2), []string{key, strconv.Itoa(i)})
}

// schemaCheck validates value, the value of node base, which is at the
// pointer tokens prefix of the file, against sch.
func schemaCheck(file string, base *yaml.Node, sch *jsonschema.Schema, value any, prefix []string) []diag {
	err := sch.Validate(value)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []diag{{Diagnostic: Diagnostic{Pos: Pos{File: file, Line: 1, Col: 1}, Severity: Error,
			Message: "schema: " + err.Error()}}}
	}
	p := message.NewPrinter(language.English)
	var out []diag
	for _, leaf := range schemaLeaves(ve) {
		out = append(out, schemaDiags(file, base, leaf, prefix, p)...)
	}
	return out
}

// schemaLeaves returns the errors worth reporting: the leaves of the error
// tree, except that a failed anyOf/oneOf is one error (its branches'
// failures would only confuse).
func schemaLeaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		return []*jsonschema.ValidationError{e}
	}
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, schemaLeaves(c)...)
	}
	return out
}

// schemaDiags turns one schema error into diagnostics positioned on the
// YAML node the error's instance location names. An unexpected property is
// reported on its key.
func schemaDiags(file string, base *yaml.Node, e *jsonschema.ValidationError, prefix []string, p *message.Printer) []diag {
	node := nodeAt(base, e.InstanceLocation)
	d := decoder{file: file}
	ptr := pointer(prefix) + pointer(e.InstanceLocation)
	human := humanPath(base, e.InstanceLocation)
	if hp := humanOf(prefix); hp != "" {
		if human == "" {
			human = hp
		} else if strings.HasPrefix(human, "[") {
			human = hp + human
		} else {
			human = hp + "." + human
		}
	}
	if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
		var out []diag
		for _, prop := range ap.Properties {
			keyNode := node
			if key, _ := mappingEntry(node, prop); key != nil {
				keyNode = key
			}
			name := prop
			if human != "" {
				name = human + "." + prop
			}
			out = append(out, diag{Diagnostic: Diagnostic{Pos: d.pos(keyNode), Severity: Error,
				Message: fmt.Sprintf("schema: %s: property not allowed", name)}, ptr: ptr + "/" + escapePointer(prop)})
		}
		return out
	}
	msg := e.ErrorKind.LocalizedString(p)
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		msg = "matches none of the forms the schema allows"
	}
	if human != "" {
		msg = human + ": " + msg
	}
	return []diag{{Diagnostic: Diagnostic{Pos: d.pos(node), Severity: Error, Message: "schema: " + msg}, ptr: ptr}}
}

// nodeAt follows a JSON pointer's tokens from root, through aliases, and
// returns the deepest node it reaches.
func nodeAt(root *yaml.Node, tokens []string) *yaml.Node {
	n := root
	for _, tok := range tokens {
		v := deref(n)
		var next *yaml.Node
		switch v.Kind {
		case yaml.MappingNode:
			_, next = mappingEntry(v, tok)
		case yaml.SequenceNode:
			if idx, err := strconv.Atoi(tok); err == nil && idx >= 0 && idx < len(v.Content) {
				next = v.Content[idx]
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// mappingEntry finds the first key named name in a mapping.
func mappingEntry(n *yaml.Node, name string) (key, val *yaml.Node) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == name {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapePointer(t))
	}
	return b.String()
}

// humanPath renders tokens as "trustees[0].users[1]", using the node tree
// to tell list indexes from keys.
func humanPath(root *yaml.Node, tokens []string) string {
	var b strings.Builder
	n := root
	for _, tok := range tokens {
		v := deref(n)
		if v != nil && v.Kind == yaml.SequenceNode {
			if idx, err := strconv.Atoi(tok); err == nil {
				b.WriteString("[" + tok + "]")
				if idx >= 0 && idx < len(v.Content) {
					n = v.Content[idx]
				}
				continue
			}
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
		if _, val := mappingEntry(v, tok); val != nil {
			n = val
		}
	}
	return b.String()
}

// humanOf renders pointer tokens whose numbers are all list indexes.
func humanOf(tokens []string) string { return human(pointer(tokens)) }
