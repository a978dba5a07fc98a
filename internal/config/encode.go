package config

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EncodeOptions adds comments to the YAML that Encode writes.
type EncodeOptions struct {
	// Header is a comment written at the top of the file, Footer one at
	// the end (for example a commented-out section). Lines may start with
	// "#"; those that do not get "# ".
	Header, Footer string
	// Comments holds comments for values, keyed by the value's JSON
	// pointer in the Config (see [Pointer]): "/trustees/0" is the first
	// trustee, "/trustors/0/users/1" a user of the first trustor. Pointers
	// that name no written value are an error.
	Comments map[string]Comment
}

// Comment is written around one value. Head goes on the lines before it
// (before its key, for a mapping value); Line at the end of its line (for
// a list entry that is a mapping, the line of its first key).
type Comment struct {
	Head, Line string
}

// Encode writes cfg as a desired-state file: keys in the order of the
// format, list entries in the order given, roles and protected ids as flow
// lists, expiries as dates when they are midnight UTC, and policy values
// equal to their defaults left out. The output depends only on cfg and
// opts, and Load of it gives back the same configuration (and Digest).
func Encode(w io.Writer, cfg *Config, opts EncodeOptions) error {
	doc, err := EncodeNode(cfg, opts)
	if err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write desired state: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write desired state: %w", err)
	}
	return nil
}

// EncodeNode returns the YAML document Encode writes, for callers that
// want to change it further.
func EncodeNode(cfg *Config, opts EncodeOptions) (*yaml.Node, error) {
	var root yaml.Node
	if err := root.Encode(cfg); err != nil {
		return nil, fmt.Errorf("encode desired state: %w", err)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{&root},
		HeadComment: commentText(opts.Header), FootComment: commentText(opts.Footer)}
	for ptr, c := range opts.Comments {
		key, val := lookup(&root, ptr)
		if val == nil {
			return nil, fmt.Errorf("encode desired state: comment for %q: no such value", ptr)
		}
		head := key
		if head == nil {
			head = val
		}
		head.HeadComment = commentText(c.Head)
		if c.Line != "" {
			line := val
			if val.Kind == yaml.MappingNode && len(val.Content) >= 2 {
				line = val.Content[1]
			}
			line.LineComment = commentText(c.Line)
		}
	}
	return doc, nil
}

// lookup follows a JSON pointer from root; key is the mapping key of the
// value found, nil for a list entry or the root.
func lookup(root *yaml.Node, ptr string) (key, val *yaml.Node) {
	val = root
	if ptr == "" {
		return nil, val
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, nil
	}
	for tok := range strings.SplitSeq(ptr[1:], "/") {
		tok = unescapePointer(tok)
		switch val.Kind {
		case yaml.MappingNode:
			key, val = mappingEntry(val, tok)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(val.Content) {
				return nil, nil
			}
			key, val = nil, val.Content[i]
		default:
			return nil, nil
		}
		if val == nil {
			return nil, nil
		}
	}
	return key, val
}

// commentText prefixes each line of s with "# " unless it has a "#".
func commentText(s string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			lines[i] = strings.TrimRight("# "+l, " ")
		}
	}
	return strings.Join(lines, "\n")
}

// The MarshalYAML methods below write the parts of the format that struct
// tags cannot say: sections and member lists that are managed but empty
// (`trustees: []`), values that are written as bare strings, expiry dates
// and policy defaults.

// MarshalYAML writes the configuration, with `trustees: []` and
// `trustors: []` for managed, empty sections and without empty policy
// and protect mappings.
func (c *Config) MarshalYAML() (any, error) {
	type plain Config
	n, err := encodeMapping((*plain)(c))
	if err != nil {
		return nil, err
	}
	removeEmptyMapping(n, "policy")
	setManaged(n, "trustees", c.ManageTrustees)
	setManaged(n, "trustors", c.ManageTrustors)
	return n, nil
}

// MarshalYAML writes the policy without the values equal to their
// defaults.
func (p Policy) MarshalYAML() (any, error) {
	type plain Policy
	n, err := encodeMapping(plain(p))
	if err != nil {
		return nil, err
	}
	for _, s := range policyInts {
		if *s.field(&p) == s.def {
			removeKey(n, s.key)
		}
	}
	return n, nil
}

// MarshalYAML writes the trustee with its expiry in the file's date form
// and `users: []` or `groups: []` when those are managed and empty.
func (t Trustee) MarshalYAML() (any, error) {
	type plain Trustee
	n, err := encodeMapping(plain(t))
	if err != nil {
		return nil, err
	}
	if t.Expires != nil {
		if _, v := mappingEntry(n, "expires"); v != nil {
			*v = yaml.Node{Kind: yaml.ScalarNode, Tag: tagTimestamp, Value: formatExpiry(*t.Expires)}
		}
	}
	setManaged(n, "users", t.ManageUsers)
	setManaged(n, "groups", t.ManageGroups)
	return n, nil
}

// MarshalYAML writes the trustor with `users: []` or `groups: []` when
// those are managed and empty.
func (t Trustor) MarshalYAML() (any, error) {
	type plain Trustor
	n, err := encodeMapping(plain(t))
	if err != nil {
		return nil, err
	}
	setManaged(n, "users", t.ManageUsers)
	setManaged(n, "groups", t.ManageGroups)
	return n, nil
}

// MarshalYAML writes the role as a string.
func (r RoleRef) MarshalYAML() (any, error) { return r.Ref, nil }

// MarshalYAML writes the org id as a string.
func (r OrgRef) MarshalYAML() (any, error) { return r.ID, nil }

// MarshalYAML writes the user as a bare id, or as {id, name}.
func (u TrustorUser) MarshalYAML() (any, error) { return idOrMapping(u.ID, u.Name), nil }

// MarshalYAML writes the group as a bare id, or as {id, name}.
func (g TrustorGroup) MarshalYAML() (any, error) { return idOrMapping(g.ID, g.Name), nil }

func idOrMapping(id, name string) any {
	if name == "" {
		return id
	}
	return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{
		strNode("id"), strNode(id), strNode("name"), strNode(name),
	}}
}

func strNode(s string) *yaml.Node {
	n := &yaml.Node{}
	n.SetString(s)
	return n
}

// encodeMapping encodes v, a struct, as a mapping node.
func encodeMapping(v any) (*yaml.Node, error) {
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return n, nil
}

// setManaged removes key when its list is not managed, and writes a
// managed, empty list as `[]`.
func setManaged(n *yaml.Node, key string, managed bool) {
	if !managed {
		removeKey(n, key)
		return
	}
	if _, v := mappingEntry(n, key); v != nil && len(v.Content) == 0 {
		v.Style = yaml.FlowStyle
	}
}

func removeKey(n *yaml.Node, key string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			return
		}
	}
}

func removeEmptyMapping(n *yaml.Node, key string) {
	if _, v := mappingEntry(n, key); v != nil && v.Kind == yaml.MappingNode && len(v.Content) == 0 {
		removeKey(n, key)
	}
}
