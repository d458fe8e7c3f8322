package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/memory"
)

// checkingDirectory is any directory that can check itself; check must not
// care which implementation it is.
type checkingDirectory struct {
	*memory.Directory
	report ldap.CheckReport
}

func (d checkingDirectory) Check(context.Context) (ldap.CheckReport, error) { return d.report, nil }

// wrapped stands for a decorator such as identity/typeahead.
type wrapped struct{ identity.Directory }

func (w wrapped) Unwrap() identity.Directory { return w.Directory }

func TestCheckDirectoryAsksAnyChecker(t *testing.T) {
	ctx := context.Background()
	d := checkingDirectory{Directory: memory.Demo(), report: ldap.CheckReport{URL: "ldaps://dc", BotDN: "CN=svc", Encrypted: true, Problems: []string{"no right to reset"}}}
	lines, err := checkDirectory(ctx, wrapped{wrapped{d}})
	if err == nil || !strings.Contains(err.Error(), "no right to reset") {
		t.Fatalf("problems not reported: %v", err)
	}
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "bound to ldaps://dc") }) {
		t.Fatalf("report lines not shown: %q", lines)
	}
	d.report.Problems = nil
	if _, err := checkDirectory(ctx, wrapped{d}); err != nil {
		t.Fatalf("a clean report: %v", err)
	}
	if lines, err := checkDirectory(ctx, wrapped{memory.Demo()}); err != nil || len(lines) != 1 || !strings.Contains(lines[0], "demo") {
		t.Fatalf("a directory without Check is pinged: %q %v", lines, err)
	}
}
