package main

import (
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"
)

// actionStep is the testscript command `actionstep ID FILE`: it writes the
// script of the step with id ID of the repository's action.yml to FILE,
// so a story can run the composite Action's own shell code.
func actionStep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: actionstep ID FILE")
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	ts.Check(err)
	var action struct {
		Runs struct {
			Steps []struct {
				ID  string `yaml:"id"`
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	ts.Check(yaml.Unmarshal(data, &action))
	for _, s := range action.Runs.Steps {
		if s.ID == args[0] {
			ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(s.Run), 0o644))
			return
		}
	}
	ts.Fatalf("action.yml has no step with id %q", args[0])
}
