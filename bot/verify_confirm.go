package bot

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// The chat confirmation: the bot asks the account's owner, in a DM on the
// request's platform, whether they asked for this. The owner is found by
// the mail (then UPN) the directory holds, never by anything the caller
// says, and only the person the DM went to can answer. Yes passes the
// method; No stops the request for good and alerts the approvers (someone
// is on the phone pretending to be the owner); silence until the timeout
// counts as a failed attempt, like a wrong code.

// defaultConfirmTimeout is how long the owner has to answer.
const defaultConfirmTimeout = 10 * time.Minute

// PendingConfirm is a question asked and not yet answered: to whom (bare:
// platform, tenant, id) and until when.
type PendingConfirm struct {
	Owner    Actor     `json:"owner"`
	Deadline time.Time `json:"deadline"`
}

func (p VerifyPolicy) confirmTimeout() time.Duration {
	if p.ConfirmTimeout <= 0 {
		return defaultConfirmTimeout
	}
	return p.ConfirmTimeout
}

// confirmDue: r's question is unanswered past its deadline at now.
func confirmDue(r *Request, now time.Time) bool {
	return awaitingVerification(r) && r.Verify.Confirm != nil && now.After(r.Verify.Confirm.Deadline)
}

// askOwner finds the owner and sends the question. It runs after the
// technician's click is acked; what goes wrong is told to them there.
func (s *Service) askOwner(ctx context.Context, id string, who Actor, where string) {
	const op = "bot.askOwner"
	ctx, cancel := context.WithTimeout(ctx, codeSendTimeout)
	defer cancel()
	r, o, err := s.verifyTarget(ctx, op, id, who, VerifyChatConfirm)
	if err != nil {
		s.whisper(ctx, who, where, UserSentence(err))
		return
	}
	if c := r.Verify.Confirm; c != nil && !s.now().After(c.Deadline) {
		s.whisper(ctx, who, where, "The owner was already asked; their answer will show on the approval card.")
		return
	}
	owner, refusal := s.findOwner(ctx, o, r)
	if refusal != "" {
		s.whisper(ctx, who, where, refusal)
		return
	}
	pc := &PendingConfirm{Owner: Actor{Platform: owner.Platform, Tenant: owner.Tenant, ID: owner.ID}, Deadline: s.now().Add(o.Policy.Verify.confirmTimeout())}
	r, err = s.update(ctx, op, id, func(r *Request) error {
		if err := checkVerifier(o, r, who, VerifyChatConfirm); err != nil {
			return err
		}
		r.Verify.Confirm = pc
		return nil
	})
	if err != nil {
		s.whisper(ctx, who, where, UserSentence(err))
		return
	}
	detail := map[string]string{"method": string(VerifyChatConfirm), "timeout": o.Policy.Verify.confirmTimeout().String()}
	if err := s.notifier(r).Notify(ctx, pc.Owner, confirmCard(o, r)); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("chat confirmation not sent")
		_, _ = s.update(ctx, op, id, func(r *Request) error { r.Verify.Confirm = nil; return nil })
		_ = s.recordAfter(ctx, "verify.confirm_sent", audit.Failed, r, who.Key(), detail)
		s.whisper(ctx, who, where, "The question could not be sent in chat. Try again in a minute, or verify the caller another way.")
		return
	}
	_ = s.recordAfter(ctx, "verify.confirm_sent", audit.OK, r, who.Key(), detail)
}

// findOwner is the chat user holding the account's directory mail or UPN,
// read just now, or the sentence that says why there is none.
func (s *Service) findOwner(ctx context.Context, o *Org, r *Request) (Actor, string) {
	f, ok := s.notifier(r).(PersonFinder)
	if !ok {
		return Actor{}, "This chat platform cannot find the account's owner. Verify the caller another way."
	}
	acct, err := o.Directory.Lookup(ctx, r.Account.ID)
	if err != nil {
		return Actor{}, r.Account.Username + " could not be read from the directory: " + SafeMessage(err)
	}
	for _, addr := range []string{acct.Mail, acct.UPN} {
		if addr = strings.TrimSpace(addr); addr == "" {
			continue
		}
		a, found, err := f.FindByEmail(ctx, addr)
		if err != nil {
			s.reqLog(r).Warn().Err(err).Msg("chat confirmation: user lookup failed")
			return Actor{}, "The chat platform did not answer. Try again in a minute, or verify the caller another way."
		}
		if found {
			return a, ""
		}
	}
	return Actor{}, "Nobody in this chat workspace has " + r.Account.Username + "'s directory e-mail, so they cannot be asked. Verify the caller another way."
}

