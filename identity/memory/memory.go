// Package memory is an in-memory directory for unit tests and the zero-setup
// demo. It behaves like AD where the flow can tell: lockout, must-change,
// disabled accounts, guard facts. It is never the only proof: identity/ldap
// is tested against a real Samba domain controller.
package memory

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// User is an account with its password, as a test or the demo sets it up.
type User struct {
	identity.Account
	Password string
}

// Directory is safe for concurrent use.
type Directory struct {
	mu    sync.Mutex
	users map[string]*User // by lower-case username
	// Calls counts writes, so tests can prove a retry did not repeat one,
	// and lookups, so they can prove a fresh read was (or was not) made.
	// Read it with Counts while other goroutines may still call d.
	Calls Counts
	// FailNext, when set, is returned (once) by the next call of that name.
	failNext map[string]error
	// partialNext is returned once by the next SetPassword after it wrote
	// (Entra ID: password set, sessions not revoked).
	partialNext error
	slowNext    map[string]time.Duration
	holdNext    map[string]*hold
	stamp       int // password writes so far, the PasswordStamp source
}

// Counts is how often each operation reached the directory. Verify is
// counted so a test can tell a retry ran the step that failed again.
type Counts struct{ Unlock, SetPassword, Lookup, Verify, LockOnPurpose, ReleaseLock int }

// Counts returns a copy of Calls taken under the lock: a contract suite
// reads it while an adapter's work may still be running, and a wrong
// count then fails the test instead of racing.
func (d *Directory) Counts() Counts {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Calls
}

// New returns a directory holding users (copied).
func New(users ...User) *Directory {
	d := &Directory{users: map[string]*User{}, failNext: map[string]error{}, slowNext: map[string]time.Duration{}, holdNext: map[string]*hold{}}
	for _, u := range users {
		u := u
		if u.ID == "" {
			u.ID = "CN=" + u.Username + ",OU=Staff,DC=example,DC=test"
		}
		if u.PasswordStamp == "" {
			u.PasswordStamp = "0" // a password set before the test began, as AD reports one
		}
		d.users[strings.ToLower(u.Username)] = &u
	}
	return d
}

// FailNext makes the next call of op ("Lookup", "Unlock", "SetPassword",
// "Verify", "Search") return err.
func (d *Directory) FailNext(op string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failNext[op] = err
}

// PartialNext makes the next SetPassword write the password, then return
// err: a directory whose follow-up step failed.
func (d *Directory) PartialNext(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.partialNext = err
}

// SlowNext makes the next call of op take at least d (a slow directory).
func (d *Directory) SlowNext(op string, dur time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.slowNext[op] = dur
}

// HoldNext makes the next call of op wait, before it changes anything,
// until release is called: a test can then look at what was answered while
// that call is in flight, with no clock. A held write is not counted until
// it runs (Lookup and Verify count on arrival, as they always have).
// reached is closed when the held call arrives. A held call does not watch
// its context, so a test releases it on every path (release may be called
// more than once, and before the call arrives).
func (d *Directory) HoldNext(op string) (reached <-chan struct{}, release func()) {
	h := &hold{reached: make(chan struct{}), release: make(chan struct{})}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.holdNext[op] = h
	var once sync.Once
	return h.reached, func() { once.Do(func() { close(h.release) }) }
}

type hold struct{ reached, release chan struct{} }

// fail is called with d.mu held; a slow or held call waits without it.
func (d *Directory) fail(op string) error {
	if dur, ok := d.slowNext[op]; ok {
		delete(d.slowNext, op)
		d.mu.Unlock()
		time.Sleep(dur)
		d.mu.Lock()
	}
	if h, ok := d.holdNext[op]; ok {
		delete(d.holdNext, op)
		close(h.reached)
		d.mu.Unlock()
		<-h.release
		d.mu.Lock()
	}
	if err, ok := d.failNext[op]; ok {
		delete(d.failNext, op)
		return err
	}
	return nil
}

// User returns a copy of the stored user (tests).
func (d *Directory) User(name string) (User, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.users[strings.ToLower(name)]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// Put adds or replaces a user (tests change group membership with it).
func (d *Directory) Put(u User) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users[strings.ToLower(u.Username)] = &u
}

// Lock locks an account, as three bad passwords would.
func (d *Directory) Lock(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if u, ok := d.users[strings.ToLower(name)]; ok {
		u.Lock = identity.LockState{Locked: true, LockedAt: time.Now(), BadCount: 3}
	}
}

