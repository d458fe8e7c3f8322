package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// Submission is the filled-in form as the adapter read it.
type Submission struct {
	Requester Actor
	OrgID     string
	Account   string          // username from the picker (or typed)
	TicketID  string          // empty = create a new ticket
	Password  identity.Secret // empty = generate
	Temporary bool
	NoteToPSA bool
	Reason    string
	Origin    string // channel the command came from
}

const maxReasonLen = 500

// Submit validates a submission and starts the request. Errors meant for a
// form field come back as *ValidationError; other errors carry a safe
// sentence. A refused submission leaves no request behind, only an audit
// record of the refusal.
func (s *Service) Submit(ctx context.Context, sub Submission) (*Request, error) {
	return s.submit(ctx, sub, false)
}

// BreakGlass runs a reset for an operator at a terminal (`unlockbot reset`).
// Whoever can run it holds the config and its secrets already, so chat roles
// and the approval step do not apply; the guard, the password policy, the
// daily limit, verification and the audit trail all do.
func (s *Service) BreakGlass(ctx context.Context, sub Submission) (*Request, error) {
	sub.Requester.Platform = "cli"
	return s.submit(ctx, sub, true)
}

func (s *Service) submit(ctx context.Context, sub Submission, breakGlass bool) (*Request, error) {
	o, err := s.techOrg("bot.Submit", sub.Requester, sub.OrgID)
	if breakGlass {
		o, err = s.orgs[sub.OrgID], nil
		if o == nil {
			err = errorf("bot.BreakGlass", KindNotFound, nil, "There is no organization %q in the config.", sub.OrgID)
		}
	}
	if err != nil {
		_ = s.record(ctx, "request.refused", audit.Refused, nil, sub.Requester.Key(), map[string]string{"org": sub.OrgID, "why": "not_technician"})
		return nil, err
	}
	req := &Request{
		ID: newID(), OrgID: o.ID, Platform: sub.Requester.Platform, Requester: sub.Requester,
		TicketID: strings.TrimSpace(sub.TicketID), Temporary: sub.Temporary, NoteToPSA: sub.NoteToPSA,
		Reason: strings.TrimSpace(sub.Reason), Origin: sub.Origin, Generated: sub.Password.IsZero(),
		State: StateDraft,
	}
	acct, verr := s.validate(ctx, o, sub, req)
	if verr != nil {
		why := "invalid"
		var v *ValidationError
		if errors.As(verr, &v) {
			for f := range v.Fields {
				why = "invalid_" + string(f)
			}
		}
		_ = s.record(ctx, "request.refused", audit.Refused, req, sub.Requester.Key(), map[string]string{"why": why, "message": SafeMessage(verr)})
		return nil, verr
	}
	now := s.now()
	req.CreatedAt, req.UpdatedAt = now, now
	req.ExpiresAt = now.Add(o.Policy.ApprovalTTL)
	if err := req.move(StateSubmitted, now); err != nil {
		return nil, err
	}
	if !req.Generated {
		// Sealed before the request exists, so no request ever points at a
		// password that was not stored.
		if _, err := s.repo.storePassword(ctx, req.ID, sub.Password, o.Policy.ApprovalTTL+s.lease*2); err != nil {
			return nil, errorf("bot.Submit", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
		}
	}
	if err := s.repo.create(ctx, req); err != nil {
		return nil, errorf("bot.Submit", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	if err := s.record(ctx, "request.submitted", audit.OK, req, sub.Requester.Key(), map[string]string{
		"ticket": req.TicketID, "temporary": boolStr(req.Temporary), "generated": boolStr(req.Generated), "reason": req.Reason,
	}); err != nil {
		return nil, err
	}
	s.reqLog(req).Info().Msg("request submitted")
	switch {
	case breakGlass:
		return s.autoApprove(ctx, req, "break_glass:"+sub.Requester.Key(), acct)
	case o.Policy.RequireApproval:
		return s.askApproval(ctx, o, req)
	}
	return s.autoApprove(ctx, req, "policy:no_approval_required", acct)
}

// validate fills req.Account and answers per field.
func (s *Service) validate(ctx context.Context, o *Org, sub Submission, req *Request) (identity.Account, error) {
	name := strings.TrimSpace(sub.Account)
	if name == "" {
		return identity.Account{}, invalid(FieldAccount, "Pick the account to unlock.")
	}
	if len(req.Reason) < 5 {
		return identity.Account{}, invalid(FieldReason, "Say why, and how you verified the caller (at least a few words).")
	}
	if len(req.Reason) > maxReasonLen {
		return identity.Account{}, invalid(FieldReason, "Keep the reason under %d characters.", maxReasonLen)
	}
	acct, err := o.Directory.Lookup(ctx, name)
	switch {
	case errors.Is(err, identity.ErrNotFound):
		return identity.Account{}, invalid(FieldAccount, "No account %q in %s. Pick one from the list.", truncate(name, 40), o.Name)
	case errors.Is(err, identity.ErrAmbiguous):
		return identity.Account{}, invalid(FieldAccount, "%q matches more than one account. Pick one from the list.", truncate(name, 40))
	case identity.KindOf(err) == identity.KindInvalid:
		return identity.Account{}, invalid(FieldAccount, "%s", SafeMessage(err))
	case err != nil:
		return identity.Account{}, errorf("bot.Submit", KindUnavailable, err, "%s's directory did not answer: %s", o.Name, SafeMessage(err))
	}
	if r := guard(acct); r != nil {
		return identity.Account{}, invalid(FieldAccount, "%s", r.Message)
	}
	req.Account = AccountRef{ID: acct.ID, Username: acct.Username, DisplayName: acct.DisplayName, WasLocked: acct.Lock.Locked}
	if !sub.Password.IsZero() {
		if msg := CheckPassword(sub.Password, o.Policy, req.Account); msg != "" {
			return identity.Account{}, invalid(FieldPassword, "%s", msg)
		}
	}
	if req.TicketID != "" {
		t, err := o.Tickets.Get(ctx, req.TicketID)
		switch {
		case errors.Is(err, psa.ErrNotFound):
			return identity.Account{}, invalid(FieldTicket, "Ticket %s was not found. Pick one from the list, or leave it empty to create a new one.", truncate(req.TicketID, 20))
		case err != nil:
			return identity.Account{}, errorf("bot.Submit", KindUnavailable, err, "%s's ticket system did not answer: %s", o.Name, SafeMessage(err))
		case t.CompanyID != o.PSACompanyID:
			return identity.Account{}, invalid(FieldTicket, "Ticket %s belongs to another organization. Pick a ticket of %s.", truncate(req.TicketID, 20), o.Name)
		case t.Closed:
			return identity.Account{}, invalid(FieldTicket, "Ticket %s is closed. Pick an open ticket, or leave it empty to create a new one.", truncate(req.TicketID, 20))
		}
	}
	n, err := s.resetsToday(ctx, o, req.Account.Username)
	if err != nil {
		return identity.Account{}, errorf("bot.Submit", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	if n >= o.Policy.MaxResetsPerAccountPerDay {
		return identity.Account{}, invalid(FieldAccount, "%s was reset %d times in the last 24 hours, the limit for %s. Escalate to the organization's IT contact.", req.Account.Username, n, o.Name)
	}
	return acct, nil
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
