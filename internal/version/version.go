// Package version says which trustsync is running: its module version, the
// commit it was built from and the Go version, so the CLI can print them
// and saved plans and apply records can carry them.
//
// A release sets the version and commit at link time:
//
//	go build -ldflags "-X github.com/trustsync/trustsync/internal/version.version=v1.2.3 \
//	  -X github.com/trustsync/trustsync/internal/version.commit=$(git rev-parse HEAD)"
//
// Without them, the build information decides: `go install
// github.com/trustsync/trustsync/cmd/trustsync@v1.2.3` records the module
// version, and a build in a git checkout records vcs.revision.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the linker in releases (-X); empty otherwise. They are written
// only at link time and never at run time.
var (
	version string
	commit  string
)

// Dev is the version of a build that has none: a plain `go build` or `go
// run` in a checkout.
const Dev = "dev"

// Info describes the running build.
type Info struct {
	// Version is the module version (v1.2.3), or [Dev].
	Version string `json:"version"`
	// Commit is the full commit hash the binary was built from, or "" when
	// unknown.
	Commit string `json:"commit,omitempty"`
	// Modified is true when the working tree had uncommitted changes at
	// build time (vcs.modified).
	Modified bool `json:"modified,omitempty"`
	// GoVersion is the Go toolchain that built the binary (go1.26.0).
	GoVersion string `json:"go_version"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
}

// Get returns the running build's information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, bi)
}

// resolve combines the link-time values with the build information (nil
// when the binary has none).
func resolve(ldVersion, ldCommit string, bi *debug.BuildInfo) Info {
	if !isHash(ldCommit) {
		// GoReleaser writes "none" when it could not read the commit; the
		// build information may still know it.
		ldCommit = ""
	}
	info := Info{Version: ldVersion, Commit: ldCommit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.modified":
				if ldCommit == "" {
					info.Modified = s.Value == "true"
				}
			}
		}
	}
	if info.Version == "" {
		info.Version = Dev
	}
	return info
}

// String is the one-line form, e.g. "v1.2.3 (commit 0123abcd, go1.26.0)",
// for user agents, plan files and records.
func (i Info) String() string {
	c := i.Commit
	if c == "" {
		c = "unknown"
	} else if len(c) > 12 {
		c = c[:12]
	}
	if i.Modified {
		c += "+modified"
	}
	return fmt.Sprintf("%s (commit %s, %s)", i.Version, c, i.GoVersion)
}

// isHash reports whether s looks like a git commit hash: 7 to 64
// lowercase hex digits.
func isHash(s string) bool {
	if len(s) < 7 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
