package schema

import (
	"bytes"
	"encoding/json"
	"sort"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestSchemaCompiles(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSON()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(URL, doc); err != nil {
		t.Fatal(err)
	}
	// Compiling validates the schema against the 2020-12 meta-schema.
	if _, err := c.Compile(URL); err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	m := doc.(map[string]any)
	if m["$schema"] != "https://json-schema.org/draft/2020-12/schema" || m["$id"] != URL {
		t.Errorf("$schema = %v, $id = %v", m["$schema"], m["$id"])
	}
}

// TestEveryKeyIsDocumented walks every property and definition: editors show
// the description and examples, so none may lack them.
func TestEveryKeyIsDocumented(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(JSON(), &doc); err != nil {
		t.Fatal(err)
	}
	var missing []string
	var walk func(where string, s map[string]any)
	walk = func(where string, s map[string]any) {
		if _, ok := s["description"].(string); !ok {
			missing = append(missing, where+": description")
		}
		if ex, ok := s["examples"].([]any); !ok || len(ex) == 0 {
			missing = append(missing, where+": examples")
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for name, p := range props {
				walk(where+"/properties/"+name, p.(map[string]any))
			}
		}
		for _, branch := range []string{"oneOf", "anyOf"} {
			if list, ok := s[branch].([]any); ok {
				for _, b := range list {
					if sub, ok := b.(map[string]any); ok && sub["properties"] != nil {
						for name, p := range sub["properties"].(map[string]any) {
							walk(where+"/"+branch+"/properties/"+name, p.(map[string]any))
						}
					}
				}
			}
		}
	}
	walk("#", doc)
	for name, d := range doc["$defs"].(map[string]any) {
		walk("#/$defs/"+name, d.(map[string]any))
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("schema lacks %s", m)
	}
}

func TestJSONReturnsACopy(t *testing.T) {
	a := JSON()
	a[0] = 'x'
	if JSON()[0] == 'x' {
		t.Error("JSON() exposes shared, mutable bytes")
	}
}
