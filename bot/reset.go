package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// Execute runs the shared reset service for an approved request: check the
// account, unlock, set the password, verify, ticket, audit, confirm. Each
// side effect is recorded in the request before the next starts, so a retry
// (or another replica after a crash) continues without repeating one. The
// Slack handler, the Teams handler and `unlockbot reset` all end here.
func (s *Service) Execute(ctx context.Context, id string) (*Request, error) {
	return s.execute(ctx, id, nil)
}

// execute runs the reset; fresh, when given, is the account as read moments
// ago on this path (an auto-approved submission), so it is not read again.
func (s *Service) execute(ctx context.Context, id string, fresh *identity.Account) (*Request, error) {
	r, o, err := s.claim(ctx, id)
	if err != nil {
		return r, err
	}
	if err := s.run(ctx, o, r, fresh); err != nil {
		return s.fail(ctx, r, err)
	}
	s.finish(ctx, o, r)
	return r, nil
}

// claim takes the request for this executor: approved → executing, or
// executing whose lease ran out (its executor died).
func (s *Service) claim(ctx context.Context, id string) (*Request, *Org, error) {
	const op = "bot.claim"
	for {
		r, err := s.repo.load(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		o, ok := s.orgs[r.OrgID]
		if !ok {
			return r, nil, errorf(op, KindForbidden, nil, "This request's organization is no longer configured.")
		}
		switch {
		case r.State == StateApproved:
		case r.State == StateExecuting && s.now().After(r.LeaseUntil):
			s.reqLog(r).Warn().Int("attempt", r.Attempts).Msg("taking over a reset whose executor stopped")
		case r.State == StateExecuting:
			return r, o, errorf(op, KindConflict, nil, "This reset is already running.")
		default:
			return r, o, errorf(op, KindConflict, nil, "%s", alreadyDecided(r))
		}
		if err := r.move(StateExecuting, s.now()); err != nil {
			return r, o, err
		}
		r.Attempts++
		r.LeaseUntil = s.now().Add(s.lease)
		r.Failure, r.Retryable = "", false
		err = s.repo.save(ctx, r)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return r, o, errorf(op, KindUnavailable, err, "The state store is not answering. Try again in a minute.")
		}
		return r, o, nil
	}
}

// step runs fn unless done, then records done. Before the side effect it
// renews its lease with a compare-and-swap: a worker that stalled and lost
// the request to another stops here instead of repeating the effect. (The
// lease, 2 minutes, is far longer than any one directory or PSA call's
// timeout, so a takeover during fn itself would need a stall beyond that.)
func (s *Service) step(ctx context.Context, r *Request, name string, done *bool, fn func() error) error {
	if *done {
		return nil
	}
	r.LeaseUntil = s.now().Add(s.lease)
	if err := s.repo.save(ctx, r); err != nil {
		return errorf("bot.step", KindConflict, err, "Another unlockbot worker took over this reset; see its messages in this thread.")
	}
	if err := fn(); err != nil {
		return err
	}
	*done = true
	r.LeaseUntil = s.now().Add(s.lease)
	if err := s.repo.save(ctx, r); err != nil {
		return errorf("bot.step", KindConflict, err, "Another unlockbot worker took over this reset; see its messages in this thread.")
	}
	if s.afterStep != nil {
		return s.afterStep(name)
	}
	return nil
}

func (s *Service) run(ctx context.Context, o *Org, r *Request, fresh *identity.Account) error {
	var acct identity.Account
	var err error
	if fresh != nil && fresh.ID == r.Account.ID && r.Attempts == 1 {
		acct = *fresh
		if rf := guard(acct); rf != nil {
			return refusal(rf.Code, rf.Message)
		}
	} else if acct, err = s.recheck(ctx, o, r); err != nil {
		return err
	}
	var pw identity.Secret
	steps := []struct {
		name string
		done *bool
		fn   func() error
	}{
		{"reserve", &r.Steps.Reserved, func() error { return s.reserve(ctx, o, r) }},
		{"password", &r.Steps.PasswordReady, func() error { return nil }},
		{"unlock", &r.Steps.Unlocked, func() error { return s.unlock(ctx, o, r, acct) }},
		{"set_password", &r.Steps.PasswordSet, func() error { return s.setPassword(ctx, o, r, acct, pw) }},
		{"verify", &r.Steps.Verified, func() error { return s.verify(ctx, o, r, acct, pw) }},
		{"ticket", new(bool), func() error { return s.ticket(ctx, o, r) }},
		{"note", &r.Steps.TicketNoted, func() error { return s.note(ctx, o, r, pw) }},
		{"resolve", &r.Steps.TicketResolved, func() error { return s.resolve(ctx, o, r) }},
		{"audit", &r.Steps.Audited, func() error {
			return s.record(ctx, "reset.completed", audit.OK, r, r.Requester.Key(), map[string]string{"ticket": r.Steps.TicketID, "attempts": fmt.Sprint(r.Attempts)})
		}},
	}
	for i, st := range steps {
		if st.name == "password" {
			// Loaded (or generated and sealed) on every attempt: a retry
			// must set the same password the first attempt may have set.
			if pw, err = s.password(ctx, o, r); err != nil {
				return err
			}
		}
		if st.name == "ticket" && r.Steps.TicketID != "" {
			continue
		}
		if err := s.step(ctx, r, st.name, steps[i].done, st.fn); err != nil {
			return err
		}
	}
	return nil
}

