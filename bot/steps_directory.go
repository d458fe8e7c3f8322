package bot

import (
	"context"
	"errors"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
)

// write is the one change to the directory. A reset sets the password and
// clears the lockout in the same write, so a password the directory
// refuses leaves the account exactly as it was; unlock-only clears the
// lockout and never touches the password. Before the write, its intent and
// the account's password stamp are saved and audited; a worker
// that finds the intent without the outcome asks the directory (did the
// stamp move, does the sealed password bind, is the account unlocked)
// and records what it finds as recovered instead of writing again.
// flushed waits for the attempt's start (reset.started) to be on disk: the
// trail's record that the directory may change, made before it does.
//
// The unlock's entry in the account's history (countUnlock) is written
// while the caller reads the account back: counted, returned on success,
// waits for it, and the caller calls it before the request can end (run:
// after the read-back). Only the replay check reads that history, and
// only for a record without the write's intent, which every save from the
// intent on carries: what matters is that the entry is written, not which
// save it comes before.
func (s *Service) write(ctx context.Context, o *Org, r *Request, acct identity.Account, p prepared, flushed func() error) (counted func(), err error) {
	counted = func() {}
	pw, done := p.pw, writeDone(r)
	if !done && !r.Steps.WriteIntent {
		if err := s.stillCurrent(r, acct, p); err != nil {
			return counted, err
		}
		if r.UnlockOnly() && !acct.Lock.Locked {
			// The lockout ran out on its own while the request waited.
			r.Steps.UnlockSkipped = true // rides with the next save
			return counted, s.stepped("write")
		}
		// Saved with the intent: what the directory looked like before.
		r.Steps.WriteStamp, r.Steps.WriteUnlocks = acct.PasswordStamp, acct.Lock.Locked
	}
	var recovered bool
	defer func() {
		if err != nil {
			counted()
		}
	}()
	happened := func() (bool, error) {
		return s.written(ctx, o, r, acct, pw)
	}
	do := func() error {
		// An interrupted write the directory does not show is written
		// again only while the approval still holds.
		if s.approvalStale(o, r) {
			return refusal("approval_stale", "This approval is older than "+o.Policy.ApprovalTTL.String()+" and the directory shows nothing was changed, so unlockbot will not act on it. Submit a new request with /unlock.")
		}
		detail := map[string]string{"was_locked": boolStr(acct.Lock.Locked), "sets_password": boolStr(r.setsPassword())}
		if r.setsPassword() {
			detail["unlock"], detail["temporary"] = "true", boolStr(r.Temporary) // a reset always sends the unlock
		}
		if err := flushed(); err != nil {
			return err
		}
		if err := s.recordAfter(ctx, string(r.Mode)+".write_started", audit.OK, r, "system", detail); err != nil {
			return err
		}
		if r.UnlockOnly() {
			if err := o.Directory.Unlock(ctx, acct); err != nil {
				return s.dirError("unlock", err)
			}
			r.readBack = s.readBackSoon(ctx, o, r, acct, pw)
			return nil
		}
		// Always with the unlock: a user who kept trying while the request
		// waited may be locked now, and a reset that leaves them locked out
		// helps nobody.
		err := o.Directory.SetPassword(ctx, acct, identity.PasswordChange{Password: pw, Temporary: r.Temporary, Unlock: true})
		if err != nil && !errors.Is(err, identity.ErrPartial) {
			return s.dirError("set_password", err)
		}
		r.readBack = s.readBackSoon(ctx, o, r, acct, pw)
		if err != nil {
			// The password is written; only a follow-up failed. Writing it
			// again would not help: say what is left to do by hand.
			r.Steps.Warning = SafeMessage(err)
		}
		return nil
	}
	record := func(found bool) error {
		recovered = found
		if r.UnlockOnly() {
			r.Steps.Unlocked = true
		} else {
			r.Steps.PasswordSet = true
			// Found done by a worker taking over while the account is
			// locked again: the write's unlock no longer holds (see
			// reunlock).
			r.Steps.Unlocked = r.Steps.WriteUnlocks && !(found && acct.Lock.Locked)
			r.Steps.UnlockSkipped = !r.Steps.Unlocked
		}
		actor, detail := r.Requester.Key(), map[string]string{"unlocked": boolStr(r.Steps.Unlocked)}
		if r.Steps.Warning != "" {
			detail["warning"] = r.Steps.Warning
		}
		if r.setsPassword() {
			detail["temporary"] = boolStr(r.Temporary)
		}
		if found {
			actor, detail["recovered"] = "system", "true"
		}
		typ := "reset.password_set"
		if r.UnlockOnly() {
			typ = "unlock.unlocked"
		}
		if r.Steps.Unlocked {
			counted = s.countUnlock(ctx, o, r)
		}
		return s.recordAfter(ctx, typ, audit.OK, r, actor, detail)
	}
	if err := s.once(ctx, r, "write", &r.Steps.WriteIntent, done, happened, do, record); err != nil {
		return counted, err
	}
	return counted, s.reunlock(ctx, o, r, acct, recovered)
}

