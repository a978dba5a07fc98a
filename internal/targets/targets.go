// Package targets finds the orgs of a repository that manages many: one
// directory per org (for example orgs/<name>/), each holding the
// desired-state files of that org and pinning its organization.id and
// organization.region. Workflows turn the list into a job matrix, one job
// per org, and, on a pull request, only for the orgs whose files changed
// (see [Changed]).
package targets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/trustsync/trustsync/internal/config"
	"github.com/trustsync/trustsync/internal/printable"
)

// Target is one org directory.
type Target struct {
	// Name is the directory's base name; unique among the targets.
	Name string `json:"name"`
	// Dir is the directory: the root as given joined with its path below
	// the root, with forward slashes (what `-f` takes).
	Dir string `json:"dir"`
	// OrgID and Region are the directory's organization.id and
	// organization.region.
	OrgID  string `json:"org_id"`
	Region string `json:"region"`
	// Secrets names the repository or environment secrets holding the
	// org's OAuth client ([SecretNames]).
	Secrets Secrets `json:"secrets"`
}

// Secrets are the names of an org's credential secrets.
type Secrets struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// SecretNames returns the secret names for the org directory name:
// TRUSTSYNC_<NAME>_CLIENT_ID and TRUSTSYNC_<NAME>_CLIENT_SECRET, where
// NAME is name upper-cased with every character other than a letter or a
// digit replaced by '_' (orgs/north-wind → TRUSTSYNC_NORTH_WIND_CLIENT_ID).
func SecretNames(name string) Secrets {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	p := "TRUSTSYNC_" + b.String()
	return Secrets{ClientID: p + "_CLIENT_ID", ClientSecret: p + "_CLIENT_SECRET"}
}

// skipDir reports whether a directory below the root is never searched:
// hidden ones (.git, .github, .trustsync) and those of tooling.
func skipDir(name string) bool {
	return strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules"
}

// Find returns the org directories under root, sorted by Dir: every
// directory (root included) with a desired-state file directly in it,
// that is a *.yaml or *.yml file, not hidden, whose top level has
// `version` and one of `organization`, `trustees` or `trustors`. Every
// such directory must pin organization.id and organization.region; one
// that does not, two with the same name or the same secret names, or a
// file that cannot be read is an error (all of them, joined).
func Find(root string) ([]Target, error) {
	var out []Target
	var errs []error
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != root && skipDir(d.Name()) {
			return filepath.SkipDir
		}
		t, ok, err := inspect(root, path)
		if err != nil {
			errs = append(errs, err)
		} else if ok {
			out = append(out, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search %s for org directories: %w", root, err)
	}
	slices.SortFunc(out, func(a, b Target) int { return strings.Compare(a.Dir, b.Dir) })
	names := map[string]string{}
	secrets := map[string]string{}
	for _, t := range out {
		if prev, dup := names[t.Name]; dup {
			errs = append(errs, fmt.Errorf("%s and %s have the same name %q; the name picks the org's secrets, so rename one directory", prev, t.Dir, t.Name))
			continue
		}
		names[t.Name] = t.Dir
		if prev, dup := secrets[t.Secrets.ClientID]; dup {
			errs = append(errs, fmt.Errorf("%s and %s would both use the secrets %s and %s; rename one directory", prev, t.Dir, t.Secrets.ClientID, t.Secrets.ClientSecret))
			continue
		}
		secrets[t.Secrets.ClientID] = t.Dir
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if out == nil {
		out = []Target{}
	}
	return out, nil
}

// pin is where a file sets organization.id or organization.region.
type pin struct {
	val, file string
	line, col int
}

// inspect reads the desired-state files directly in dir.
func inspect(root, dir string) (Target, bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Target{}, false, fmt.Errorf("read %s: %w", dir, err)
	}
	var id, region *pin
	found := false
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		path := filepath.Join(dir, name)
		top, err := topLevel(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if top == nil || top["version"] == nil || (top["organization"] == nil && top["trustees"] == nil && top["trustors"] == nil) {
			continue // not a desired-state file (a workflow, a fixture, ...)
		}
		found = true
		org := top["organization"]
		if org == nil || org.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(org.Content); i += 2 {
			k, v := org.Content[i], org.Content[i+1]
			var slot **pin
			switch k.Value {
			case "id":
				slot = &id
			case "region":
				slot = &region
			default:
				continue
			}
			p := &pin{val: strings.TrimSpace(v.Value), file: path, line: v.Line, col: v.Column}
			if v.Kind != yaml.ScalarNode || p.val == "" {
				errs = append(errs, fmt.Errorf("%s:%d:%d: organization.%s must be a non-empty string", path, v.Line, v.Column, k.Value))
				continue
			}
			if prev := *slot; prev != nil && prev.val != p.val {
				errs = append(errs, fmt.Errorf("%s:%d:%d: organization.%s %q differs from %q set at %s:%d:%d; one org directory is one org",
					path, v.Line, v.Column, k.Value, printable.String(p.val), printable.String(prev.val), prev.file, prev.line, prev.col))
				continue
			}
			*slot = p
		}
	}
	if len(errs) > 0 {
		return Target{}, false, errors.Join(errs...)
	}
	if !found {
		return Target{}, false, nil
	}
	var missing []string
	if id == nil {
		missing = append(missing, "organization.id")
	}
	if region == nil {
		missing = append(missing, "organization.region")
	}
	if len(missing) > 0 {
		return Target{}, false, fmt.Errorf("%s: %s not set; every org directory must pin organization.id and organization.region, so a job can never reach the wrong org",
			dir, strings.Join(missing, " and "))
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return Target{}, false, fmt.Errorf("locate %s under %s: %w", dir, root, err)
	}
	name := filepath.Base(dir)
	if rel == "." {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return Target{}, false, fmt.Errorf("locate %s: %w", dir, err)
		}
		name = filepath.Base(abs)
	}
	return Target{
		Name:    name,
		Dir:     filepath.ToSlash(filepath.Join(root, rel)),
		OrgID:   id.val,
		Region:  region.val,
		Secrets: SecretNames(name),
	}, true, nil
}

// topLevel returns the top-level mapping of the YAML file at path by key,
// or nil when its first document is not a mapping.
func topLevel(path string) (map[string]*yaml.Node, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if info.Size() > config.MaxInputSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, config.MaxInputSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: not valid YAML: %w\nhint: run 'trustsync validate -f %s' for the details", path, err, path)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil
	}
	m := doc.Content[0]
	out := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out[m.Content[i].Value] = m.Content[i+1]
	}
	return out, nil
}
