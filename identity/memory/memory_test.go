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

// HoldNext holds one call, without the lock: the directory answers others
// meanwhile, and the held write neither happens nor counts until released.
func TestHoldNextHoldsOneCallUntilReleased(t *testing.T) {
	ctx := context.Background()
	d := New(User{Account: identity.Account{Username: "alice", InScope: true}, Password: "Old-Passw0rd!"})
	acct, err := d.Lookup(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	reached, release := d.HoldNext("SetPassword")
	t.Cleanup(release)
	done := make(chan error, 1)
	go func() {
		done <- d.SetPassword(ctx, acct, identity.PasswordChange{Password: identity.NewSecret("New-Passw0rd!x")})
	}()
	select {
	case <-reached:
	case err := <-done:
		t.Fatalf("SetPassword returned %v without being held", err)
	}
	if _, err := d.Lookup(ctx, "alice"); err != nil {
		t.Fatalf("Lookup while SetPassword is held: %v", err)
	}
	if u, _ := d.User("alice"); u.Password != "Old-Passw0rd!" || d.Counts().SetPassword != 0 {
		t.Fatalf("held write happened: password %q, counts %+v", u.Password, d.Counts())
	}
	select {
	case err := <-done:
		t.Fatalf("SetPassword returned %v while held", err)
	default:
	}
	release()
	release() // a second release (a cleanup after the test's own) is harmless
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if u, _ := d.User("alice"); u.Password != "New-Passw0rd!x" || d.Counts().SetPassword != 1 {
		t.Fatalf("after release: password %q, counts %+v", u.Password, d.Counts())
	}
	// Only the next call was held.
	if err := d.SetPassword(ctx, acct, identity.PasswordChange{Password: identity.NewSecret("Newer-Passw0rd!x")}); err != nil {
		t.Fatal(err)
	}
}
