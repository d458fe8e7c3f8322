package slack

import (
	"context"
	"testing"
)

// The owner notice finds the owner by the directory's address: found in
// this workspace, not found when nobody (or only a deactivated user) has
// it, and a Slack failure is an error, not "nobody".
func TestFindByEmail(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.fake.SetEmail("Alice@Example.test", "U0ALICE")
	e.fake.SetDeletedEmail("gone@example.test", "U0GONE")
	a, found, err := e.a.FindByEmail(ctx, "alice@example.test")
	if err != nil || !found || a.ID != "U0ALICE" || a.Tenant != teamID || a.Platform != Platform {
		t.Fatalf("alice: %+v %t %v", a, found, err)
	}
	for _, addr := range []string{"nobody@example.test", "gone@example.test"} {
		if _, found, err := e.a.FindByEmail(ctx, addr); err != nil || found {
			t.Errorf("%s: found %t, %v", addr, found, err)
		}
	}
	e.fake.FailNext("users.lookupByEmail", "missing_scope")
	if _, found, err := e.a.FindByEmail(ctx, "alice@example.test"); err == nil || found {
		t.Fatalf("missing scope: found %t, %v", found, err)
	}
	if calls := e.fake.Calls("users.lookupByEmail"); len(calls) != 4 || calls[0].Str("email") != "alice@example.test" {
		t.Fatalf("calls %+v", calls)
	}
}
