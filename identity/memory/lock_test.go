package memory_test

import (
	"context"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
)

func TestLockOnPurposeUndoesOnlyWhatItDid(t *testing.T) {
	ctx := context.Background()
	d := memory.New(memory.User{Account: identity.Account{Username: "bob", InScope: true}},
		memory.User{Account: identity.Account{Username: "gone", Disabled: true, InScope: true}})
	bob, _ := d.Lookup(ctx, "bob")
	done, err := d.LockOnPurpose(ctx, bob, identity.LockDisable)
	if err != nil || done != (identity.LockDone{Mode: identity.LockDisable, Grouped: true, Blocked: true}) {
		t.Fatalf("lock: %+v %v", done, err)
	}
	if u, _ := d.User("bob"); !u.IntentionalLock || !u.Disabled {
		t.Fatalf("after the lock: %+v", u.Account)
	}
	if again, _ := d.LockOnPurpose(ctx, bob, identity.LockDisable); again.Grouped || again.Blocked {
		t.Fatalf("a repeat changed something: %+v", again)
	}
	if err := d.ReleaseLock(ctx, bob, done); err != nil {
		t.Fatal(err)
	}
	if u, _ := d.User("bob"); u.IntentionalLock || u.Disabled {
		t.Fatalf("after the release: %+v", u.Account)
	}
	gone, _ := d.Lookup(ctx, "gone")
	done, _ = d.LockOnPurpose(ctx, gone, identity.LockDisable)
	if done.Blocked {
		t.Fatal("a disabled account reported as disabled by the lock")
	}
	_ = d.ReleaseLock(ctx, gone, done)
	if u, _ := d.User("gone"); !u.Disabled || u.IntentionalLock {
		t.Fatalf("release enabled an account disabled before the lock: %+v", u.Account)
	}
	grp, _ := d.LockOnPurpose(ctx, bob, identity.LockGroup)
	if u, _ := d.User("bob"); !grp.Grouped || grp.Blocked || u.Disabled {
		t.Fatalf("group lock: %+v %+v", grp, u.Account)
	}
	if _, err := d.LockOnPurpose(ctx, bob, "freeze"); identity.KindOf(err) != identity.KindInvalid {
		t.Fatalf("unknown mode: %v", err)
	}
	if c := d.Counts(); c.LockOnPurpose != 4 || c.ReleaseLock != 2 {
		t.Fatalf("counts %+v", c)
	}
}

func TestFindLooksThroughWrappers(t *testing.T) {
	d := memory.New()
	if l, ok := identity.Find[identity.Locker](wrapped{d}); !ok || l != identity.Locker(d) {
		t.Fatal("Find did not find the memory directory under a wrapper")
	}
	if _, ok := identity.Find[identity.Locker](bare{d}); ok {
		t.Fatal("Find found a Locker where none is named")
	}
	if _, ok := identity.Find[identity.Locker](nil); ok {
		t.Fatal("Find(nil)")
	}
}

type bare struct{ identity.Directory }

type wrapped struct{ identity.Directory }

func (w wrapped) Unwrap() identity.Directory { return w.Directory }
