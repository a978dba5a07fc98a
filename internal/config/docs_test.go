package config

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// docExample matches an example in docs/configuration.md: a marker naming
// the file, its YAML, and optionally the diagnostics validate prints for it.
var docExample = regexp.MustCompile("(?s)<!-- example: ([^ ]+) -->\n```yaml\n(.*?)```\n(?:\n```text\n(.*?)```\n)?")

// TestDocumentedExamples loads every marked example of the configuration
// reference: one without output must be valid without warnings, one with
// output must produce exactly those diagnostics (the `trustsync:` summary
// line is the command's, not the loader's). The reference and the tool
// thus cannot disagree about what a file means.
func TestDocumentedExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples := docExample.FindAllSubmatch(doc, -1)
	if len(examples) < 6 {
		t.Fatalf("found %d marked examples in docs/configuration.md; want at least 6", len(examples))
	}
	for _, m := range examples {
		name, data, want := string(m[1]), m[2], string(m[3])
		t.Run(name, func(t *testing.T) {
			_, diags := loadSources([]source{{name: name, data: data}}, testNow, checkAll)
			var got bytes.Buffer
			if err := diags.WriteText(&got); err != nil {
				t.Fatal(err)
			}
			var lines []string
			for line := range strings.SplitSeq(want, "\n") {
				if line != "" && !strings.HasPrefix(line, "trustsync: ") {
					lines = append(lines, line+"\n")
				}
			}
			if diff := cmp.Diff(strings.Join(lines, ""), got.String()); diff != "" {
				t.Errorf("docs/configuration.md shows other diagnostics for %s than validate reports (-doc +tool):\n%s", name, diff)
			}
		})
	}
}
