package memory

import (
	"context"
	"errors"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
)

// Counts is what contract suites prove "done once" with: a failed write
// must not count, a refused verify must.
func TestCountsWritesThatHappened(t *testing.T) {
	ctx := context.Background()
	d := New(User{Account: identity.Account{Username: "alice", InScope: true}, Password: "Old-Passw0rd!"})
	acct, err := d.Lookup(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	pw := identity.NewSecret("New-Passw0rd!x")
	boom := errors.New("boom")
	d.FailNext("SetPassword", boom)
	if err := d.SetPassword(ctx, acct, identity.PasswordChange{Password: pw, Unlock: true}); !errors.Is(err, boom) {
		t.Fatalf("SetPassword err %v, want the injected one", err)
	}
	if err := d.SetPassword(ctx, acct, identity.PasswordChange{Password: pw, Unlock: true}); err != nil {
		t.Fatal(err)
	}
	d.FailNext("Verify", boom)
	_, _ = d.Verify(ctx, acct, pw, false)
	if _, err := d.Verify(ctx, acct, pw, false); err != nil {
		t.Fatal(err)
	}
	want := Counts{SetPassword: 1, Unlock: 1, Lookup: 1, Verify: 2}
	if got := d.Counts(); got != want {
		t.Fatalf("Counts() = %+v, want %+v", got, want)
	}
}
