// Package typeahead answers a directory's account type-ahead from a snapshot
// held in memory and refreshed in the background.
//
// Why: the picker asks on every keystroke and Slack waits at most 3 s for
// the options, but Samba (and OpenLDAP without substring indexes) scans
// every entry for a prefix search: 10,000 users cost 150–800 ms per query.
// A snapshot answers in microseconds. Lock state in the list may be up to
// one refresh old; it is only a hint, because the request itself always
// reads the account fresh (Lookup) and the reset reads it again.
package typeahead

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
)

// Lister is implemented by directories that can list all their accounts.
type Lister interface {
	All(ctx context.Context) ([]identity.Account, error)
}

// Changer is implemented by directories that can say what changed since
// a cursor (identity/ldap); an empty cursor asks for everything.
type Changer interface {
	Changes(ctx context.Context, cursor string) (identity.Delta, error)
}

// Options tune one org's snapshot. Zero values take the defaults.
type Options struct {
	// Every is how often the snapshot is brought up to date (1m).
	Every time.Duration
	// FullEvery is how often the whole directory is read again, which is
	// how deleted accounts and accounts moved out of the base leave the
	// snapshot (1h). Between full reads only changes are read.
	FullEvery time.Duration
	// Idle drops the snapshot of an org nobody searched for this long; it
	// is read again on the next search (0: never dropped).
	Idle time.Duration
	// Changes reads the directory; default: the wrapped directory when it
	// is a Changer, else its All as a full read every time.
	Changes Changer
	// Shared, when set, makes the replicas share one refresher per org:
	// the holder of a lease reads the directory and publishes what
	// changed; the others apply that (see shared.go).
	Shared Shared
	Key    string // the org's name in Shared
	Owner  string // this replica's name in the lease
}

// Directory wraps an identity.Directory; everything but Search (and the
// snapshot's lock hint after Unlock) passes straight through.
type Directory struct {
	identity.Directory
	opt  Options
	src  Changer
	now  func() time.Time
	log  zerolog.Logger
	wake chan struct{} // a search found no snapshot: load one now
	used atomic.Int64  // unix nanoseconds of the last Search

	busy sync.Mutex // one refresh at a time

	mu     sync.RWMutex
	snap   *snapshot // nil: not loaded (never used, or dropped when idle)
	at     time.Time // when snap's content was read from the directory
	cursor string    // the directory's cursor for snap
	fullAt time.Time // last full read of this snapshot's lineage
	seq    int64     // the shared log's batch snap includes
}

// Wrap returns d with a snapshot type-ahead when d can list its accounts,
// else d itself. Call Run to keep the snapshot fresh.
func Wrap(d identity.Directory, every time.Duration, log zerolog.Logger) identity.Directory {
	return WrapWith(d, Options{Every: every}, log)
}

// WrapWith is Wrap with every option.
func WrapWith(d identity.Directory, opt Options, log zerolog.Logger) identity.Directory {
	src := opt.Changes
	if src == nil {
		switch v := d.(type) {
		case Changer:
			src = v
		case Lister:
			src = listChanges{v}
		default:
			return d
		}
	}
	if opt.Every <= 0 {
		opt.Every = time.Minute
	}
	if opt.FullEvery <= 0 {
		opt.FullEvery = time.Hour
	}
	return &Directory{Directory: d, opt: opt, src: src, now: time.Now, log: log, wake: make(chan struct{}, 1)}
}

// listChanges turns a Lister into a Changer that always reads everything.
type listChanges struct{ l Lister }

func (c listChanges) Changes(ctx context.Context, _ string) (identity.Delta, error) {
	accts, err := c.l.All(ctx)
	return identity.Delta{Changed: accts, Full: true}, err
}

// Unwrap returns the directory underneath (for `unlockbot check`, which
// asks the LDAP directory itself about the bot's rights).
func (d *Directory) Unwrap() identity.Directory { return d.Directory }

// current returns the snapshot when it may answer: read within three
// refresh intervals (one failed refresh is tolerated).
func (d *Directory) current() *snapshot {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.snap == nil || d.now().Sub(d.at) >= 3*d.opt.Every {
		return nil
	}
	return d.snap
}

// Search implements identity.Directory from the snapshot when it is fresh.
// The first search of an org (or the first after it was dropped) goes to
// the directory and asks Run to load the snapshot.
func (d *Directory) Search(ctx context.Context, query string, limit int) ([]identity.Account, error) {
	d.used.Store(d.now().UnixNano())
	snap := d.current()
	if snap == nil {
		d.mu.RLock()
		missing := d.snap == nil
		d.mu.RUnlock()
		if missing {
			select {
			case d.wake <- struct{}{}:
			default:
			}
		}
	}
	if snap == nil || strings.ContainsRune(query, 0) {
		return d.Directory.Search(ctx, query, limit) // the directory's own checks and errors
	}
	if limit <= 0 {
		limit = 50
	}
	return snap.search(strings.ToLower(strings.TrimSpace(query)), limit), nil
}

// Unlock passes through and updates the snapshot's lock hint, so the
// picker does not keep offering an account as locked after its reset.
func (d *Directory) Unlock(ctx context.Context, a identity.Account) error {
	if err := d.Directory.Unlock(ctx, a); err != nil {
		return err
	}
	d.unlocked(a)
	return nil
}

// SetPassword passes through; with an unlock it updates the lock hint too.
func (d *Directory) SetPassword(ctx context.Context, a identity.Account, c identity.PasswordChange) error {
	if err := d.Directory.SetPassword(ctx, a, c); err != nil {
		return err
	}
	if c.Unlock {
		d.unlocked(a)
	}
	return nil
}

// unlocked drops the lock hint of a in the snapshot.
func (d *Directory) unlocked(a identity.Account) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.snap != nil {
		if n := d.snap.unlocked(a.ID); n != nil {
			d.snap = n
		}
	}
}
