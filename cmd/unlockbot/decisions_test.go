package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// What an adapter may name in bot/: the neutral model it translates and
// renders, and the entry points that decide. Anything else — a state, an
// action id to switch on, an error kind to branch on, a decision call like
// Approve or CanDecide — would be flow or policy of its own, which belongs
// in bot/ where every platform shares it.
var adapterMayUse = map[string]bool{
	// the model
	"Actor": true, "Card": true, "Field": true, "Action": true, "ActionID": true, "MessageRef": true,
	"Tone": true, "ToneInfo": true, "ToneGood": true, "ToneWarning": true, "ToneDanger": true,
	"Style": true, "StyleDefault": true, "StylePrimary": true, "StyleDanger": true,
	"Form": true, "FormField": true, "FormID": true, "FormRequest": true, "FormDeny": true, "FieldID": true,
	"FieldOrg": true, "FieldAccount": true, "Widget": true, "Option": true, "CheckedValue": true,
	"WidgetSelect": true, "WidgetTypeahead": true, "WidgetText": true, "WidgetSecret": true, "WidgetLongText": true, "WidgetCheckbox": true,
	// the entry points and their answers
	"Service": true, "Notifier": true, "Click": true, "Answer": true, "FormReply": true, "FormValues": true, "FormAnswer": true,
	"SafeMessage": true, "UserSentence": true,
	// config the adapter reads (the orgs' group principals), and the one
	// fail-closed group cache it feeds with its platform's group listing
	"Org": true, "GroupCache": true, "NewGroupCache": true, "GroupSource": true,
}

// What an adapter may call on the service.
var adapterMayCall = map[string]bool{
	"Click": true, "SubmitForm": true, "Suggest": true, "NewForm": true, "PickedFacts": true,
	"RecordRefusal": true, "Detach": true, "Drain": true, "SetNotifier": true,
}

// TestAdaptersMakeNoDecisions proves that adapters translate and render
// only: their production code names nothing of bot/ beyond the model and
// the entry points, and calls only the entry points on the service.
func TestAdaptersMakeNoDecisions(t *testing.T) {
	dirs, _ := filepath.Glob("../../adapters/*")
	checked := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || strings.HasSuffix(dir, "test") {
			continue // adaptertest is the contract suite, not an adapter
		}
		bad := adapterViolations(t, dir)
		for _, b := range bad {
			t.Errorf("%s", b)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no adapter found under adapters/")
	}
}

func adapterViolations(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var bad []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		botName := ""
		for _, imp := range af.Imports {
			if strings.Trim(imp.Path.Value, `"`) == module+"bot" {
				botName = "bot"
				if imp.Name != nil {
					botName = imp.Name.Name
				}
			}
		}
		ast.Inspect(af, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pos := fset.Position(sel.Pos())
			where := filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line)
			if id, ok := sel.X.(*ast.Ident); ok && botName != "" && id.Name == botName && !adapterMayUse[sel.Sel.Name] {
				bad = append(bad, filepath.Base(dir)+"/"+where+": names bot."+sel.Sel.Name+", which is flow or policy, not the model")
			}
			// a.svc.X, cfg.Service.X: a call on the service
			if inner, ok := sel.X.(*ast.SelectorExpr); ok && (inner.Sel.Name == "svc" || inner.Sel.Name == "Service") && !adapterMayCall[sel.Sel.Name] {
				bad = append(bad, filepath.Base(dir)+"/"+where+": calls Service."+sel.Sel.Name+"; adapters call only the entry points")
			}
			return true
		})
	}
	sort.Strings(bad)
	return bad
}

// The check catches what it is for: a state compared and a decision
// called from an adapter.
func TestAdapterViolationsAreFound(t *testing.T) {
	dir := t.TempDir()
	src := `package x

import "github.com/unlockbot/unlockbot/bot"

type A struct{ svc *bot.Service }

func (a *A) f(r *bot.Request) {
	if r.State == bot.StateDone {
		_, _ = a.svc.Approve(nil, "", bot.Actor{})
	}
}
`
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(adapterViolations(t, dir), "\n")
	for _, want := range []string{"bot.Request", "bot.StateDone", "Service.Approve"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s not reported; got:\n%s", want, got)
		}
	}
}
