package bot

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// unlockHistory is how far back "unlocked N× this week" looks.
const unlockHistory = 7 * 24 * time.Hour

// unlocksKey is the org's own record of when unlockbot unlocked an account.
func unlocksKey(o *Org, username string) string {
	return "unlocks:" + o.ID + ":" + strings.ToLower(username)
}

// facts gathers what the approver should see about an account just read.
func (s *Service) facts(ctx context.Context, o *Org, acct identity.Account) (Facts, error) {
	n, err := s.unlocksThisWeek(ctx, o, acct.Username)
	if err != nil {
		return Facts{}, errorf("bot.facts", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	return accountFacts(acct, n), nil
}

// accountFacts is what the approver sees of acct, with the unlocks this
// week the store counted.
func accountFacts(acct identity.Account, unlocksThisWeek int) Facts {
	return Facts{
		LockedAt: acct.Lock.LockedAt, BadCount: acct.Lock.BadCount, LastBadAt: acct.Lock.LastBadAt,
		PasswordLastSet: acct.PasswordLastSet, PasswordExpires: acct.PasswordExpires, LastLogon: acct.LastLogon,
		UnlocksThisWeek: unlocksThisWeek, LockoutHidden: acct.LockoutHidden, Synced: acct.Synced,
	}
}

func (s *Service) unlocksThisWeek(ctx context.Context, o *Org, username string) (int, error) {
	_, n, err := s.repo.st.Reserve(ctx, unlocksKey(o, username), "", s.now(), unlockHistory, 0)
	return n, err
}

// countUnlock adds this request to the account's unlock history, while
// the caller goes on (the save of the step it follows): wait returns once
// it is written. It is a fact for later approvers and the replay check, not
// a limit: a failure is logged, not fatal.
func (s *Service) countUnlock(ctx context.Context, o *Org, r *Request) (wait func()) {
	key, id, now, log := unlocksKey(o, r.Account.Username), r.ID, s.now(), s.reqLog(r)
	written := make(chan struct{})
	go func() {
		defer close(written)
		if _, _, err := s.repo.st.Reserve(ctx, key, id, now, unlockHistory, math.MaxInt32); err != nil {
			log.Warn().Err(err).Msg("could not record the unlock in the account's history")
		}
	}()
	return func() { <-written }
}

// AccountCard reads an account fresh when a technician picks it in the
// form, and shows what the approver will see: whether and since when it is
// locked, bad passwords, the password's age and expiry, the last logon,
// how often unlockbot unlocked it this week, or why a request would be
// refused. It changes nothing and audits nothing.
func (s *Service) AccountCard(ctx context.Context, a Actor, orgID, account string) (Card, error) {
	o, err := s.techOrg("bot.AccountCard", a, orgID)
	if err != nil {
		return Card{}, err
	}
	acct, err := o.Directory.Lookup(ctx, strings.TrimSpace(account))
	if err != nil {
		return Card{}, errorf("bot.AccountCard", KindUnavailable, err, "%s", SafeMessage(err))
	}
	c := Card{Title: acct.Label()}
	if rf := guard(acct); rf != nil {
		c.Text, c.Tone = rf.Message, ToneDanger
		return c, nil
	}
	f, err := s.facts(ctx, o, acct)
	if err != nil {
		return Card{}, err
	}
	c.Fields = factFields(f, acct.Lock.Locked)
	c.Text, c.Tone = factWarning(f, acct.Lock.Locked)
	return c, nil
}
