package version

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// goreleaser is the part of GoReleaser v2's configuration this repository
// uses. It is decoded strictly: a key it does not declare (a typo, or one
// GoReleaser deprecated, such as archives.format, archives.builds or
// snapshot.name_template) fails the test.
type goreleaser struct {
	Version     int                      `yaml:"version"`
	ProjectName string                   `yaml:"project_name"`
	Before      struct{ Hooks []string } `yaml:"before"`
	Builds      []struct {
		ID           string   `yaml:"id"`
		Main         string   `yaml:"main"`
		Binary       string   `yaml:"binary"`
		Env          []string `yaml:"env"`
		Flags        []string `yaml:"flags"`
		Ldflags      []string `yaml:"ldflags"`
		Goos         []string `yaml:"goos"`
		Goarch       []string `yaml:"goarch"`
		ModTimestamp string   `yaml:"mod_timestamp"`
	} `yaml:"builds"`
	Archives []struct {
		ID              string   `yaml:"id"`
		IDs             []string `yaml:"ids"`
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		NameTemplate string   `yaml:"name_template"`
		Files        []string `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
	Changelog struct {
		Use     string `yaml:"use"`
		Sort    string `yaml:"sort"`
		Filters struct {
			Exclude []string `yaml:"exclude"`
		} `yaml:"filters"`
	} `yaml:"changelog"`
	Release struct {
		GitHub struct {
			Owner string `yaml:"owner"`
			Name  string `yaml:"name"`
		} `yaml:"github"`
		Prerelease string `yaml:"prerelease"`
	} `yaml:"release"`
}

func readGoreleaser(t *testing.T) goreleaser {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var g goreleaser
	if err := dec.Decode(&g); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	return g
}

// TestGoreleaserConfig checks the release configuration: GoReleaser v2, the
// six static targets, the linker flags this package reads, checksums, a
// changelog and the release repository written out (so `goreleaser check`
// passes on a clone without a git remote).
func TestGoreleaserConfig(t *testing.T) {
	g := readGoreleaser(t)
	if g.Version != 2 {
		t.Errorf("version: %d, want 2", g.Version)
	}
	if len(g.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(g.Builds))
	}
	b := g.Builds[0]
	if b.Main != "./cmd/trustsync" || b.Binary != "trustsync" {
		t.Errorf("build main %q binary %q", b.Main, b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("build env %q: binaries must be static (CGO_ENABLED=0)", b.Env)
	}
	var targets []string
	for _, goos := range b.Goos {
		for _, goarch := range b.Goarch {
			targets = append(targets, goos+"/"+goarch)
		}
	}
	slices.Sort(targets)
	want := []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"}
	if !slices.Equal(targets, want) {
		t.Errorf("targets %q, want %q", targets, want)
	}
	ld := strings.Join(b.Ldflags, " ")
	for _, v := range []string{"version={{ .Tag }}", "commit={{ .FullCommit }}"} {
		if !strings.Contains(ld, "-X github.com/trustsync/trustsync/internal/version."+v) {
			t.Errorf("ldflags %q do not set internal/version.%s", ld, v)
		}
	}
	if len(g.Archives) != 1 || g.Archives[0].NameTemplate != "{{ .ProjectName }}_{{ .Version }}_{{ .Os }}_{{ .Arch }}" {
		t.Errorf("archives: %+v; action.yml downloads trustsync_<version>_<os>_<arch>", g.Archives)
	}
	if g.ProjectName != "trustsync" {
		t.Errorf("project_name %q", g.ProjectName)
	}
	if g.Checksum.NameTemplate != "checksums.txt" || g.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum %+v: action.yml verifies checksums.txt with SHA-256", g.Checksum)
	}
	if g.Changelog.Use == "" {
		t.Error("no changelog source")
	}
	if g.Release.GitHub.Owner != "trustsync" || g.Release.GitHub.Name != "trustsync" {
		t.Errorf("release.github %+v, want trustsync/trustsync written out", g.Release.GitHub)
	}
}

// TestActionDownloadsReleaseArchives keeps action.yml's download in step
// with the archive names and checksum file of .goreleaser.yaml.
func TestActionDownloadsReleaseArchives(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`archive="trustsync_${VERSION#v}_${os}_${arch}.${ext}"`, `"$base/checksums.txt"`, "sha256sum", "ext=zip"} {
		if !bytes.Contains(data, []byte(s)) {
			t.Errorf("action.yml lacks %s", s)
		}
	}
}