// recheck reads the account again: membership or state may have changed
// while the request waited, and the directory's answer beats our memory.
func (s *Service) recheck(ctx context.Context, o *Org, r *Request) (identity.Account, error) {
	acct, err := o.Directory.Lookup(ctx, r.Account.Username)
	if err != nil {
		return acct, errorf("bot.recheck", KindUnavailable, err, "%s's directory did not answer: %s", o.Name, SafeMessage(err))
	}
	if acct.ID != r.Account.ID {
		return acct, refusal("account_changed", "The account "+r.Account.Username+" now points to a different directory object than when it was requested. Submit a new request.")
	}
	if rf := guard(acct); rf != nil {
		return acct, refusal(rf.Code, rf.Message)
	}
	return acct, nil
}

// refusedError is a guard or policy refusal: final, never retried.
type refusedError struct{ code, msg string }

func (e *refusedError) Error() string       { return "refused: " + e.code }
func (e *refusedError) SafeMessage() string { return e.msg }
func refusal(code, msg string) error        { return &refusedError{code, msg} }

func (s *Service) reserve(ctx context.Context, o *Org, r *Request) error {
	ok, n, err := s.repo.st.Reserve(ctx, limitKey(o, r.Account.Username), r.ID, s.now(), day, o.Policy.MaxResetsPerAccountPerDay)
	if err != nil {
		return errorf("bot.reserve", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	if !ok {
		return refusal("rate_limit", fmt.Sprintf("%s was reset %d times in the last 24 hours, the limit for %s. Escalate to the organization's IT contact.", r.Account.Username, n, o.Name))
	}
	return nil
}

func (s *Service) password(ctx context.Context, o *Org, r *Request) (identity.Secret, error) {
	if !r.Generated || r.Steps.PasswordReady {
		// A generated password already made must be the one reused: a new
		// one would not match what an earlier attempt may have set.
		pw, err := s.repo.password(ctx, r.ID)
		if errors.Is(err, store.ErrNotFound) {
			return pw, refusal("password_expired", "The password for this request is no longer kept (passwords are held only briefly). Submit a new request.")
		}
		if err != nil {
			return pw, errorf("bot.password", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
		}
		return pw, nil
	}
	gen, err := generate(o.Policy, r.Account)
	if err != nil {
		return gen, errorf("bot.password", KindInternal, err, "A password could not be generated. Try again.")
	}
	pw, err := s.repo.storePassword(ctx, r.ID, gen, revealTTL)
	if err != nil {
		return pw, errorf("bot.password", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	return pw, nil
}

// generate makes a password that passes the org's own policy for this
// account (a passphrase could fall short of min_password_length, or either
// could by chance contain the account name): a few tries, then an error.
func generate(p Policy, acct AccountRef) (identity.Secret, error) {
	for range 20 {
		var pw identity.Secret
		var err error
		if p.PassphraseWords > 0 {
			pw, err = GeneratePassphrase(p.PassphraseWords)
		} else {
			pw, err = GeneratePassword(p.GeneratedLength)
		}
		if err != nil {
			return pw, err
		}
		if CheckPassword(pw, p, acct) == "" {
			return pw, nil
		}
	}
	return identity.Secret{}, errors.New("no generated password met the policy in 20 tries; raise passphrase_words or generated_length")
}

func (s *Service) unlock(ctx context.Context, o *Org, r *Request, acct identity.Account) error {
	if !acct.Lock.Locked {
		r.Steps.UnlockSkipped = true
		return nil
	}
	if err := o.Directory.Unlock(ctx, acct); err != nil {
		return s.dirError("unlock", err)
	}
	return s.record(ctx, "reset.unlocked", audit.OK, r, r.Requester.Key(), nil)
}

func (s *Service) setPassword(ctx context.Context, o *Org, r *Request, acct identity.Account, pw identity.Secret) error {
	if err := o.Directory.SetPassword(ctx, acct, identity.PasswordChange{Password: pw, Temporary: r.Temporary}); err != nil {
		return s.dirError("set_password", err)
	}
	return s.record(ctx, "reset.password_set", audit.OK, r, r.Requester.Key(), map[string]string{"temporary": boolStr(r.Temporary)})
}

func (s *Service) verify(ctx context.Context, o *Org, r *Request, acct identity.Account, pw identity.Secret) error {
	v, err := o.Directory.Verify(ctx, acct, pw, r.Temporary)
	if err != nil {
		return s.dirError("verify", err)
	}
	ok := v.Unlocked && (v.PasswordWorks || v.PasswordCheckSkip) && v.MustChange == r.Temporary
	detail := map[string]string{"unlocked": boolStr(v.Unlocked), "password_works": boolStr(v.PasswordWorks), "must_change": boolStr(v.MustChange)}
	if !ok {
		_ = s.record(ctx, "reset.verify_failed", audit.Failed, r, "system", detail)
		return errorf("bot.verify", KindUnavailable, nil, "The directory does not yet show the change (read back: unlocked=%t, new password accepted=%t). Retry in a minute; if it persists, check the account by hand.", v.Unlocked, v.PasswordWorks)
	}
	return s.record(ctx, "reset.verified", audit.OK, r, "system", detail)
}

// dirError keeps the directory's own sentence; only "unavailable" errors are
// worth a retry, the rest (policy, rights) need a person.
func (s *Service) dirError(step string, err error) error {
	if k := identity.KindOf(err); k == identity.KindUnavailable || k == identity.KindConflict {
		return errorf("bot."+step, KindUnavailable, err, "%s", SafeMessage(err))
	}
	return refusal(step+"_refused", SafeMessage(err))
}

func (s *Service) ticket(ctx context.Context, o *Org, r *Request) error {
	if r.TicketID != "" {
		r.Steps.TicketID = r.TicketID
		return nil
	}
	t, err := o.Tickets.Create(ctx, psa.NewTicket{
		CompanyID:      o.PSACompanyID,
		Summary:        truncate("Account unlock / password reset: "+r.Account.Label(), 100),
		Description:    ticketText(r),
		IdempotencyKey: r.ID,
	})
	if err != nil {
		return errorf("bot.ticket", KindUnavailable, err, "The ticket could not be created in %s's ticket system: %s", o.Name, SafeMessage(err))
	}
	r.Steps.TicketID, r.Steps.TicketCreated = t.ID, true
	return s.record(ctx, "ticket.created", audit.OK, r, "system", map[string]string{"ticket": t.ID})
}

func (s *Service) note(ctx context.Context, o *Org, r *Request, pw identity.Secret) error {
	n := psa.Note{Text: ticketText(r), Internal: true, IdempotencyKey: r.ID + ":note"}
	if r.NoteToPSA {
		n.Password = pw
	}
	if err := o.Tickets.AddNote(ctx, r.Steps.TicketID, n); err != nil {
		return errorf("bot.note", KindUnavailable, err, "The note could not be added to ticket %s: %s", r.Steps.TicketID, SafeMessage(err))
	}
	return s.record(ctx, "ticket.noted", audit.OK, r, "system", map[string]string{"ticket": r.Steps.TicketID, "internal": "true", "with_password": boolStr(r.NoteToPSA)})
}

func (s *Service) resolve(ctx context.Context, o *Org, r *Request) error {
	if !r.Steps.TicketCreated {
		return nil // an existing ticket stays as the technician left it
	}
	if err := o.Tickets.Resolve(ctx, r.Steps.TicketID, "Resolved by unlockbot: account unlocked and password reset."); err != nil {
		return errorf("bot.resolve", KindUnavailable, err, "Ticket %s could not be resolved: %s", r.Steps.TicketID, SafeMessage(err))
	}
	return nil
}
