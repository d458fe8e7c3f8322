package memory

import (
	"context"
	"errors"

	"github.com/unlockbot/unlockbot/identity"
)

var _ identity.Locker = (*Directory)(nil)

// LockOnPurpose implements identity.Locker the way identity/ldap does:
// the group first (IntentionalLock), then, for LockDisable, Disabled; each
// only when not so already, and LockDone says what this call changed.
// Fail with FailNext("LockOnPurpose", err), which fails before anything.
func (d *Directory) LockOnPurpose(_ context.Context, a identity.Account, mode identity.LockMode) (identity.LockDone, error) {
	done := identity.LockDone{Mode: mode}
	if !mode.Valid() {
		return done, identity.E("memory.LockOnPurpose", identity.KindInvalid, "Choose how to lock: disable or group.", errors.New("unknown lock mode"))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	u, err := d.get("LockOnPurpose", a)
	if err != nil {
		return done, err
	}
	d.Calls.LockOnPurpose++
	done.Grouped = !u.IntentionalLock
	u.IntentionalLock = true
	if mode == identity.LockDisable && !u.Disabled {
		u.Disabled, done.Blocked = true, true
	}
	return done, nil
}

// ReleaseLock implements identity.Locker: enabled again only when done
// says the lock disabled it.
func (d *Directory) ReleaseLock(_ context.Context, a identity.Account, done identity.LockDone) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, err := d.get("ReleaseLock", a)
	if err != nil {
		return err
	}
	d.Calls.ReleaseLock++
	if done.Blocked {
		u.Disabled = false
	}
	u.IntentionalLock = false
	return nil
}
