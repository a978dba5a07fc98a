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

// compiledSchema compiles the embedded schema once. Formats (date,
// date-time) are asserted, as the Go checks do.
var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.JSON()))
	if err != nil {
		return nil, fmt.Errorf("parse embedded schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(schema.URL, doc); err != nil {
		return nil, fmt.Errorf("add embedded schema: %w", err)
	}
	sch, err := c.Compile(schema.URL)
	if err != nil {
		return nil, fmt.Errorf("compile embedded schema: %w", err)
	}
	return sch, nil
})

// validateSchema checks one file's value against the JSON Schema and maps
// each error back to the YAML node it is about.
func validateSchema(file string, root *yaml.Node, value any) []diag {
	sch, err := compiledSchema()
	if err != nil {
		// The schema is embedded and tested; failing here is a build defect.
		return []diag{{Diagnostic: Diagnostic{Pos: Pos{File: file, Line: 1, Col: 1}, Severity: Error,
			Message: "internal error: " + err.Error()}}}
	}
	err = sch.Validate(value)
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
		out = append(out, schemaDiags(file, root, leaf, p)...)
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
func schemaDiags(file string, root *yaml.Node, e *jsonschema.ValidationError, p *message.Printer) []diag {
	node := nodeAt(root, e.InstanceLocation)
	d := decoder{file: file}
	ptr := pointer(e.InstanceLocation)
	human := humanPath(root, e.InstanceLocation)
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
