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
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
)

// Lister is implemented by directories that can list all their accounts.
type Lister interface {
	All(ctx context.Context) ([]identity.Account, error)
}

// Directory wraps an identity.Directory; everything but Search (and the
// snapshot's lock hint after Unlock) passes straight through.
type Directory struct {
	identity.Directory
	list  Lister
	every time.Duration
	now   func() time.Time
	log   zerolog.Logger

	mu   sync.RWMutex
	snap []entry
	at   time.Time // when snap was read; zero = none yet
}

type entry struct {
	acct  identity.Account
	keys  [4]string // lower-case username, UPN, mail, display name
	label string    // lower-case label, the sort key after lock state
}

// sortSnap orders entries as the picker shows them (locked first, then by
// name), once per refresh, so a search stops at the limit-th match.
func sortSnap(snap []entry) {
	slices.SortStableFunc(snap, func(a, b entry) int {
		if a.acct.Lock.Locked != b.acct.Lock.Locked {
			if a.acct.Lock.Locked {
				return -1
			}
			return 1
		}
		return strings.Compare(a.label, b.label)
	})
}

// Wrap returns d with a snapshot type-ahead when d can list its accounts,
// else d itself. Call Run to keep the snapshot fresh.
func Wrap(d identity.Directory, every time.Duration, log zerolog.Logger) identity.Directory {
	l, ok := d.(Lister)
	if !ok {
		return d
	}
	if every <= 0 {
		every = time.Minute
	}
	return &Directory{Directory: d, list: l, every: every, now: time.Now, log: log}
}

// Unwrap returns the directory underneath (for `unlockbot check`, which
// asks the LDAP directory itself about the bot's rights).
func (d *Directory) Unwrap() identity.Directory { return d.Directory }

// Run refreshes the snapshot now and then every interval until ctx ends.
// A failed refresh keeps the old snapshot until it is too old to use.
func (d *Directory) Run(ctx context.Context) {
	t := time.NewTicker(d.every)
	defer t.Stop()
	for {
		if err := d.Refresh(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn().Err(err).Msg("type-ahead snapshot refresh failed; searching the directory directly meanwhile")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Refresh reads all accounts once.
func (d *Directory) Refresh(ctx context.Context) error {
	start := d.now()
	accts, err := d.list.All(ctx)
	if err != nil {
		return err
	}
	snap := make([]entry, 0, len(accts))
	for _, a := range accts {
		if !a.InScope && a.ID != "" {
			// All lists below the base DN only; InScope is a Lookup fact.
			a.InScope = true
		}
		snap = append(snap, entry{acct: a, label: strings.ToLower(a.Label()), keys: [4]string{
			strings.ToLower(a.Username), strings.ToLower(a.UPN), strings.ToLower(a.Mail), strings.ToLower(a.DisplayName)}})
	}
	sortSnap(snap)
	d.mu.Lock()
	d.snap, d.at = snap, start
	d.mu.Unlock()
	d.log.Debug().Int("accounts", len(snap)).Dur("took", d.now().Sub(start)).Msg("type-ahead snapshot refreshed")
	return nil
}

// fresh reports whether the snapshot may answer: read within three refresh
// intervals (one failed refresh is tolerated).
func (d *Directory) fresh() bool {
	return !d.at.IsZero() && d.now().Sub(d.at) < 3*d.every
}

// Search implements identity.Directory from the snapshot when it is fresh.
func (d *Directory) Search(ctx context.Context, query string, limit int) ([]identity.Account, error) {
	d.mu.RLock()
	if !d.fresh() || strings.ContainsRune(query, 0) {
		d.mu.RUnlock()
		return d.Directory.Search(ctx, query, limit) // the directory's own checks and errors
	}
	defer d.mu.RUnlock()
	if limit <= 0 {
		limit = 50
	}
	q := strings.ToLower(strings.TrimSpace(query))
	var out []identity.Account
	for i := range d.snap {
		e := &d.snap[i]
		if q == "" && !e.acct.Lock.Locked {
			break // locked accounts come first: the rest are not locked
		}
		if q == "" || e.hasPrefix(q) {
			out = append(out, e.acct)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func (e *entry) hasPrefix(q string) bool {
	for _, k := range e.keys {
		if strings.HasPrefix(k, q) {
			return true
		}
	}
	return false
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
	for i := range d.snap {
		if d.snap[i].acct.ID == a.ID && d.snap[i].acct.Lock.Locked {
			d.snap[i].acct.Lock = identity.LockState{}
			sortSnap(d.snap)
			break
		}
	}
}
