// Package planfile writes and reads saved plans (`trustsync plan --out`),
// the input of `trustsync apply PLANFILE`.
//
// A saved plan is one JSON object (docs/plan-format.md, "Saved plan
// files"): the file's own format version, the trustsync build that wrote
// it, the digest of the configuration and the fingerprint of the live state
// the plan was computed from, the configuration files (relative to the plan
// file's directory, so the file can be applied from anywhere), the
// connection it was made against (never credentials), the JSON plan
// document itself, and plan_digest, a SHA-256 over the canonical bytes of
// every other member. [Read] refuses a file whose digest does not match, so
// a hand-edited plan is never applied; [File.SamePlan] lets apply check that
// the plan it recomputes against live state is the one that was reviewed.
package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/trustsync/trustsync/internal/atomicfile"
	"github.com/trustsync/trustsync/internal/plan"
	"github.com/trustsync/trustsync/internal/planjson"
	"github.com/trustsync/trustsync/internal/version"
)

// FormatVersion is the version of the saved plan file format. It is
// independent of the JSON plan's own format_version. "2" records the
// configuration files relative to the plan file, the connection and the
// build; files of version "1" are refused.
const FormatVersion = "2"

// Kinds of [Connection].
const (
	ConnSandbox = "sandbox" // the in-process sandbox, with its state file
	ConnRegion  = "region"  // a Genesys Cloud region
	ConnAPIURL  = "api_url" // an API base URL
)

// Connection is where a plan was made: the in-process sandbox and its
// state file, a region, or an API base URL. It never holds credentials.
type Connection struct {
	Kind string `json:"kind"`
	// SandboxState is the sandbox's state file (kind sandbox). [Write]
	// takes a path usable from the working directory and stores it
	// relative to the plan file; [File.SandboxStatePath] resolves it again.
	SandboxState string `json:"sandbox_state,omitempty"`
	// Region is the region key (kind region).
	Region string `json:"region,omitempty"`
	// APIURL is the API base URL (kind api_url), without credentials.
	APIURL string `json:"api_url,omitempty"`
}

// check reports what is wrong with c.
func (c Connection) check() error {
	switch c.Kind {
	case ConnSandbox:
		if c.SandboxState == "" {
			return errors.New("a sandbox connection needs sandbox_state")
		}
	case ConnRegion:
		if c.Region == "" {
			return errors.New("a region connection needs region")
		}
	case ConnAPIURL:
		if c.APIURL == "" {
			return errors.New("an api_url connection needs api_url")
		}
		if strings.Contains(c.APIURL, "@") || strings.ContainsAny(c.APIURL, "?#") {
			return fmt.Errorf("api_url %q must be a plain base URL, without credentials, query or fragment", c.APIURL)
		}
	default:
		return fmt.Errorf("unknown connection kind %q (want %s, %s or %s)", c.Kind, ConnSandbox, ConnRegion, ConnAPIURL)
	}
	return nil
}

// Meta is what a saved plan records besides the plan itself.
type Meta struct {
	// Build is the trustsync build that wrote the file.
	Build version.Info
	// ConfigDigest is config.Config.Digest() of the configuration the plan
	// was computed from.
	ConfigDigest string
	// LiveFingerprint is live.State.Fingerprint() of the live state the
	// plan was computed from.
	LiveFingerprint string
	// Files are the configuration files. [Write] takes paths usable from
	// the working directory; the file stores them relative to its own
	// directory (slash-separated), and a [File] read back holds them so
	// ([File.ConfigPaths] resolves them).
	Files []string
	// Connection is where the plan was made.
	Connection Connection
}

// File is a saved plan read back by [Read].
type File struct {
	// Path is where the file was read from.
	Path string
	// FormatVersion is the file's format version ([FormatVersion]).
	FormatVersion string
	Meta          Meta
	// Document is the saved JSON plan document.
	Document *planjson.Document
	// PlanDigest is the verified plan_digest (lowercase hex SHA-256).
	PlanDigest string

	raw []byte // the plan member without attribution, compacted
}

// wire is the file's JSON form; member order is the order written.
type wire struct {
	FormatVersion   string          `json:"format_version"`
	Trustsync       version.Info    `json:"trustsync"`
	ConfigDigest    string          `json:"config_digest"`
	LiveFingerprint string          `json:"live_fingerprint"`
	Files           []string        `json:"files"`
	Connection      Connection      `json:"connection"`
	Plan            json.RawMessage `json:"plan"`
	PlanDigest      string          `json:"plan_digest,omitempty"`
}

// digestMember is the member the digest covers everything but.
const digestMember = "plan_digest"

