package memory

import "github.com/unlockbot/unlockbot/identity"

// Demo is the built-in directory of `unlockbot demo`: a few locked people,
// and the accounts the guard must refuse.
func Demo() *Directory {
	u := func(name, display string) User {
		return User{Account: identity.Account{Username: name, DisplayName: display, UPN: name + "@acme.example", Mail: name + "@acme.example", InScope: true}, Password: "Old-Passw0rd-" + name}
	}
	alice, bob, carol := u("alice", "Alice Smith"), u("bob", "Bob Jones"), u("carol", "Carol White")
	alice.Lock = identity.LockState{Locked: true, BadCount: 3}
	bob.Lock = identity.LockState{Locked: true, BadCount: 3}
	dadmin := u("dadmin", "Dan Admin")
	dadmin.ProtectedGroups = []string{"Domain Admins"}
	dadmin.Lock = identity.LockState{Locked: true, BadCount: 3}
	frozen := u("frozen", "Frank Left")
	frozen.Disabled = true
	return New(alice, bob, carol, dadmin, frozen)
}
