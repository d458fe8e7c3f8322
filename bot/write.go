package bot

import (
	"context"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
)

// write is the one change to the directory. A reset sets the password and
// clears the lockout in the same write, so a password the directory
// refuses leaves the account exactly as it was; unlock-only clears the
// lockout and never touches the password. Before the write, its intent and
// the account's password stamp are saved and durably audited; a worker
// that finds the intent without the outcome asks the directory (did the
// stamp move, does the sealed password bind, is the account unlocked)
// and records what it finds as recovered instead of writing again.
func (s *Service) write(ctx context.Context, o *Org, r *Request, acct identity.Account, pw identity.Secret) error {
	done := r.Steps.PasswordSet || (r.UnlockOnly() && (r.Steps.Unlocked || r.Steps.UnlockSkipped))
	if !done && r.UnlockOnly() && !acct.Lock.Locked && !r.Steps.WriteIntent {
		// The lockout ran out on its own while the request waited.
		r.Steps.UnlockSkipped = true
		return s.recorded(ctx, r, "write")
	}
	if !done && !r.Steps.WriteIntent {
		// Saved with the intent: what the directory looked like before.
		r.Steps.WriteStamp, r.Steps.WriteUnlocks = acct.PasswordStamp, acct.Lock.Locked
	}
	var unlockedAgain bool
	happened := func() (bool, error) {
		did, err := s.written(ctx, o, r, acct, pw) // false on an error
		if !did || r.UnlockOnly() || !acct.Lock.Locked {
			return did, err
		}
		// The password is in place but the account is locked (relocked
		// since, or a generic-LDAP write interrupted between its two
		// operations): the reset is not useful until it is unlocked.
		if err := o.Directory.Unlock(ctx, acct); err != nil {
			return false, s.dirError("unlock", err)
		}
		unlockedAgain = true
		return true, nil
	}
	do := func() error {
		if err := s.record(ctx, string(r.Mode)+".write_started", audit.OK, r, "system", map[string]string{
			"unlock": boolStr(acct.Lock.Locked), "password": boolStr(r.setsPassword()), "temporary": boolStr(r.Temporary)}); err != nil {
			return err
		}
		if r.UnlockOnly() {
			if err := o.Directory.Unlock(ctx, acct); err != nil {
				return s.dirError("unlock", err)
			}
			return nil
		}
		// Always with the unlock: a user who kept trying while the request
		// waited may be locked now, and a reset that leaves them locked out
		// helps nobody.
		if err := o.Directory.SetPassword(ctx, acct, identity.PasswordChange{Password: pw, Temporary: r.Temporary, Unlock: true}); err != nil {
			return s.dirError("set_password", err)
		}
		return nil
	}
	record := func(recovered bool) error {
		if r.UnlockOnly() {
			r.Steps.Unlocked = true
		} else {
			r.Steps.PasswordSet = true
			r.Steps.Unlocked = r.Steps.WriteUnlocks || unlockedAgain
			r.Steps.UnlockSkipped = !r.Steps.Unlocked
		}
		actor, detail := r.Requester.Key(), map[string]string{"unlocked": boolStr(r.Steps.Unlocked)}
		if r.setsPassword() {
			detail["temporary"] = boolStr(r.Temporary)
		}
		if recovered {
			actor, detail["recovered"] = "system", "true"
			if unlockedAgain {
				detail["unlocked_again"] = "true"
			}
		}
		typ := "reset.password_set"
		if r.UnlockOnly() {
			typ = "unlock.unlocked"
		}
		if r.Steps.Unlocked {
			s.countUnlock(ctx, o, r)
		}
		return s.recordAfter(ctx, typ, audit.OK, r, actor, detail)
	}
	return s.once(ctx, r, "write", &r.Steps.WriteIntent, done, happened, do, record)
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

// verify reads the account back: unlocked, and for a reset the new password
// binds and the must-change flag is what was asked.
func (s *Service) verify(ctx context.Context, o *Org, r *Request, acct identity.Account, pw identity.Secret) error {
	v, err := o.Directory.Verify(ctx, acct, pw, r.Temporary)
	if err != nil {
		return s.dirError("verify", err)
	}
	ok := v.Unlocked
	detail := map[string]string{"unlocked": boolStr(v.Unlocked)}
	if r.setsPassword() {
		ok = ok && (v.PasswordWorks || v.PasswordCheckSkip) && v.MustChange == r.Temporary
		detail["password_works"], detail["must_change"] = boolStr(v.PasswordWorks), boolStr(v.MustChange)
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