// Write saves p with meta to path atomically: it writes a temporary file in
// the same directory, syncs it and renames it over path, so readers see the
// old file or the complete new one, never a partial one. The file is
// created with mode 0600.
func Write(path string, p *plan.Plan, meta Meta) error {
	if meta.ConfigDigest == "" {
		return fmt.Errorf("write plan file %s: no configuration digest", path)
	}
	if meta.LiveFingerprint == "" {
		return fmt.Errorf("write plan file %s: no live state fingerprint", path)
	}
	if len(meta.Files) == 0 {
		return fmt.Errorf("write plan file %s: no configuration files", path)
	}
	if err := meta.Connection.check(); err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	meta.Files = slices.Clone(meta.Files)
	for i, f := range meta.Files {
		if meta.Files[i], err = relativeTo(dir, f); err != nil {
			return fmt.Errorf("write plan file %s: %w", path, err)
		}
	}
	if meta.Connection.Kind == ConnSandbox {
		if meta.Connection.SandboxState, err = relativeTo(dir, meta.Connection.SandboxState); err != nil {
			return fmt.Errorf("write plan file %s: %w", path, err)
		}
	}
	data, err := marshal(p, meta)
	if err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, 0o600, data); err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	return nil
}

// relativeTo returns path relative to dir, slash-separated, or the
// absolute path when there is no relative one (another volume).
func relativeTo(dir, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", path, err)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return filepath.ToSlash(abs), nil
	}
	return filepath.ToSlash(rel), nil
}

// marshal returns the file's bytes; meta's paths are already relative.
func marshal(p *plan.Plan, meta Meta) ([]byte, error) {
	doc, err := planjson.Marshal(p)
	if err != nil {
		return nil, err
	}
	w := wire{
		FormatVersion:   FormatVersion,
		Trustsync:       meta.Build,
		ConfigDigest:    meta.ConfigDigest,
		LiveFingerprint: meta.LiveFingerprint,
		Files:           slices.Clone(meta.Files),
		Connection:      meta.Connection,
		Plan:            doc,
	}
	body, err := encode(w)
	if err != nil {
		return nil, err
	}
	canon, err := canonical(body)
	if err != nil {
		return nil, err
	}
	w.PlanDigest = digest(canon)
	return encode(w)
}

func encode(w wire) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(w); err != nil {
		return nil, fmt.Errorf("encode plan file: %w", err)
	}
	return buf.Bytes(), nil
}

// canonical returns the bytes plan_digest is computed over: the top-level
// object without its plan_digest member, members sorted by key, every
// value with insignificant whitespace removed and otherwise unchanged.
func canonical(data []byte) ([]byte, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return nil, err
	}
	delete(members, digestMember)
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		buf.Write(kb)
		buf.WriteByte(':')
		if err := json.Compact(&buf, members[k]); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Read loads a saved plan. It refuses a file that is not valid JSON, has an
// unknown format version, or whose plan_digest does not match its content
// (it was edited after it was written).
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	return parse(path, data)
}

func parse(path string, data []byte) (*File, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("plan file %s is empty; run plan --out again", path)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field == "" {
			return nil, fmt.Errorf("plan file %s is not a trustsync plan file: it holds a JSON %s, not an object", path, typ.Value)
		}
		return nil, fmt.Errorf("plan file %s is not valid JSON: %w", path, planjson.DescribeJSONError(data, err))
	}
	rawVersion, ok := members["format_version"]
	if !ok {
		return nil, fmt.Errorf("plan file %s has no format_version; it is not a trustsync plan file", path)
	}
	var version string
	if err := json.Unmarshal(rawVersion, &version); err != nil {
		return nil, fmt.Errorf("plan file %s: format_version must be a string, got %s", path, rawVersion)
	}
	if version == "1" {
		return nil, fmt.Errorf("plan file %s was written by an older trustsync (saved-plan format \"1\", whose paths only work where plan ran); run plan --out again", path)
	}
	if version != FormatVersion {
		return nil, fmt.Errorf("plan file %s has format version %q, which this trustsync does not read (it reads %q); run plan --out again with this trustsync",
			path, version, FormatVersion)
	}
	var stored string
	if raw, ok := members[digestMember]; ok {
		if err := json.Unmarshal(raw, &stored); err != nil {
			return nil, fmt.Errorf("plan file %s: plan_digest must be a string, got %s", path, raw)
		}
	}
	if stored == "" {
		return nil, fmt.Errorf("plan file %s has no plan_digest, so it cannot be checked; run plan --out again", path)
	}
	canon, err := canonical(data)
	if err != nil {
		return nil, fmt.Errorf("plan file %s: %w", path, err)
	}
	if digest(canon) != stored {
		return nil, fmt.Errorf("plan file %s was modified after it was written; run plan again", path)
	}

	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("plan file %s: %w", path, planjson.DescribeJSONError(data, err))
	}
	switch {
	case len(w.Plan) == 0 || string(w.Plan) == "null":
		return nil, fmt.Errorf("plan file %s has no plan", path)
	case w.ConfigDigest == "":
		return nil, fmt.Errorf("plan file %s has no config_digest", path)
	case w.LiveFingerprint == "":
		return nil, fmt.Errorf("plan file %s has no live_fingerprint", path)
	case len(w.Files) == 0:
		return nil, fmt.Errorf("plan file %s names no configuration files; run plan --out again", path)
	case slices.Contains(w.Files, ""):
		return nil, fmt.Errorf("plan file %s names an empty configuration file path; run plan --out again", path)
	}
	if err := w.Connection.check(); err != nil {
		return nil, fmt.Errorf("plan file %s: connection: %w", path, err)
	}
	doc, err := planjson.Parse(w.Plan)
	if err != nil {
		return nil, fmt.Errorf("plan file %s: %w", path, err)
	}
	raw, err := compact(comparable(doc))
	if err != nil {
		return nil, fmt.Errorf("plan file %s: %w", path, err)
	}
	return &File{
		Path:          path,
		FormatVersion: version,
		Meta: Meta{
			Build:           w.Trustsync,
			ConfigDigest:    w.ConfigDigest,
			LiveFingerprint: w.LiveFingerprint,
			Files:           w.Files,
			Connection:      w.Connection,
		},
		Document:   doc,
		PlanDigest: stored,
		raw:        raw,
	}, nil
}

