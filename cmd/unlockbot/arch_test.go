package main

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/unlockbot/unlockbot/"

// TestImportsPointOneWay enforces the layout: cmd → everything; adapters →
// bot; bot → the identity, psa and audit roots; implementations → their
// root. Test files may reach further (fakes, contract suites).
func TestImportsPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-json", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath string
			Dir        string
			GoFiles    []string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		checked++
		from := strings.TrimPrefix(p.ImportPath, module)
		for _, imp := range p.Imports {
			why := forbidden(from, imp)
			if why == "" {
				continue
			}
			for _, f := range filesImporting(t, p.Dir, p.GoFiles, imp) {
				t.Errorf("%s/%s imports %s: %s", from, f, imp, why)
			}
		}
	}
	if checked < 8 {
		t.Fatalf("only %d packages listed", checked)
	}
}

// filesImporting returns which of a package's files import imp.
func filesImporting(t *testing.T, dir string, files []string, imp string) []string {
	t.Helper()
	var out []string
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range f.Imports {
			if strings.Trim(is.Path.Value, `"`) == imp {
				out = append(out, name)
			}
		}
	}
	return out
}

// forbidden returns why package from may not import imp, or "".
func forbidden(from, imp string) string {
	sdk := strings.Contains(imp, "slack-go/slack") || strings.Contains(imp, "msbotbuilder-go") || strings.Contains(imp, "go-ldap/ldap")
	if !strings.HasPrefix(imp, module) {
		if sdk && (from == "bot" || strings.HasPrefix(from, "bot/")) {
			return "bot/ must stay platform- and directory-neutral"
		}
		return ""
	}
	to := strings.TrimPrefix(imp, module)
	top := func(p string) string { return strings.SplitN(p, "/", 2)[0] }
	switch {
	case top(to) == "cmd":
		return "nothing imports cmd"
	case top(from) == "adapters" && top(to) == "adapters" && !sameTree(from, to) && !sharedFake(from, to):
		return "an adapter never imports another"
	case top(from) == "bot" && (top(to) == "adapters" || isImpl(to)):
		return "bot uses the identity/psa/audit roots, never an implementation or an adapter"
	case isImpl(from) && top(to) != top(from) && !allowedCross(from, to):
		return "an implementation imports only its own root"
	case (from == "identity" || from == "psa" || from == "audit") && top(to) != from && !(from == "psa" && to == "identity"):
		return "a root package stays a leaf"
	}
	return ""
}

func isImpl(p string) bool {
	for _, root := range []string{"identity/", "psa/", "audit/"} {
		if strings.HasPrefix(p, root) {
			return true
		}
	}
	return false
}

// allowedCross: PSA notes carry an identity.Secret. Nothing else: local
// tickets reach the state store through their own small interface, so no
// implementation under identity/, psa/ or audit/ imports bot/.
func allowedCross(from, to string) bool {
	return to == "identity"
}

// sharedFake: the platforms' fakes (slacktest, teamstest) share test
// support in adapters/adaptertest (one rate-limit model for both); an
// adapter's own code never does.
func sharedFake(from, to string) bool {
	return strings.HasPrefix(to, "adapters/adaptertest") && strings.HasSuffix(from, "test")
}

func sameTree(a, b string) bool {
	pa, pb := strings.SplitN(a, "/", 3), strings.SplitN(b, "/", 3)
	return len(pa) > 1 && len(pb) > 1 && pa[1] == pb[1]
}

func TestForbiddenRules(t *testing.T) {
	for _, c := range []struct {
		from, imp string
		bad       bool
	}{
		{"bot", module + "identity", false},
		{"adapters/slack/slacktest", module + "adapters/adaptertest/linelimit", false},
		{"adapters/slack", module + "adapters/adaptertest/linelimit", true},
		{"bot", module + "identity/ldap", true},
		{"bot", "github.com/slack-go/slack", true},
		{"bot/store/redisstore", "github.com/redis/go-redis/v9", false},
		{"adapters/slack", module + "bot", false},
		{"adapters/slack", module + "adapters/teams", true},
		{"adapters/slack/slacktest", module + "adapters/slack", false},
		{"identity/ldap", module + "bot", true},
		{"identity/ldap", module + "identity", false},
		{"psa/local", module + "bot/store", true},
		{"psa/local", module + "bot/store/memstore", true},
		{"psa/local", module + "bot", true},
		{"psa/local", module + "psa", false},
		{"psa/local", module + "identity", false},
		{"psa", module + "bot/store", true},
		{"identity/typeahead", module + "bot", true},
		{"audit/jsonl", module + "bot/store", true},
		{"audit", module + "bot", true},
		{"audit/jsonl", module + "audit", false},
		{"identity", module + "bot", true},
		{"bot", module + "cmd/unlockbot", true},
	} {
		if got := forbidden(c.from, c.imp) != ""; got != c.bad {
			t.Errorf("%s → %s: forbidden=%t, want %t", c.from, c.imp, got, c.bad)
		}
	}
}
