package identity

import (
	"context"
	"errors"
)

// LockMode is how an intentional lock holds an account, as the org chooses.
// Active Directory offers no lock a client can set (lockoutTime may only be
// cleared, to 0), so the choice there is between disabling the account and
// the group alone.
type LockMode string

const (
	// LockGroup adds the account to the org's intentional-lock group only:
	// unlockbot refuses to unlock or reset it, but the account still signs
	// in until a lockout or an admin stops it.
	LockGroup LockMode = "group"
	// LockDisable adds it to the group and stops sign-in with the
	// directory's own switch: AD sets ACCOUNTDISABLE in userAccountControl,
	// OpenLDAP's ppolicy sets the administrator's permanent lock
	// (pwdAccountLockedTime 000001010000Z).
	LockDisable LockMode = "disable"
)

// errNoLockGroup is why NoLockGroup refuses.
var errNoLockGroup = errors.New("no intentional_lock_group configured")

// NoLockGroup is a Locker's refusal when the org has no intentional-lock
// group: without it the guard could not keep the lock, so none is set.
func NoLockGroup(op string) error {
	return E(op, KindInvalid, "This organization has no intentional-lock group; set directory.intentional_lock_group first.", errNoLockGroup)
}

// Valid reports whether m is a mode a Locker knows.
func (m LockMode) Valid() bool { return m == LockGroup || m == LockDisable }

// LockDone is what one intentional lock changed, kept so the release undoes
// exactly that: an account disabled before the lock stays disabled after
// the release, and a membership the lock did not add is not the lock's to
// remove.
type LockDone struct {
	Mode LockMode `json:"mode"`
	// Grouped: the lock added the account to the group (false: it was a
	// member already).
	Grouped bool `json:"grouped"`
	// Blocked: the lock disabled the account (AD) or set the permanent
	// lock (ppolicy); false when it was already so, or the mode is group.
	Blocked bool `json:"blocked"`
}

// Locker is optional on a Directory: it sets and releases intentional
// locks (the admins' /lock). The guard keeps refusing a member of the
// intentional-lock group whatever else happens, so the helpdesk flow never
// undoes a lock; only ReleaseLock does.
type Locker interface {
	// LockOnPurpose adds acct to the intentional-lock group and, for
	// LockDisable, stops its sign-in. Repeating it changes nothing more.
	LockOnPurpose(ctx context.Context, acct Account, mode LockMode) (LockDone, error)
	// ReleaseLock removes acct from the group and undoes the block only
	// when done.Blocked says the lock set it: a zero done (the record of
	// the lock is lost) removes the membership and leaves the account
	// disabled or locked, never enabling what it cannot prove it disabled.
	ReleaseLock(ctx context.Context, acct Account, done LockDone) error
}

// Self is optional on a Directory: it recognises the account the bot
// itself binds as, which no admin command may lock (the bot would lock
// itself out of the directory).
type Self interface {
	IsBotAccount(acct Account) bool
}

// Find returns the optional interface T of d (Locker, Self), looking
// through wrappers (the type-ahead snapshot, the metrics timer) that name
// the directory underneath with Unwrap. ok is false when none has it.
func Find[T any](d Directory) (found T, ok bool) {
	for d != nil {
		if t, isT := d.(T); isT {
			return t, true
		}
		w, isWrapper := d.(interface{ Unwrap() Directory })
		if !isWrapper {
			break
		}
		d = w.Unwrap()
	}
	return found, false
}