// resolve returns p, a path as the file stores it, resolved against the
// plan file's directory.
func (f *File) resolve(p string) string {
	p = filepath.FromSlash(p)
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(f.Path), p)
}

// ConfigPaths returns the configuration files resolved against the plan
// file's directory. A file that cannot be found is an error naming it and
// where it was looked for.
func (f *File) ConfigPaths() ([]string, error) {
	out := make([]string, len(f.Meta.Files))
	for i, name := range f.Meta.Files {
		out[i] = f.resolve(name)
		if _, err := os.Stat(out[i]); err != nil {
			why := "cannot be read"
			if errors.Is(err, os.ErrNotExist) {
				why = "is not there"
			}
			return nil, fmt.Errorf("plan file %s names the configuration file %s, which %s: looked for it at %s (paths in a plan file are relative to its directory)\nhint: keep the plan file where it was saved relative to the configuration, or run plan --out again",
				f.Path, name, why, out[i])
		}
	}
	return out, nil
}

// SandboxStatePath returns the sandbox state file of a sandbox
// connection, resolved against the plan file's directory; "" for other
// connections.
func (f *File) SandboxStatePath() string {
	if f.Meta.Connection.Kind != ConnSandbox {
		return ""
	}
	return f.resolve(f.Meta.Connection.SandboxState)
}

// SamePlan reports whether p renders to exactly the saved JSON plan, so
// that applying p does what the saved plan showed. Attribution (who last
// changed each live object) is information for the reviewer, not part of
// what the plan does, so it is not compared.
func (f *File) SamePlan(p *plan.Plan) (bool, error) {
	b, err := compactPlan(p)
	if err != nil {
		return false, err
	}
	return bytes.Equal(b, f.raw), nil
}

// Difference describes how p differs from the saved plan, for an error
// message; it returns "" when they are the same.
func (f *File) Difference(p *plan.Plan) (string, error) {
	same, err := f.SamePlan(p)
	if err != nil || same {
		return "", err
	}
	now, err := planjson.FromPlan(p)
	if err != nil {
		return "", err
	}
	now, saved := comparable(now), comparable(f.Document)
	for i := range min(len(saved.Changes), len(now.Changes)) {
		a, _ := json.Marshal(saved.Changes[i])
		b, _ := json.Marshal(now.Changes[i])
		if bytes.Equal(a, b) {
			continue
		}
		s, n := saved.Changes[i], now.Changes[i]
		if s.Action == n.Action && s.Address == n.Address {
			return fmt.Sprintf("change %d (%s %s) differs in its detail", i+1, s.Action, s.Address), nil
		}
		return fmt.Sprintf("change %d differs: the saved plan will %s %s, the current plan will %s %s",
			i+1, s.Action, s.Address, n.Action, n.Address), nil
	}
	if len(saved.Changes) != len(now.Changes) {
		return fmt.Sprintf("the saved plan has %d changes, the current plan has %d", len(saved.Changes), len(now.Changes)), nil
	}
	return "the changes are the same but protected trusts, pending trusts, warnings or counts differ", nil
}

// DigestPlan returns the lowercase hex SHA-256 of p's JSON plan document
// without attribution and warnings' file names, and with insignificant
// whitespace removed. Unlike a file's plan_digest it
// covers the plan alone, not the file's metadata, so a plan computed and
// applied in one run and the same plan saved to a file have the same
// DigestPlan (for apply records).
func DigestPlan(p *plan.Plan) (string, error) {
	b, err := compactPlan(p)
	if err != nil {
		return "", err
	}
	return digest(b), nil
}

func compactPlan(p *plan.Plan) ([]byte, error) {
	d, err := planjson.FromPlan(p)
	if err != nil {
		return nil, err
	}
	return compact(comparable(d))
}

// comparable returns the part of a plan document that says what the plan
// does: without attribution (who last changed each live object) and
// without the file names of warnings, which depend on the directory plan
// or apply ran in, not on the configuration (their lines and messages
// stay).
func comparable(d *planjson.Document) *planjson.Document {
	c := d.WithoutAttribution()
	c.Warnings = slices.Clone(c.Warnings)
	for i := range c.Warnings {
		c.Warnings[i].File = ""
	}
	return c
}

// compact returns the document's JSON with insignificant whitespace
// removed.
func compact(d *planjson.Document) ([]byte, error) {
	b, err := d.Marshal()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
