package bot

import (
	"context"
	"errors"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
)

// lockable is the check before a lock or a release: a is an admin of o,
// the directory can lock, and the account is one an admin tool may lock.
// Privileged accounts are refused like the helpdesk flow refuses them: a
// way to lock accounts is also a way to lock out the domain's admins, so
// only a domain admin, by hand, may do that. The bot's own account and
// the admin's own are refused too.
func (s *Service) lockable(ctx context.Context, a Actor, o *Org, account string, release bool) (identity.Locker, identity.Account, *Refusal) {
	if o == nil || !o.IsAdmin(a) {
		return nil, identity.Account{}, &Refusal{"not_admin", "Only an organization's unlockbot admins may lock accounts on purpose; run /lock in a channel of that organization."}
	}
	l, ok := identity.Find[identity.Locker](o.Directory)
	if !ok {
		return nil, identity.Account{}, &Refusal{"unsupported", o.Name + "'s directory cannot lock accounts on purpose; lock it by hand."}
	}
	if len(account) > maxQueryLen {
		return nil, identity.Account{}, &Refusal{"invalid_account", "That account name is too long; type the logon name."}
	}
	acct, err := o.Directory.Lookup(ctx, account)
	switch {
	case errors.Is(err, identity.ErrNotFound):
		return nil, acct, &Refusal{"not_found", "No account " + Truncate(account, 40) + " in " + o.Name + "; type the logon name."}
	case err != nil:
		return nil, acct, &Refusal{"directory_error", SafeMessage(err)}
	}
	if rf := lockGuard(acct); rf != nil {
		return nil, acct, rf
	}
	if self, ok := identity.Find[identity.Self](o.Directory); ok && self.IsBotAccount(acct) {
		return nil, acct, &Refusal{"bot_account", "That is the account unlockbot signs in with; locking it would stop the bot, so do it by hand if you must."}
	}
	if mine, _ := s.isSelf(ctx, a, acct); mine {
		return nil, acct, &Refusal{"self", "You cannot lock or release your own account; ask another admin."}
	}
	switch {
	case !release && acct.IntentionalLock:
		return nil, acct, &Refusal{"already_locked", acct.Label() + " is already locked on purpose."}
	case release && !acct.IntentionalLock:
		return nil, acct, &Refusal{"not_locked", acct.Label() + " is not locked on purpose, so there is nothing to release."}
	}
	return l, acct, nil
}

// lockGuard is the helpdesk guard without its last two refusals: an
// intentional lock is what the command sets or releases, and locking a
// disabled account is allowed (the release then leaves it disabled).
func lockGuard(acct identity.Account) *Refusal {
	if len(acct.ProtectedGroups) > 0 || acct.AdminCount {
		return &Refusal{"privileged", "This is a privileged account. unlockbot never locks those, so it cannot lock out the domain's admins; a domain admin must do it by hand."}
	}
	acct.IntentionalLock, acct.Disabled = false, false
	return guard(acct)
}

// lockEvent writes the trail of one lock or release.
type lockEvent struct {
	s          *Service
	typ        string // intentional_lock.set or intentional_lock.released
	a          Actor
	o          *Org
	target, dn string
	reason     string
	extra      map[string]string
}

func (e *lockEvent) event(typ, outcome string, detail map[string]string) audit.Event {
	ev := audit.Event{Time: e.s.now().UTC(), Type: typ, Outcome: outcome, Actor: e.a.Key(), ActorName: e.a.Name,
		Platform: e.a.Platform, Target: e.target, TargetDN: e.dn, Detail: detail}
	if e.o != nil {
		ev.Org = e.o.ID
	}
	detail["action"] = map[bool]string{true: "release", false: "lock"}[e.typ == "intentional_lock.released"]
	if e.reason != "" {
		detail["reason"] = Truncate(e.reason, maxReasonLen)
	}
	return ev
}

// refuse records a refusal (appended: nothing was changed) and returns it.
func (e *lockEvent) refuse(ctx context.Context, rf *Refusal) error {
	_ = e.s.append(ctx, e.event("intentional_lock.refused", audit.Refused, map[string]string{"why": rf.Code}))
	return rf
}

// fail records, durably, a lock or release the directory did not complete.
func (e *lockEvent) fail(ctx context.Context, op string, err error, done identity.LockDone) error {
	d := doneDetail(done)
	d["message"] = SafeMessage(err)
	if werr := e.s.audit.Write(ctx, e.event("intentional_lock.failed", audit.Failed, d)); werr != nil {
		return auditFailed(werr)
	}
	e.s.log.Warn().Err(err).Str("org", e.o.ID).Str("actor", e.a.Key()).Str("target", e.target).Msg(e.typ + " failed")
	return errorf(op, KindUnavailable, err, "The lock was not completed: %s", SafeMessage(err))
}

// ok records, durably, what the lock or release did.
func (e *lockEvent) ok(ctx context.Context, done identity.LockDone) error {
	d := doneDetail(done)
	for k, v := range e.extra {
		d[k] = v
	}
	if err := e.s.audit.Write(ctx, e.event(e.typ, audit.OK, d)); err != nil {
		return auditFailed(err)
	}
	return nil
}

func doneDetail(done identity.LockDone) map[string]string {
	return map[string]string{"mode": string(done.Mode), "grouped": boolStr(done.Grouped), "disabled": boolStr(done.Blocked)}
}
