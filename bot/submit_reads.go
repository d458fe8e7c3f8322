package bot

import (
	"context"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// accountReads is what a submission asks the store about its account: how
// many resets the day has had (for a request that runs at once, its place
// among them taken: reserve) and how often unlockbot unlocked it this week.
// Both are keyed by the username, so they are asked together, one round
// trip.
type accountReads struct {
	name     string // the username asked about, lowercased
	ok       bool   // under the daily limit (a place taken, when reserving)
	n        int    // the day's resets
	err      error
	week     int // unlocks this week
	weekErr  error
	reserved bool // a place was taken under name
}

// askAccount asks both for username.
func (s *Service) askAccount(ctx context.Context, o *Org, req *Request, username string, reserve bool) accountReads {
	a := accountReads{name: strings.ToLower(username)}
	read := make(chan struct{})
	go func() { defer close(read); a.week, a.weekErr = s.unlocksThisWeek(ctx, o, username) }()
	if reserve {
		a.ok, a.n, a.err = s.repo.st.Reserve(ctx, limitKey(o, username), req.ID, s.now(), day, o.Policy.MaxResetsPerAccountPerDay)
		a.reserved = a.ok && a.err == nil
	} else {
		a.n, a.err = s.resetsToday(ctx, o, username)
		a.ok = a.n < o.Policy.MaxResetsPerAccountPerDay
	}
	<-read
	return a
}

// askAccountSoon asks them while the directory looks the account up, for
// the name as typed: a technician types (or picks) the username itself
// nearly always, and the answers are then the ones validate needs. A name
// that is not a plain username (a UPN, DOMAIN\name, a DN, a display name)
// is not guessed at: join returns nothing asked, and validate asks once the
// lookup named the account.
func (s *Service) askAccountSoon(ctx context.Context, o *Org, req *Request, typed string, reserve bool) (join func() accountReads) {
	if !plainUsername(typed) {
		return func() accountReads { return accountReads{} }
	}
	var a accountReads
	done := make(chan struct{})
	go func() { defer close(done); a = s.askAccount(ctx, o, req, typed, reserve) }()
	return func() accountReads { <-done; return a }
}

// plainUsername reports whether typed could be a username as it is (what
// askAccountSoon guesses on).
func plainUsername(typed string) bool {
	return typed != "" && len(typed) <= 64 && !strings.ContainsAny(typed, "@\\=, \t")
}

// forAccount returns the reads for acct's username: the early ones if they
// were asked for it, else asked now, with a place the early ones took for
// another name given back.
func (s *Service) forAccount(ctx context.Context, o *Org, req *Request, early accountReads, acct identity.Account, reserve bool) accountReads {
	if early.name != "" && early.name == strings.ToLower(acct.Username) {
		return early
	}
	s.giveBack(ctx, o, req, early)
	return s.askAccount(ctx, o, req, acct.Username, reserve)
}

// giveBack releases the place a, read for a request that will not run
// under it, took.
func (s *Service) giveBack(ctx context.Context, o *Org, req *Request, a accountReads) {
	if a.reserved {
		_ = s.repo.st.Release(ctx, limitKey(o, a.name), req.ID)
	}
}