// armWrite puts the write's intent into the first version of a request
// that runs at once (an automatic approval, start): the account was read
// a moment ago by validate, so what write checks and keeps before its
// intent (stillCurrent, the stamp) holds by construction, and the create
// is the intent's save: one round trip fewer before the directory.
func armWrite(r *Request, acct identity.Account) {
	if r.UnlockOnly() && !acct.Lock.Locked {
		return // nothing to write; validate refuses it anyway
	}
	r.Steps.WriteStamp, r.Steps.WriteUnlocks, r.Steps.WriteIntent = acct.PasswordStamp, acct.Lock.Locked, true
	r.armed = "write"
}

// disarm takes back an armed write's intent its try never acted on (the
// try stopped before the write: the store did not answer, the worker is
// shutting down): the save that follows records no intent, so a later
// try or a Retry does not ask the directory about a write that never
// started (on a directory without a password stamp, a bind with the new
// password that counts as a bad one against the user).
func disarm(r *Request) {
	if r.armed == "write" {
		r.Steps.WriteIntent, r.armed = false, ""
	}
}

// reunlock unlocks an account whose password unlockbot already set but
// which is locked now: locked again after an interrupted reset (the user
// kept trying), or a generic-LDAP reset stopped between its two writes. It
// is its own side effect, with its own intent and durable record.
func (s *Service) reunlock(ctx context.Context, o *Org, r *Request, acct identity.Account, recovered bool) error {
	if !r.setsPassword() || r.Steps.Unlocked || !(r.Steps.ReunlockIntent || (recovered && acct.Lock.Locked)) {
		return nil
	}
	happened := func() (bool, error) { return !acct.Lock.Locked, nil }
	do := func() error {
		if err := s.record(ctx, "reset.unlock_started", audit.OK, r, "system", map[string]string{"after": "recovered password write"}); err != nil {
			return err
		}
		if err := o.Directory.Unlock(ctx, acct); err != nil {
			return s.dirError("unlock", err)
		}
		return nil
	}
	counted := func() {}
	defer func() { counted() }()
	record := func(found bool) error {
		r.Steps.Unlocked, r.Steps.UnlockSkipped = true, false
		counted = s.countUnlock(ctx, o, r)
		return s.recordAfter(ctx, "reset.unlocked", audit.OK, r, "system", recoveredDetail(found, map[string]string{}))
	}
	return s.once(ctx, r, "reunlock", &r.Steps.ReunlockIntent, false, happened, do, record)
}

// writeDone reports whether the try's one write to the directory is behind
// it: the password set, or for unlock-only the account unlocked (or found
// unlocked).
func writeDone(r *Request) bool {
	return r.Steps.PasswordSet || (r.UnlockOnly() && (r.Steps.Unlocked || r.Steps.UnlockSkipped))
}

// stillCurrent refuses a request whose account changed since it was
// submitted, before its first write. A record put back in the store as it
// was earlier (its version with it: a store writer can do that, and the
// record's MAC cannot tell) would otherwise run an approval a second time;
// the directory, which no store writer controls, tells: the password stamp
// moved since submit, or this request already unlocked the account (p:
// asked of the store by prepare).
func (s *Service) stillCurrent(r *Request, acct identity.Account, p prepared) error {
	if r.setsPassword() && r.Account.Stamp != "" && acct.PasswordStamp != "" && acct.PasswordStamp != r.Account.Stamp {
		return refusal("changed_since_request", "The password of "+r.Account.Label()+" was changed after this request was submitted, so its approval no longer applies and nothing was changed. Submit a new request if one is still needed.")
	}
	if p.replayErr != nil {
		return errorf("bot.write", KindUnavailable, p.replayErr, "The state store is not answering. Try again in a minute.")
	}
	if p.replayed {
		return refusal("replayed", "This request already unlocked "+r.Account.Label()+" once, so it is not run again. Submit a new request if one is still needed.")
	}
	return nil
}

