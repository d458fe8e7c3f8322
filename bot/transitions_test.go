package bot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every state change goes through move, so the transition table is the
// whole truth about what may follow what: a state set by hand somewhere
// else is a move nobody checked. This reads bot's sources (not its tests)
// and fails on any assignment to a State field outside move, and on a
// Request literal that starts anywhere but draft.
func TestStateChangesOnlyThroughMove(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	scanned := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		scanned++
		for _, bad := range stateWrites(f) {
			t.Errorf("%s: the state is set outside move; use r.move (and add the edge to transitions if it is legitimate)", fset.Position(bad))
		}
	}
	if scanned < 10 {
		t.Fatalf("scanned %d files; the test is not reading bot's sources", scanned)
	}
}

// stateWrites returns where f sets a State field other than in move, or
// builds a Request in a state other than StateDraft.
func stateWrites(f *ast.File) []token.Pos {
	var bad []token.Pos
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "move" && fn.Recv != nil {
			continue
		}
		ast.Inspect(d, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for _, lhs := range n.Lhs {
					if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "State" {
						bad = append(bad, lhs.Pos())
					}
				}
			case *ast.UnaryExpr: // &r.State handed to something that writes it
				if sel, ok := n.X.(*ast.SelectorExpr); ok && n.Op == token.AND && sel.Sel.Name == "State" {
					bad = append(bad, n.Pos())
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); !ok || id.Name != "Request" {
					return true
				}
				for _, e := range n.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					if k, _ := kv.Key.(*ast.Ident); k != nil && k.Name == "State" {
						if v, _ := kv.Value.(*ast.Ident); v == nil || v.Name != "StateDraft" {
							bad = append(bad, kv.Pos())
						}
					}
				}
			}
			return true
		})
	}
	return bad
}

// The checker itself catches each way of setting a state by hand.
func TestStateWritesCatchesEachForm(t *testing.T) {
	src := `package bot
func (r *Request) move(to State) { r.State = to }
func a(r *Request) { r.State = StateFailed }
func b(r *Request) { r.State, r.Failure = "failed", "x" }
func c(r *Request) { p := &r.State; *p = StateDone }
func d() *Request { return &Request{ID: "x", State: StateApproved} }
func e() *Request { return &Request{ID: "x", State: StateDraft} }
func f(r *Request) { r.Failure = "x"; other.state = 1 }
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, p := range stateWrites(f) {
		lines = append(lines, fset.Position(p).Line)
	}
	if want := []int{3, 4, 5, 6}; !slices.Equal(lines, want) {
		t.Fatalf("flagged lines %v, want %v", lines, want)
	}
}
