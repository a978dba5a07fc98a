package export

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Encode writes the export as a desired-state file: a header naming the
// org, then version, organization, protect, trustees and trustors in that
// order, each trust, user and role in the order FromLive gave them.
func (ex *Export) Encode() ([]byte, error) {
	cfg := ex.Config
	root := mapping()
	org := cfg.Organization
	orgLabel := org.ID
	if org.Name != "" {
		orgLabel = fmt.Sprintf("%s (%s)", org.Name, org.ID)
	}
	root.HeadComment = strings.Join([]string{
		"Desired state exported by trustsync from the live trusts of " + oneLine(orgLabel) + ".",
		"Review it and commit it: 'trustsync plan' against this org shows no changes.",
		"Names are informational; ids decide. A section left out is not managed.",
	}, "\n")

	add(root, "version", intNode(cfg.Version))
	on := mapping()
	add(on, "id", str(org.ID))
	if org.Name != "" {
		add(on, "name", str(org.Name))
	}
	if org.Region != "" {
		add(on, "region", str(org.Region))
	}
	add(root, "organization", on)

	if len(cfg.Protect.Trustees) > 0 {
		prot := mapping()
		seq := sequence()
		for _, c := range ex.Care {
			n := str(c.OrgID)
			n.LineComment = oneLine(nameOr(c.OrgName, "Genesys Customer Care org")) + ": Customer Care trust, protected"
			seq.Content = append(seq.Content, n)
		}
		add(prot, "trustees", seq)
		k := add(root, "protect", prot)
		k.HeadComment = "Customer Care trusts are protected rather than managed: list one under trustees to manage it."
	}

	if cfg.ManageTrustees {
		seq := sequence()
		for _, t := range cfg.Trustees {
			m := mapping()
			add(m, "id", str(t.ID))
			m.HeadComment = "trust granted to " + oneLine(nameOr(t.Name, t.ID)) + ": " + countUsers(len(t.Users))
			if t.Name != "" {
				add(m, "name", str(t.Name))
			}
			add(m, "enabled", boolNode(t.Enabled))
			if t.Expires != nil {
				add(m, "expires", expiry(*t.Expires))
			}
			users := sequence()
			for _, u := range t.Users {
				um := mapping()
				add(um, "id", str(u.ID))
				if u.Name != "" {
					add(um, "name", str(u.Name))
				}
				roles := sequence()
				roles.Style = yaml.FlowStyle
				for _, r := range u.Roles {
					rn := str(r.Ref)
					if name, byID := ex.RoleNames[strings.ToLower(r.Ref)]; byID {
						roles.Style = 0 // a flow sequence cannot carry a comment per item
						rn.LineComment = roleComment(name)
					}
					roles.Content = append(roles.Content, rn)
				}
				add(um, "roles", roles)
				users.Content = append(users.Content, um)
			}
			add(m, "users", users)
			seq.Content = append(seq.Content, m)
		}
		if len(seq.Content) == 0 {
			seq.Style = yaml.FlowStyle
		}
		k := add(root, "trustees", seq)
		k.HeadComment = "Orgs this org grants access to, with their users and the roles (of this org) each holds."
	}

	if cfg.ManageTrustors {
		seq := sequence()
		for _, t := range cfg.Trustors {
			m := mapping()
			m.HeadComment = "trust " + oneLine(nameOr(t.Name, t.ID)) + " grants this org: " + countUsers(len(t.Users))
			add(m, "id", str(t.ID))
			if t.Name != "" {
				add(m, "name", str(t.Name))
			}
			users := sequence()
			for _, u := range t.Users {
				um := mapping()
				um.Style = yaml.FlowStyle
				add(um, "id", str(u.ID))
				if u.Name != "" {
					add(um, "name", str(u.Name))
				}
				users.Content = append(users.Content, um)
			}
			if len(users.Content) == 0 {
				users.Style = yaml.FlowStyle
			}
			add(m, "users", users)
			seq.Content = append(seq.Content, m)
		}
		if len(seq.Content) == 0 {
			seq.Style = yaml.FlowStyle
		}
		k := add(root, "trustors", seq)
		k.HeadComment = "Orgs that grant this org access, with this org's users in each trust."
	}

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("encode the desired-state file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode the desired-state file: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteFile writes data to path. Without force it refuses a path that
// exists (checked and created in one step); with force it replaces the
// file atomically.
func WriteFile(path string, data []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; nothing was written\nhint: add --force to overwrite it, or choose another -o", path)
		}
		if err != nil {
			return fmt.Errorf("create %s: %w", path, err)
		}
		if _, err := f.Write(data); err != nil {
			_ = f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}

func mapping() *yaml.Node  { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }
func sequence() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"} }

// str is a string scalar; the encoder quotes it when it would read back as
// anything else (a number, a bool, a date).
func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func intNode(n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(n)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

// expiry writes a time at 00:00 UTC as a date, anything else as an RFC
// 3339 date-time; the loader reads both back to the same instant.
func expiry(t time.Time) *yaml.Node {
	t = t.UTC()
	v := t.Format(time.RFC3339Nano)
	if t.Equal(t.Truncate(24 * time.Hour)) {
		v = t.Format(time.DateOnly)
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: v}
}

// add appends key: val to m and returns the key node (for comments).
func add(m *yaml.Node, key string, val *yaml.Node) *yaml.Node {
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	m.Content = append(m.Content, k, val)
	return k
}

func roleComment(name string) string {
	if name == "" {
		return "a role with no name"
	}
	return oneLine(name) + " (by id: the name is ambiguous)"
}

func countUsers(n int) string {
	if n == 1 {
		return "1 user"
	}
	return strconv.Itoa(n) + " users"
}

func nameOr(name, def string) string {
	if name == "" {
		return def
	}
	return name
}

// oneLine keeps a comment on its line: live names are printable already,
// but a comment must never end early or start a new key.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
