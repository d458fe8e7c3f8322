package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// validate fills req.Account and answers per field. The account it returns
// is whatever the directory resolved, also on a refusal (for the audit).
// reserve, for a request that runs at once (an automatic approval), takes
// its place under the account's daily limit where the limit is checked
// (Steps.Reserved): the same round trip, and the reset asks no more. The
// store is asked while the directory looks the account up
// (askAccountSoon); a refusal gives back any place taken.
func (s *Service) validate(ctx context.Context, o *Org, sub Submission, req *Request, reserve bool) (_ identity.Account, verr error) {
	name := strings.TrimSpace(sub.Account)
	switch {
	case req.Mode != ModeReset && req.Mode != ModeUnlock:
		return identity.Account{}, invalid(FieldMode, "Choose Unlock only or Unlock and reset password.")
	case name == "":
		return identity.Account{}, invalid(FieldAccount, "Pick the account to unlock.")
	case req.UnlockOnly() && !sub.Password.IsZero():
		return identity.Account{}, invalid(FieldPassword, "You chose Unlock only, which keeps the current password. Clear this field, or choose Unlock and reset password.")
	case len(req.Reason) < 5:
		return identity.Account{}, invalid(FieldReason, "Say why, and how you verified the caller (at least a few words).")
	case len(req.Reason) > maxReasonLen:
		return identity.Account{}, invalid(FieldReason, "Keep the reason under %d characters.", maxReasonLen)
	}
	early := s.askAccountSoon(ctx, o, req, name, reserve)
	var reads accountReads
	defer func() {
		if verr != nil {
			guessed := early()
			s.giveBack(ctx, o, req, guessed)
			if reads.name != guessed.name { // asked again for the account's own name
				s.giveBack(ctx, o, req, reads)
			}
		}
	}()
	acct, err := o.Directory.Lookup(ctx, name)
	switch {
	case errors.Is(err, identity.ErrNotFound):
		return identity.Account{}, invalid(FieldAccount, "No account %q in %s. Pick one from the list.", Truncate(name, 40), o.Name)
	case errors.Is(err, identity.ErrAmbiguous):
		return identity.Account{}, invalid(FieldAccount, "%q matches more than one account. Pick one from the list.", Truncate(name, 40))
	case identity.KindOf(err) == identity.KindInvalid:
		return identity.Account{}, invalid(FieldAccount, "%s", SafeMessage(err))
	case err != nil:
		return identity.Account{}, errorf("bot.Submit", KindUnavailable, err, "%s's directory did not answer: %s", o.Name, SafeMessage(err))
	}
	if r := guard(acct); r != nil {
		return acct, invalid(FieldAccount, "%s", r.Message)
	}
	if r := s.checkRequester(ctx, o, sub.Requester, acct); r != nil {
		return acct, invalidWhy(r.Code, FieldAccount, r.Message)
	}
	if req.UnlockOnly() && acct.LockoutHidden {
		return acct, invalid(FieldMode, "%s Choose Unlock and reset password.", smartLockout)
	}
	if req.UnlockOnly() && !acct.Lock.Locked {
		return acct, invalid(FieldAccount, "%s is not locked, so there is nothing to unlock. If the user forgot the password, choose Unlock and reset password.", acct.Label())
	}
	req.Account = AccountRef{ID: acct.ID, Username: acct.Username, DisplayName: acct.DisplayName, Mail: acct.Mail,
		UPN: acct.UPN, Manager: acct.Manager, WasLocked: acct.Lock.Locked, Stamp: acct.PasswordStamp}
	if req.setsPassword() && !sub.Password.IsZero() {
		if msg := CheckPassword(sub.Password, o.Policy, req.Account); msg != "" {
			return acct, invalid(FieldPassword, "%s", msg)
		}
		if err := s.screenPassword(ctx, o, req, sub.Password); err != nil {
			return acct, err
		}
	}
	if err := s.checkTicket(ctx, o, req.TicketID); err != nil {
		return acct, err
	}
	reads = s.forAccount(ctx, o, req, early(), acct, reserve)
	if reads.err != nil {
		return acct, errorf("bot.Submit", KindUnavailable, reads.err, "The state store is not answering. Try again in a minute.")
	}
	if !reads.ok {
		return acct, invalid(FieldAccount, "%s was unlocked or reset %d times in the last 24 hours, the limit for %s. Escalate to the organization's IT contact.", req.Account.Username, reads.n, o.Name)
	}
	if reads.weekErr != nil {
		return acct, errorf("bot.facts", KindUnavailable, reads.weekErr, "The state store is not answering. Try again in a minute.")
	}
	req.Steps.Reserved = reads.reserved
	req.Account.Facts = accountFacts(acct, reads.week)
	return acct, nil
}

// checkTicket refuses a ticket that does not exist, is closed or belongs
// to another organization.
func (s *Service) checkTicket(ctx context.Context, o *Org, id string) error {
	if id == "" {
		return nil
	}
	t, err := o.Tickets.Get(ctx, id)
	switch {
	case errors.Is(err, psa.ErrNotFound):
		return invalid(FieldTicket, "Ticket %s was not found. Pick one from the list, or leave it empty to create a new one.", Truncate(id, 20))
	case err != nil:
		return errorf("bot.Submit", KindUnavailable, err, "%s's ticket system did not answer: %s", o.Name, SafeMessage(err))
	case t.CompanyID != o.PSACompanyID:
		return invalid(FieldTicket, "Ticket %s belongs to another organization. Pick a ticket of %s.", Truncate(id, 20), o.Name)
	case t.Closed:
		return invalid(FieldTicket, "Ticket %s is closed. Pick an open ticket, or leave it empty to create a new one.", Truncate(id, 20))
	}
	return nil
}