// alreadyUnlocked asks the account's unlock history whether this request
// is in it.
func (s *Service) alreadyUnlocked(ctx context.Context, o *Org, r *Request) (bool, error) {
	again, _, err := s.repo.st.Reserve(ctx, unlocksKey(o, r.Account.Username), r.ID, s.now(), unlockHistory, 0)
	return again, err
}

// written asks the directory whether an interrupted write happened. The
// password stamp (AD's unicodePwd version, ppolicy's pwdChangedTime) moved
// means the password was written; a directory without a stamp is asked by
// a bind with the sealed password. Unlock-only asks the lock state.
func (s *Service) written(ctx context.Context, o *Org, r *Request, acct identity.Account, pw identity.Secret) (bool, error) {
	if r.UnlockOnly() {
		return !acct.Lock.Locked, nil
	}
	if r.Steps.WriteStamp != "" && acct.PasswordStamp != "" {
		return acct.PasswordStamp != r.Steps.WriteStamp, nil
	}
	v, err := o.Directory.Verify(ctx, acct, pw, r.Temporary)
	if err != nil {
		return false, s.dirError("verify", err)
	}
	return v.PasswordWorks, nil
}

// readBackSoon starts the read-back of a write the directory just took,
// sent before the write's outcome is recorded and the ticket's create
// starts (startFirst): it only reads, and nothing of ours changes the
// account between the two (a write found by a worker taking over is read
// back by verify, after any unlock it still owes). The returned func
// waits for the answer.
func (s *Service) readBackSoon(ctx context.Context, o *Org, r *Request, acct identity.Account, pw identity.Secret) func() (identity.Verification, error) {
	temporary := r.Temporary
	return startFirst(func() (identity.Verification, error) { return o.Directory.Verify(ctx, acct, pw, temporary) })
}

// verify reads the account back: unlocked, and for a reset the new password
// binds and the must-change flag is what was asked. A read-back the write
// started (readBackSoon) is taken instead of a read of its own.
func (s *Service) verify(ctx context.Context, o *Org, r *Request, acct identity.Account, pw identity.Secret) error {
	read := func() (identity.Verification, error) { return o.Directory.Verify(ctx, acct, pw, r.Temporary) }
	if r.readBack != nil {
		read, r.readBack = r.readBack, nil
	}
	v, err := read()
	if err != nil {
		return s.dirError("verify", err)
	}
	ok := v.Unlocked
	detail := map[string]string{"unlocked": boolStr(v.Unlocked)}
	if r.setsPassword() {
		ok = ok && (v.PasswordWorks || v.PasswordCheckSkip) && v.MustChange == r.Temporary
		detail["password_works"], detail["must_change"] = boolStr(v.PasswordWorks), boolStr(v.MustChange)
		if v.PasswordCheckSkip && !v.PasswordWorks {
			r.Steps.Unproven, detail["password_checked"] = true, "false"
		}
	}
	if v.LockHidden {
		detail["lock_visible"] = "false"
	}
	if !ok {
		_ = s.recordAfter(ctx, string(r.Mode)+".verify_failed", audit.Failed, r, "system", detail)
		if r.UnlockOnly() {
			return errorf("bot.verify", KindUnavailable, nil, "The directory still shows the account as locked. Retry in a minute; if it persists, check the account by hand.")
		}
		return errorf("bot.verify", KindUnavailable, nil, "The directory does not yet show the change (read back: unlocked=%t, new password accepted=%t). Retry in a minute; if it persists, check the account by hand.", v.Unlocked, v.PasswordWorks)
	}
	return s.recordAfter(ctx, string(r.Mode)+".verified", audit.OK, r, "system", detail)
}
