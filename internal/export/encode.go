package export

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/trustsync/trustsync/internal/atomicfile"
	"github.com/trustsync/trustsync/internal/config"
)

// Encode writes the export as a desired-state file with [config.Encode]
// (the file model's own writer), adding comments: a header naming the org,
// one per section, trust and group (with its member count), one naming the roles referred to by id, and a
// footer listing the Customer Care trusts as a commented-out protect entry.
func (ex *Export) Encode() ([]byte, error) {
	var buf bytes.Buffer
	if err := config.Encode(&buf, ex.Config, ex.options()); err != nil {
		return nil, fmt.Errorf("encode the export: %w", err)
	}
	return buf.Bytes(), nil
}

// options are the comments Encode adds, keyed by the JSON pointer of the
// value each is about.
func (ex *Export) options() config.EncodeOptions {
	cfg := ex.Config
	org := cfg.Organization
	orgLabel := org.ID
	if org.Name != "" {
		orgLabel = fmt.Sprintf("%s (%s)", org.Name, org.ID)
	}
	opts := config.EncodeOptions{
		Header: strings.Join([]string{
			"Desired state exported by trustsync from the live trusts of " + oneLine(orgLabel) + ".",
			"Review it and commit it: 'trustsync plan' against this org shows no changes.",
			"Names are informational; ids decide. A section left out is not managed.",
		}, "\n"),
		Footer:   ex.careFooter(),
		Comments: map[string]config.Comment{},
	}
	if cfg.ManageTrustees {
		opts.Comments["/trustees"] = config.Comment{Head: "Orgs this org grants access to, with their users and the roles (of this org) each holds."}
		for i, t := range cfg.Trustees {
			opts.Comments[config.Pointer("trustees", i)] = config.Comment{
				Head: "trust granted to " + oneLine(nameOr(t.Name, t.ID)) + ": " + countMembers(len(t.Users), t.ManageGroups, len(t.Groups)),
			}
			for j, u := range t.Users {
				if c := ex.rolesComment(u.Roles); c != "" {
					opts.Comments[config.Pointer("trustees", i, "users", j, "roles")] = config.Comment{Head: c}
				}
			}
			for j, g := range t.Groups {
				opts.Comments[config.Pointer("trustees", i, "groups", j)] = config.Comment{Head: ex.groupComment(g.ID, g.Name)}
				if c := ex.rolesComment(g.Roles); c != "" {
					opts.Comments[config.Pointer("trustees", i, "groups", j, "roles")] = config.Comment{Head: c}
				}
			}
		}
	}
	if cfg.ManageTrustors {
		opts.Comments["/trustors"] = config.Comment{Head: "Orgs that grant this org access, with this org's users in each trust."}
		for i, t := range cfg.Trustors {
			opts.Comments[config.Pointer("trustors", i)] = config.Comment{
				Head: "trust " + oneLine(nameOr(t.Name, t.ID)) + " grants this org: " + countMembers(len(t.Users), t.ManageGroups, len(t.Groups)),
			}
			for j, g := range t.Groups {
				opts.Comments[config.Pointer("trustors", i, "groups", j)] = config.Comment{Head: ex.groupComment(g.ID, g.Name)}
			}
		}
	}
	return opts
}

// careFooter lists the Customer Care trusts as a protect entry in a
// comment: plan protects them without it (unless a trustee entry lists
// one), so the file need not, but a reviewer sees they exist.
func (ex *Export) careFooter() string {
	if len(ex.Care) == 0 {
		return ""
	}
	lines := []string{
		"Genesys Customer Care trusts are protected without being listed: plan shows them",
		"and never changes them. List one under trustees to manage it instead.",
		"protect:",
		"  trustees:",
	}
	for _, c := range ex.Care {
		lines = append(lines, "    - "+c.OrgID+" # "+oneLine(nameOr(c.OrgName, "Genesys Customer Care org")))
	}
	return strings.Join(lines, "\n")
}

// rolesComment names the roles of refs that are written by id; "" when
// every role is written by name.
func (ex *Export) rolesComment(refs []config.RoleRef) string {
	var named []string
	for _, r := range refs {
		name, byID := ex.RoleNames[strings.ToLower(r.Ref)]
		if !byID {
			continue
		}
		if name == "" {
			name = "a role with no name"
		}
		named = append(named, r.Ref+" is "+oneLine(name))
	}
	if len(named) == 0 {
		return ""
	}
	return "by id, where the role name is ambiguous: " + strings.Join(named, "; ")
}

// WriteFile writes data to path atomically. Without force it refuses a
// path that exists: the name is claimed with an exclusive create before
// the content replaces the empty file, so an existing file is never
// overwritten and a reader never sees partial content.
func WriteFile(path string, data []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; nothing was written\nhint: add --force to overwrite it, or choose another -o", path)
		}
		if err != nil {
			return fmt.Errorf("create %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			_ = os.Remove(path)
			return fmt.Errorf("create %s: %w", path, err)
		}
		if err := atomicfile.WriteFile(path, 0o644, data); err != nil {
			_ = os.Remove(path) // the empty file claimed above
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	if err := atomicfile.WriteFile(path, 0o644, data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// groupComment names a group and how many people it reaches, so a
// reviewer sees what a group grant means without looking it up.
func (ex *Export) groupComment(id, name string) string {
	members := "member count unknown"
	if n := ex.GroupMembers[strings.ToLower(id)]; n != nil {
		members = count(int(*n), "member", "members")
	}
	return "group " + oneLine(nameOr(name, "with no name")) + ": " + members
}

// countMembers counts a trust's users and, when they are managed, groups.
func countMembers(users int, manageGroups bool, groups int) string {
	s := count(users, "user", "users")
	if manageGroups {
		s += ", " + count(groups, "group", "groups")
	}
	return s
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
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
