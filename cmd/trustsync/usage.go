package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alecthomas/kong"
)

// commandPath is the subcommand kctx selected, without arguments
// ("apply", "github comment"), or "" when none was.
func commandPath(kctx *kong.Context) string {
	if kctx == nil {
		return ""
	}
	var names []string
	for _, p := range kctx.Path {
		if p.Command != nil {
			names = append(names, p.Command.Name)
		}
	}
	return strings.Join(names, " ")
}

// usageError reports a command line kong could not parse: the error, a
// did-you-mean for Terraform's single-dash flag spellings, and which help
// to read. It returns the exit code, 1.
func usageError(w io.Writer, parser *kong.Kong, args []string, err error) int {
	var kctx *kong.Context
	if pe := (*kong.ParseError)(nil); errors.As(err, &pe) {
		kctx = pe.Context
	}
	// kong reads -detailed-exitcode as short flags (-d ...) and suggests
	// other short flags; the Terraform spelling deserves its own answer.
	if fixes := singleDashFixes(selectedNode(parser, kctx), args); len(fixes) > 0 {
		for _, f := range fixes {
			fmt.Fprintf(w, "trustsync: unknown flag %s\nhint: did you mean %s? trustsync's long flags take two dashes\n", f.arg, f.fix)
		}
	} else {
		fmt.Fprintf(w, "trustsync: %v\n", err)
	}
	if hint := positionalConfig(kctx, args); hint != "" {
		fmt.Fprintf(w, "hint: %s\n", hint)
	}
	cmd := commandPath(kctx)
	if cmd == "" {
		fmt.Fprintln(w, "hint: run 'trustsync --help' for usage")
	} else {
		fmt.Fprintf(w, "hint: run 'trustsync %s --help' for usage\n", cmd)
	}
	return 1
}

// selectedNode is the command kctx selected, or the root.
func selectedNode(parser *kong.Kong, kctx *kong.Context) *kong.Node {
	n := parser.Model.Node
	if kctx != nil {
		for _, p := range kctx.Path {
			if p.Command != nil {
				n = p.Command
			}
		}
	}
	return n
}

// longFlags returns the long flag names n accepts: its own and its
// ancestors', or, for the root, those of every command (the command may
// not have been recognised yet).
func longFlags(n *kong.Node) map[string]bool {
	names := map[string]bool{}
	if n.Parent == nil {
		var walk func(n *kong.Node)
		walk = func(n *kong.Node) {
			for _, f := range n.Flags {
				names[f.Name] = true
			}
			for _, c := range n.Children {
				walk(c)
			}
		}
		walk(n)
		return names
	}
	for ; n != nil; n = n.Parent {
		for _, f := range n.Flags {
			names[f.Name] = true
		}
	}
	return names
}

// dashFix is an argument and its two-dash spelling.
type dashFix struct{ arg, fix string }

// singleDashFixes returns each argument spelled with one dash, as
// Terraform does (-detailed-exitcode, -auto-approve, -out=FILE), that
// names a long flag n accepts, with its two-dash spelling.
func singleDashFixes(n *kong.Node, args []string) []dashFix {
	flags := longFlags(n)
	var fixes []dashFix
	for _, a := range args {
		if a == "--" {
			break
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, value, hasValue := strings.Cut(a[1:], "=")
		if !flags[name] {
			continue
		}
		fix := "--" + name
		if hasValue {
			fix += "=" + value
		}
		fixes = append(fixes, dashFix{arg: a, fix: fix})
	}
	return fixes
}

// isSavedPlan reports whether path starts like a saved plan (a JSON
// object) rather than YAML, so that a plan saved as x.yaml still applies.
func isSavedPlan(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 512)
	n, _ := io.ReadFull(f, buf)
	trimmed := bytes.TrimLeft(buf[:n], " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// positionalConfig returns a message when plan or apply was given a YAML
// file as an argument: desired-state files go with -f (apply's argument is
// a saved plan).
func positionalConfig(kctx *kong.Context, args []string) string {
	cmd := commandPath(kctx)
	if cmd == "" {
		// Parsing stopped before the command was recorded: find it.
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				cmd = a
				break
			}
		}
	}
	if cmd != "plan" && cmd != "apply" {
		return ""
	}
	seenCmd := false
	for i, a := range args {
		if a == "--" {
			break
		}
		if !seenCmd {
			seenCmd = a == cmd
			continue
		}
		if i > 0 && (args[i-1] == "-f" || args[i-1] == "--file") {
			continue
		}
		if !strings.HasPrefix(a, "-") && (strings.HasSuffix(a, ".yaml") || strings.HasSuffix(a, ".yml")) {
			return fmt.Sprintf("%s takes desired-state files with -f: trustsync %s -f %s", cmd, cmd, a)
		}
	}
	return ""
}
