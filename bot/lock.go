package bot

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// Intentional locks (/lock): an org's admin puts an account in the
// org's intentional-lock group, and, as the org chooses, disables it. The
// guard refuses every unlock and reset of a member of that group, in any
// flow, so only ReleaseLock undoes it. What the lock changed is kept in the
// store (lockKey), so the release re-enables only an account the lock
// disabled; without that record it enables nothing.

const lockUsage = "Type /lock ACCOUNT REASON to lock an account on purpose, or /lock release ACCOUNT to release it."

// lockRecord is what one lock did, and who asked why.
type lockRecord struct {
	Done   identity.LockDone `json:"done"`
	By     string            `json:"by"`
	Reason string            `json:"reason"`
}

func lockKey(orgID, accountID string) string {
	return "lock:" + orgID + ":" + strings.ToLower(accountID)
}

// LockCommand answers "/lock ACCOUNT REASON" and "/lock release ACCOUNT
// [REASON]" with the sentence to show the admin who typed it. The org is
// the channel's, or the only one the actor is an admin of.
func (s *Service) LockCommand(ctx context.Context, a Actor, channel, text string) string {
	release, account, reason := parseLock(text)
	if account == "" || (!release && reason == "") {
		return lockUsage
	}
	a = s.complete(ctx, a)
	o := s.adminOrg(a, channel)
	var err error
	if release {
		err = s.ReleaseLock(ctx, a, o, account, reason)
	} else {
		err = s.LockAccount(ctx, a, o, account, reason)
	}
	if err != nil {
		return UserSentence(err)
	}
	if release {
		return "Released " + account + ": it is out of the intentional-lock group, and the helpdesk may unlock it again."
	}
	return "Locked " + account + " on purpose. The helpdesk cannot unlock it until an admin runs /lock release " + account + "."
}

// parseLock splits the command text: "release" first means a release.
func parseLock(text string) (release bool, account, reason string) {
	f := strings.Fields(text)
	if len(f) > 0 && strings.EqualFold(f[0], "release") {
		release, f = true, f[1:]
	}
	if len(f) == 0 {
		return release, "", ""
	}
	return release, f[0], strings.Join(f[1:], " ")
}

// adminOrg is the org the command acts in, or nil.
func (s *Service) adminOrg(a Actor, channel string) *Org {
	if o := s.OrgForChannel(a.Platform, channel); o != nil && o.IsAdmin(a) {
		return o
	}
	var only *Org
	for _, o := range s.orgList {
		if o.IsAdmin(a) {
			if only != nil {
				return nil // more than one: the channel must say which
			}
			only = o
		}
	}
	return only
}

// LockAccount locks account in o on purpose, for admin a, and records it.
func (s *Service) LockAccount(ctx context.Context, a Actor, o *Org, account, reason string) error {
	const op = "bot.LockAccount"
	ev := lockEvent{s: s, typ: "intentional_lock.set", a: a, o: o, target: account, reason: reason}
	l, acct, rf := s.lockable(ctx, a, o, account, false)
	if rf != nil {
		return ev.refuse(ctx, rf)
	}
	ev.dn = acct.ID
	done, err := l.LockOnPurpose(ctx, acct, o.Policy.LockMode)
	if err != nil {
		return ev.fail(ctx, op, err, done)
	}
	rec, _ := json.Marshal(lockRecord{Done: done, By: a.Key(), Reason: reason})
	// Set only when absent: a repeated lock must not overwrite the first
	// lock's record (it alone knows whether the account was disabled).
	if _, err := s.repo.st.Create(ctx, lockKey(o.ID, acct.ID), rec, 0); err != nil && !errors.Is(err, store.ErrConflict) {
		s.log.Warn().Err(err).Str("org", o.ID).Str("target", acct.Username).Msg("lock record not saved; the release will not re-enable the account")
		ev.extra = map[string]string{"record": "failed"}
	}
	if back, err := o.Directory.Lookup(ctx, acct.ID); err != nil || !back.IntentionalLock {
		return ev.fail(ctx, op, errors.New("the directory does not show the lock"), done)
	}
	return ev.ok(ctx, done)
}

// ReleaseLock undoes an intentional lock: the membership, and the disable
// only if the lock's record says the lock set it.
func (s *Service) ReleaseLock(ctx context.Context, a Actor, o *Org, account, reason string) error {
	const op = "bot.ReleaseLock"
	ev := lockEvent{s: s, typ: "intentional_lock.released", a: a, o: o, target: account, reason: reason}
	l, acct, rf := s.lockable(ctx, a, o, account, true)
	if rf != nil {
		return ev.refuse(ctx, rf)
	}
	ev.dn = acct.ID
	var rec lockRecord
	key := lockKey(o.ID, acct.ID)
	got, err := s.repo.st.Get(ctx, key)
	switch {
	case err == nil:
		_ = json.Unmarshal(got.Value, &rec)
	case !errors.Is(err, store.ErrNotFound):
		return ev.fail(ctx, op, err, rec.Done)
	}
	if err := l.ReleaseLock(ctx, acct, rec.Done); err != nil {
		return ev.fail(ctx, op, err, rec.Done)
	}
	_ = s.repo.st.Delete(ctx, key)
	ev.extra = map[string]string{"locked_by": rec.By, "enabled": boolStr(rec.Done.Blocked)}
	return ev.ok(ctx, rec.Done)
}