// Search implements identity.Directory.
func (d *Directory) Search(_ context.Context, query string, limit int) ([]identity.Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.fail("Search"); err != nil {
		return nil, err
	}
	if strings.ContainsRune(query, 0) {
		return nil, identity.E("memory.Search", identity.KindInvalid, "Remove the NUL character from the name.", nil)
	}
	q := strings.ToLower(query)
	var out []identity.Account
	for _, u := range d.users {
		if !u.InScope {
			continue
		}
		if q == "" && !u.Lock.Locked {
			continue
		}
		for _, f := range []string{u.Username, u.UPN, u.Mail, u.DisplayName} {
			if strings.HasPrefix(strings.ToLower(f), q) {
				out = append(out, u.Account)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Lock.Locked != out[j].Lock.Locked {
			return out[i].Lock.Locked
		}
		return out[i].Username < out[j].Username
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// All lists the accounts in scope (identity/typeahead snapshots it).
func (d *Directory) All(context.Context) ([]identity.Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.fail("All"); err != nil {
		return nil, err
	}
	var out []identity.Account
	for _, u := range d.users {
		if u.InScope {
			out = append(out, u.Account)
		}
	}
	return out, nil
}

// Lookup implements identity.Directory. Accounts outside scope are not
// found, as a search under the org's base DN would not find them.
func (d *Directory) Lookup(_ context.Context, name string) (identity.Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Calls.Lookup++
	if err := d.fail("Lookup"); err != nil {
		return identity.Account{}, err
	}
	u, ok := d.users[strings.ToLower(name)]
	if !ok {
		for _, c := range d.users {
			if strings.EqualFold(c.UPN, name) || c.ID == name {
				u, ok = c, true
				break
			}
		}
	}
	if !ok || !u.InScope {
		return identity.Account{}, identity.E("memory.Lookup", identity.KindNotFound, "No such account.", identity.ErrNotFound)
	}
	return u.Account, nil
}

func (d *Directory) get(op string, a identity.Account) (*User, error) {
	if err := d.fail(op); err != nil {
		return nil, err
	}
	u, ok := d.users[strings.ToLower(a.Username)]
	if !ok { // a caller may show the account under another name (hybrid: the UPN); the ID is the handle
		for _, c := range d.users {
			if c.ID == a.ID {
				u, ok = c, true
				break
			}
		}
	}
	if !ok || u.ID != a.ID {
		return nil, identity.E("memory."+op, identity.KindNotFound, "No such account.", identity.ErrNotFound)
	}
	return u, nil
}

// Unlock implements identity.Directory.
func (d *Directory) Unlock(_ context.Context, a identity.Account) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, err := d.get("Unlock", a)
	if err != nil {
		return err
	}
	d.Calls.Unlock++
	u.Lock = identity.LockState{}
	return nil
}

// SetPassword implements identity.Directory: like AD, a refused password
// changes nothing, and an unlock asked for with it happens only with it.
func (d *Directory) SetPassword(_ context.Context, a identity.Account, c identity.PasswordChange) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, err := d.get("SetPassword", a)
	if err != nil {
		return err
	}
	if len(c.Password.Reveal()) < 7 {
		return identity.E("memory.SetPassword", identity.KindInvalid, "The directory rejected the password: the password is too short.", identity.ErrPolicy)
	}
	d.Calls.SetPassword++
	if c.Unlock {
		d.Calls.Unlock++
		u.Lock = identity.LockState{}
	}
	u.Password = c.Password.Reveal()
	u.Lock.BadCount = 0
	u.PasswordLastSet = time.Now()
	if c.Temporary {
		u.PasswordLastSet = time.Time{}
	}
	d.stamp++
	u.PasswordStamp = strconv.Itoa(d.stamp)
	err, d.partialNext = d.partialNext, nil
	return err
}

// Verify implements identity.Directory.
func (d *Directory) Verify(_ context.Context, a identity.Account, pw identity.Secret, _ bool) (identity.Verification, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Calls.Verify++
	u, err := d.get("Verify", a)
	if err != nil {
		return identity.Verification{}, err
	}
	return identity.Verification{
		Unlocked:        !u.Lock.Locked,
		MustChange:      u.PasswordLastSet.IsZero(),
		PasswordWorks:   !pw.IsZero() && u.Password == pw.Reveal() && !u.Disabled,
		BadCountCleared: u.Lock.BadCount == 0,
	}, nil
}

// Ping implements identity.Directory.
func (d *Directory) Ping(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fail("Ping")
}