// clickConfirm answers the owner's Yes or No.
func (s *Service) clickConfirm(ctx context.Context, c Click) Answer {
	const op = "bot.clickConfirm"
	yes := c.Action == ActionConfirmYes
	var o *Org
	r, err := s.update(ctx, op, c.RequestID, func(r *Request) (err error) {
		if o, err = s.orgOf(op, r); err != nil {
			return err
		}
		pc := r.Verify.Confirm
		switch {
		case pc == nil || !awaitingVerification(r):
			return errorf(op, KindConflict, nil, "This question is closed, so your answer changed nothing. If you did not ask for it, %s", ifNotYou(o))
		case !c.Actor.Same(pc.Owner):
			return errorf(op, KindForbidden, nil, "Only the person this question was sent to can answer it.")
		case s.now().After(pc.Deadline):
			return errorf(op, KindConflict, nil, "This question expired, so your answer changed nothing. If you did not ask for it, %s", ifNotYou(o))
		}
		r.Verify.Confirm = nil
		if yes {
			if !slices.Contains(r.Verify.Passed, VerifyChatConfirm) {
				r.Verify.Passed = append(r.Verify.Passed, VerifyChatConfirm)
			}
			return nil
		}
		r.Verify.Denied = true
		if err := r.move(StateFailed, s.now()); err != nil {
			return err
		}
		r.Failure, r.Retryable = "The account's owner said they did not ask for this, so the request was stopped and nothing was changed. Check who is calling before you submit it again.", false
		return nil
	})
	if err != nil {
		s.clickLog(c.Actor, c.Action, c.RequestID).Info().Err(err).Msg("confirmation answer refused")
		return Answer{Tell: UserSentence(err)}
	}
	if yes {
		if err := s.verified(ctx, o, r, VerifyChatConfirm, c.Actor); err != nil {
			return Answer{Tell: UserSentence(err)}
		}
		s.tell(ctx, r, r.Requester, verifiedCard(o, r))
		return Answer{Tell: "Thank you. The service desk may go ahead."}
	}
	_ = s.recordAfter(ctx, "verify.confirm_denied", audit.Refused, r, c.Actor.Key(), map[string]string{"method": string(VerifyChatConfirm)})
	s.reqLog(r).Warn().Msg("the account's owner denied asking; request stopped")
	s.alertStopped(ctx, o, r, deniedAlertCard(r))
	return Answer{Tell: "Thank you. The request was stopped, nothing was changed, and the service desk was alerted."}
}

// confirmTimedOut is the sweeper's move for an unanswered question: it
// counts as a failed attempt (the third locks the request).
func (s *Service) confirmTimedOut(ctx context.Context, r *Request) {
	const op = "bot.confirmTimedOut"
	var o *Org
	r, err := s.update(ctx, op, r.ID, func(r *Request) (err error) {
		if o, err = s.orgOf(op, r); err != nil {
			return err
		}
		if !confirmDue(r, s.now()) {
			return errorf(op, KindConflict, nil, "The question was answered.")
		}
		r.Verify.Confirm = nil
		s.countFailure(r)
		return nil
	})
	if err != nil {
		return
	}
	detail := map[string]string{"method": string(VerifyChatConfirm), "why": "confirm_timeout", "failures": strconv.Itoa(r.Verify.Failures)}
	if r.Verify.Locked {
		_ = s.recordAfter(ctx, "verify.locked", audit.Refused, r, "system", detail)
		s.alertStopped(ctx, o, r, lockedAlertCard(r))
		return
	}
	_ = s.recordAfter(ctx, "verify.failed", audit.Failed, r, "system", detail)
	s.updateCard(ctx, r)
	s.tell(ctx, r, r.Requester, confirmSilentCard(o, r))
}
