package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/trustsync/trustsync/internal/config"
)

// validateCmd checks desired-state files offline: YAML syntax, the schema,
// semantic rules and the file's policy. It needs no credentials and makes no
// network calls.
type validateCmd struct {
	Files  []string `short:"f" name:"file" sep:"none" default:"trusts.yaml" placeholder:"PATH" help:"Desired-state file, or a directory whose *.yaml/*.yml files are merged. Repeatable. Default: trusts.yaml in the working directory."`
	Format string   `enum:"text,json" default:"text" help:"Output format: text (diagnostics on stderr) or json (one document on stdout)."`
}

// validateReport is the --format json document.
type validateReport struct {
	Valid    bool     `json:"valid"`
	Files    []string `json:"files"`
	Errors   int      `json:"errors"`
	Warnings int      `json:"warnings"`
	// Digest is the configuration's content digest, set when it is valid.
	Digest      string             `json:"digest,omitempty"`
	Diagnostics config.Diagnostics `json:"diagnostics"`
}

// Run loads and checks the files. It exits 0 when they are valid (warnings
// allowed) and 1 otherwise.
func (c *validateCmd) Run(e *env) error {
	paths := make([]string, len(c.Files))
	for i, f := range c.Files {
		paths[i] = resolvePath(e.workDir, f)
	}
	cfg, diags := config.Load(e.ctx, paths, e.clock()())
	if diags == nil {
		diags = config.Diagnostics{}
	}
	errs, warns := diags.Count()
	valid := cfg != nil && errs == 0
	files := paths
	if cfg != nil {
		files = cfg.Files
	}

	if c.Format == "json" {
		r := validateReport{Valid: valid, Files: files, Errors: errs, Warnings: warns, Diagnostics: diags}
		if valid {
			r.Digest = cfg.Digest()
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		if !valid {
			return &exitError{code: 1}
		}
		return nil
	}

	if err := diags.WriteText(e.stderr); err != nil {
		return fmt.Errorf("write diagnostics: %w", err)
	}
	if !valid {
		fmt.Fprintf(e.stderr, "trustsync: %s: %s\n", filesLabel(files), countLabel(errs, warns))
		return &exitError{code: 1}
	}
	summary := fmt.Sprintf("%s: valid; trustees: %s, trustors: %s",
		filesLabel(files), sectionLabel(cfg.ManageTrustees, len(cfg.Trustees)), sectionLabel(cfg.ManageTrustors, len(cfg.Trustors)))
	if warns > 0 {
		summary += "; " + plural(warns, "warning")
	}
	_, err := fmt.Fprintln(e.stdout, summary)
	return err
}

// resolvePath makes a relative path relative to the working directory.
func resolvePath(workDir, p string) string {
	if filepath.IsAbs(p) || workDir == "" {
		return p
	}
	return filepath.Join(workDir, p)
}

func filesLabel(files []string) string {
	if len(files) == 1 {
		return files[0]
	}
	return strconv.Itoa(len(files)) + " files (" + strings.Join(files, ", ") + ")"
}

func countLabel(errs, warns int) string {
	s := plural(errs, "error")
	if warns > 0 {
		s += ", " + plural(warns, "warning")
	}
	return s
}

func sectionLabel(managed bool, n int) string {
	if !managed {
		return "not managed"
	}
	return strconv.Itoa(n)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
