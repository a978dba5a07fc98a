package config

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestCutFilesLoadAsWholeFiles loads large files twice, cut into their
// list entries and parsed whole: the configurations, positions included,
// and the diagnostics must be the same.
func TestCutFilesLoadAsWholeFiles(t *testing.T) {
	large := string(largeState(250)) // 10 trustees, 1 trustor
	// mistakes inserted after the first trustee's name line
	at := "    name: Trustee 1\n"
	cases := map[string]string{
		"valid":           large,
		"entry errors":    strings.Replace(large, at, at+"    enabled: yes\n    pairingID: x\n    users:\n      - {id: nope, roles: [Master Admin, Master Admin]}\n", 1),
		"trustors first":  "version: 1\n" + large[strings.Index(large, "trustors:"):] + strings.TrimPrefix(large[:strings.Index(large, "trustors:")], "version: 1\n"),
		"comments":        strings.ReplaceAll(large, "  - id: b", "# a comment\n\n  - id: b"),
		"zero indent":     strings.ReplaceAll(strings.ReplaceAll(large, "\n  - id: b", "\n- id: b"), "\n    ", "\n  "),
		"syntax error":    strings.Replace(large, at, at+"    users: [\n", 1),
		"unclosed quote":  strings.Replace(large, at, at+"    pairingId: \"abc\n", 1),
		"bad indentation": strings.Replace(large, at, at+"   enabled: true\n", 1),
		"list ends early": strings.Replace(large, at, at+"x: 1\n", 1),
		"duplicate list":  large + "trustees: []\n",
		"no newline":      strings.TrimSuffix(large, "\n"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			src := []source{{name: "large.yaml", data: []byte(data)}}
			for _, which := range []checks{checkAll, checkSchema} {
				whole, wholeDiags, _ := loadWith(src, testNow, which, -1)
				cut, cutDiags, ok := loadWith(src, testNow, which, 0)
				if !ok { // the cut was refused: the whole file is parsed
					cut, cutDiags, _ = loadWith(src, testNow, which, -1)
				}
				if diff := cmp.Diff(whole, cut, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("configurations differ (-whole +cut):\n%s", diff)
				}
				if diff := cmp.Diff(text(wholeDiags), text(cutDiags)); diff != "" {
					t.Errorf("diagnostics differ (-whole +cut):\n%s", diff)
				}
			}
		})
	}
	if splitLists([]byte(cases["valid"]), 0) == nil {
		t.Error("the large state was not cut")
	}
	if _, _, ok := loadWith([]source{{name: "large.yaml", data: []byte(cases["entry errors"])}}, testNow, checkAll, 0); !ok {
		t.Error("a cut file with errors inside entries was parsed whole")
	}
	for _, s := range []string{"&a", "*a", "\t", "\r\n", "\n---\n"} {
		if splitLists([]byte(large+s), 0) != nil {
			t.Errorf("a file with %q was cut", s)
		}
	}
}

func text(d Diagnostics) string {
	var b bytes.Buffer
	_ = d.WriteText(&b)
	return b.String()
}

// FuzzCutAgreesWithWhole loads arbitrary files both ways, cut into their
// entries (each parsed by blockyaml or yaml.v3) and parsed whole by
// yaml.v3: the configurations and the diagnostics must be the same.
//
//	go test ./internal/config -run '^$' -fuzz FuzzCutAgreesWithWhole -fuzztime 30s
func FuzzCutAgreesWithWhole(f *testing.F) {
	f.Add([]byte(largeState(3)))
	f.Add([]byte("version: 1\norganization: {id: a0000000-0000-4000-8000-000000000001}\ntrustees:\n- id: b0000000-0000-4000-8000-000000000001\n  users:\n  - id: c0000000-0000-4000-8000-000000000001\n    roles: ['x', \"y\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := []source{{name: "f.yaml", data: data}}
		whole, wholeDiags, _ := loadWith(src, testNow, checkAll, -1)
		cut, cutDiags, ok := loadWith(src, testNow, checkAll, 0)
		if !ok {
			return // refused: the whole file is what loads
		}
		if diff := cmp.Diff(whole, cut, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("configurations differ (-whole +cut):\n%s", diff)
		}
		if diff := cmp.Diff(text(wholeDiags), text(cutDiags)); diff != "" {
			t.Errorf("diagnostics differ (-whole +cut):\n%s", diff)
		}
	})
}
