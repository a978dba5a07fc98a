package version

import (
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/trustsync/trustsync", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	installed := &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.4.0"}}
	tests := []struct {
		name                string
		ldVersion, ldCommit string
		bi                  *debug.BuildInfo
		want                Info
	}{
		{"no information", "", "", nil, Info{Version: Dev}},
		{"checkout with VCS stamping", "", "", stamped,
			Info{Version: Dev, Commit: "0123456789abcdef0123456789abcdef01234567", Modified: true, GoVersion: "go1.26.0"}},
		{"go install @version", "", "", installed, Info{Version: "v1.4.0", GoVersion: "go1.26.1"}},
		{"release ldflags win", "v1.5.0", "fedcba98", stamped, Info{Version: "v1.5.0", Commit: "fedcba98", GoVersion: "go1.26.0"}},
		{"ldflags commit unknown", "v1.5.0", "none", stamped,
			Info{Version: "v1.5.0", Commit: "0123456789abcdef0123456789abcdef01234567", Modified: true, GoVersion: "go1.26.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolve(tt.ldVersion, tt.ldCommit, tt.bi)
			if tt.bi == nil {
				tt.want.GoVersion = got.GoVersion // the running toolchain's
			}
			tt.want.Platform = got.Platform
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestString(t *testing.T) {
	for _, tt := range []struct {
		info Info
		want string
	}{
		{Info{Version: "v1.2.3", Commit: "0123456789abcdef", GoVersion: "go1.26.0"}, "v1.2.3 (commit 0123456789ab, go1.26.0)"},
		{Info{Version: Dev, Commit: "abc", Modified: true, GoVersion: "go1.26.0"}, "dev (commit abc+modified, go1.26.0)"},
		{Info{Version: Dev, GoVersion: "go1.26.0"}, "dev (commit unknown, go1.26.0)"},
	} {
		if got := tt.info.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
