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
	"Form": true, "FormField": true, "FormID": true, "FormRequest": true, "FormDeny": true, "FormVerifyCode": true, "FormVerifyFacts": true, "FieldID": true,
	"FieldOrg": true, "FieldAccount": true, "Widget": true, "Option": true, "CheckedValue": true,
	"WidgetSelect": true, "WidgetTypeahead": true, "WidgetText": true, "WidgetSecret": true, "WidgetLongText": true, "WidgetCheckbox": true,
	// the entry points and their answers
	"Service": true, "Notifier": true, "PersonFinder": true, "ProfileMail": true, "Click": true, "Answer": true, "FormReply": true, "FormValues": true, "FormAnswer": true,
	"SafeMessage": true, "UserSentence": true, "DenyForm": true,
	// the one fail-closed group cache the adapter feeds with its
	// platform's group listing, and the role holders it must list
	"GroupCache": true, "NewGroupCache": true, "GroupSource": true, "RoleHolders": true, "Truncate": true,
}

// What an adapter may call on the service.
var adapterMayCall = map[string]bool{
	"Click": true, "SubmitForm": true, "Suggest": true, "NewForm": true, "FieldChanged": true,
	"SelfService": true, "RecordRefusal": true, "Detach": true, "LockCommand": true, "Drain": true, "SetNotifier": true, "SetPeople": true,
	// per-viewer cards (Teams), decided in bot/view.go
	"ViewApproval": true, "Deciders": true,
	// whether a form may go out beside the replay check (bot/command.go)
	"FormAhead": true,
}

// policyNames are fields and methods of bot values that carry roles,
// policy or state; an adapter that reads them decides something itself.
var policyNames = map[string]bool{
	"IsApprover": true, "IsTechnician": true, "OwnsChannel": true, "Policy": true, "RequireApproval": true,
	"Technicians": true, "Approvers": true, "Channels": true, "ApprovalChannel": true,
	"CanMove": true, "Final": true, "Retryable": true, "Revealed": true, "Steps": true, "UnlockOnly": true,
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
			// An id of bot's spelled out ("unlockbot.approve") is a switch
			// on an action, form or state by another name.
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.HasPrefix(strings.Trim(lit.Value, "`\""), "unlockbot.") {
				pos := fset.Position(lit.Pos())
				bad = append(bad, filepath.Base(dir)+"/"+filepath.Base(pos.Filename)+":"+strconv.Itoa(pos.Line)+": spells out bot's id "+lit.Value)
			}
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pos := fset.Position(sel.Pos())
			where := filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line)
			if id, ok := sel.X.(*ast.Ident); ok && botName != "" && id.Name == botName && !adapterMayUse[sel.Sel.Name] {
				bad = append(bad, filepath.Base(dir)+"/"+where+": names bot."+sel.Sel.Name+", which is flow or policy, not the model")
			}
			if policyNames[sel.Sel.Name] {
				bad = append(bad, filepath.Base(dir)+"/"+where+": reads ."+sel.Sel.Name+", a role, policy or state of bot's")
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

func (a *A) f(r *bot.Request, o *org) {
	if r.State == bot.StateDone || o.IsApprover(bot.Actor{}) {
		_, _ = a.svc.Approve(nil, "", bot.Actor{})
	}
	if action == "unlockbot.approve" {
	}
}
`
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(adapterViolations(t, dir), "\n")
	for _, want := range []string{"bot.Request", "bot.StateDone", "Service.Approve", ".IsApprover", `"unlockbot.approve"`} {
		if !strings.Contains(got, want) {
			t.Errorf("%s not reported; got:\n%s", want, got)
		}
	}
}
