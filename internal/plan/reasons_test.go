package plan

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestReasonsComplete checks that Reasons lists every reason the package
// can give: every Reason constant, and no reason written as a literal
// (docs/plan-format.md lists them, checked by planjson's docs test).
func TestReasonsComplete(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	var consts []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if strings.HasPrefix(name.Name, "Reason") && name.Name != "ReasonsSeparator" && i < len(n.Values) {
						lit, ok := n.Values[i].(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							t.Errorf("%s: %s is not a string constant", fset.Position(name.Pos()), name.Name)
							continue
						}
						s, _ := strconv.Unquote(lit.Value)
						consts = append(consts, s)
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Reason" {
					if lit, ok := n.Value.(*ast.BasicLit); ok {
						t.Errorf("%s: a reason written as the literal %s; make it a Reason constant listed in Reasons", fset.Position(lit.Pos()), lit.Value)
					}
				}
			case *ast.CallExpr:
				// why = append(why, "...") builds a trust update's reason.
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "append" && len(n.Args) == 2 {
					if w, ok := n.Args[0].(*ast.Ident); ok && w.Name == "why" {
						if lit, ok := n.Args[1].(*ast.BasicLit); ok {
							t.Errorf("%s: a reason written as the literal %s", fset.Position(lit.Pos()), lit.Value)
						}
					}
				}
			}
			return true
		})
	}
	got := Reasons()
	slices.Sort(consts)
	slices.Sort(got)
	if !slices.Equal(consts, got) {
		t.Errorf("Reasons() = %q, but the Reason constants are %q", got, consts)
	}
}
