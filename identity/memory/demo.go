package memory

import (
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// Demo is the built-in directory of `unlockbot demo`: a few locked people
// with the lockout facts a real directory reports, and the accounts the
// guard must refuse.
func Demo() *Directory {
	now := time.Now().UTC().Truncate(time.Minute)
	u := func(name, display string) User {
		return User{Account: identity.Account{Username: name, DisplayName: display, UPN: name + "@acme.example", Mail: name + "@acme.example", InScope: true,
			PasswordLastSet: now.AddDate(0, 0, -41), PasswordExpires: now.AddDate(0, 0, 49), LastLogon: now.Add(-16 * time.Hour)}, Password: "Old-Passw0rd-" + name}
	}
	locked := func(ago time.Duration) identity.LockState {
		return identity.LockState{Locked: true, BadCount: 3, LockedAt: now.Add(-ago), LastBadAt: now.Add(-ago)}
	}
	alice, bob, carol := u("alice", "Alice Smith"), u("bob", "Bob Jones"), u("carol", "Carol White")
	alice.Lock, bob.Lock = locked(12*time.Minute), locked(3*time.Minute)
	dadmin := u("dadmin", "Dan Admin")
	dadmin.ProtectedGroups = []string{"Domain Admins"}
	dadmin.Lock = locked(time.Hour)
	frozen := u("frozen", "Frank Left")
	frozen.Disabled = true
	return New(alice, bob, carol, dadmin, frozen)
}
