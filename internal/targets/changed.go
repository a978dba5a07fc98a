package targets

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Changed returns the targets with a file that changed between the merge
// base of ref and HEAD (`git diff --name-only ref...`, renames counted as
// a deletion and an addition) in the git repository holding root. A
// changed file belongs to the deepest target directory that contains it.
// root is the directory the targets were found under.
func Changed(ctx context.Context, root, ref string, all []Target) ([]Target, error) {
	if ref == "" || strings.HasPrefix(ref, "-") || strings.ContainsAny(ref, " \t\n") {
		return nil, fmt.Errorf("--changed-since %q is not a git revision", ref)
	}
	top, err := git(ctx, root, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	if top, err = filepath.EvalSymlinks(strings.TrimSpace(top)); err != nil {
		return nil, fmt.Errorf("locate the git repository of %s: %w", root, err)
	}
	out, err := git(ctx, root, "diff", "--name-only", "--no-renames", "-z", "--end-of-options", ref+"...", "--")
	if err != nil {
		return nil, fmt.Errorf("%w\nhint: the ref must be in the clone; in GitHub Actions check out with fetch-depth: 0", err)
	}
	// Target directories as absolute, symlink-free paths, like git's.
	dirs := make([]string, len(all))
	for i, t := range all {
		abs, err := filepath.Abs(filepath.FromSlash(t.Dir))
		if err != nil {
			return nil, fmt.Errorf("locate %s: %w", t.Dir, err)
		}
		if dirs[i], err = filepath.EvalSymlinks(abs); err != nil {
			return nil, fmt.Errorf("locate %s: %w", t.Dir, err)
		}
	}
	changed := make([]bool, len(all))
	for _, name := range strings.Split(out, "\x00") {
		if name == "" {
			continue
		}
		file := filepath.Join(top, filepath.FromSlash(name))
		best := -1
		for i, d := range dirs {
			if strings.HasPrefix(file, d+string(filepath.Separator)) && (best < 0 || len(d) > len(dirs[best])) {
				best = i
			}
		}
		if best >= 0 {
			changed[best] = true
		}
	}
	res := []Target{}
	for i, t := range all {
		if changed[i] {
			res = append(res, t)
		}
	}
	return res, nil
}

// git runs git in dir and returns its stdout.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.String(), nil
}
