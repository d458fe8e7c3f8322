package bot

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// Verifying the person: before a reset may run, the org can require that
// the caller proved to the technician they are the account's owner (a code
// sent to an address the directory holds, facts only the owner knows).
// A technician talked into resetting someone else's account is the attack
// this stops (SECURITY.md, social engineering). Where the code goes and
// what the facts must be comes from the directory, never from the form;
// the expected values are never shown, logged, audited or stored.

// VerifyMethod is one way of verifying the caller.
type VerifyMethod string

const (
	VerifyEmailCode    VerifyMethod = "email_code"
	VerifyPersonalData VerifyMethod = "personal_data"
	VerifySMSCode      VerifyMethod = "sms_code"
	VerifyChatConfirm  VerifyMethod = "chat_confirm"
)

// VerifyPolicy is an org's policy.verify.
type VerifyPolicy struct {
	// Required must all pass before the request may be approved (or, with
	// no approval step, run); Offered may be used besides them, and are
	// noted on the card and in the ticket.
	Required []VerifyMethod
	Offered  []VerifyMethod
	// EmailAttribute is the directory attribute the e-mail code goes to
	// ("mail", the default, or e.g. "otherMailbox").
	EmailAttribute string
	// PersonalData are the facts the technician asks the caller for.
	PersonalData []PersonalFact
	// SMSAttribute is the directory attribute the SMS code goes to
	// ("mobile", the default).
	SMSAttribute string
	// ConfirmTimeout is how long the owner has to answer the chat
	// confirmation (default 10 minutes); silence is not a yes.
	ConfirmTimeout time.Duration
}

// PersonalFact is one question of the personal-data check: the label the
// technician reads and the directory attribute it is compared with.
// LastDigits > 0 compares only that many last digits ("last 4 digits of
// your mobile").
type PersonalFact struct {
	Label      string
	Attribute  string
	LastDigits int
}

// On reports whether the org verifies callers at all.
func (p VerifyPolicy) On() bool { return len(p.Methods()) > 0 }

// Methods lists every method the technician may use: the required ones
// first, then the others offered, each once.
func (p VerifyPolicy) Methods() []VerifyMethod {
	var out []VerifyMethod
	for _, m := range append(slices.Clone(p.Required), p.Offered...) {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// Attributes are the directory attributes the policy reads (for the
// directory's config): the e-mail attribute when not "mail", and each
// personal fact's.
func (p VerifyPolicy) Attributes() []string {
	var out []string
	if a := p.EmailAttribute; a != "" && a != "mail" {
		out = append(out, a)
	}
	if slices.Contains(p.Methods(), VerifySMSCode) {
		out = append(out, p.smsAttribute())
	}
	for _, f := range p.PersonalData {
		if !slices.Contains(out, f.Attribute) {
			out = append(out, f.Attribute)
		}
	}
	return out
}

// maxVerifyFailures: the third wrong answer locks the request (ServiceNow's
// three verification attempts). Code and personal data count together.
const maxVerifyFailures = 3

// Verification is what a request's caller proved so far. It is stored with
// the request (sealed with it); a pending code is there only as a keyed
// hash.
type Verification struct {
	Passed   []VerifyMethod `json:"passed,omitempty"`
	Failures int            `json:"failures,omitempty"`
	Locked   bool           `json:"locked,omitempty"`
	Code     *PendingCode   `json:"code,omitempty"`
	// Confirm is a chat confirmation asked and not yet answered.
	Confirm *PendingConfirm `json:"confirm,omitempty"`
	// Denied: the account's owner answered No (verify_confirm.go).
	Denied bool `json:"denied,omitempty"`
}

// PendingCode is a one-time code sent and not yet typed back.
type PendingCode struct {
	Method  VerifyMethod `json:"method"`
	Salt    []byte       `json:"salt"`
	MAC     []byte       `json:"mac"`
	Expires time.Time    `json:"expires"`
	// To is the address it went to, masked (a***@example.com), for the
	// form's hint.
	To string `json:"to"`
}

// missingVerification lists the org's required methods r has not passed.
func missingVerification(o *Org, r *Request) []VerifyMethod {
	var out []VerifyMethod
	for _, m := range requiredMethods(o, r) {
		if !slices.Contains(r.Verify.Passed, m) {
			out = append(out, m)
		}
	}
	return out
}

// awaitingVerification: the request is waiting for its caller to be
// verified (and possibly for an approver too).
func awaitingVerification(r *Request) bool {
	return (r.State == StatePendingApproval || r.State == StateVerifying) && !r.Verify.Locked
}

// unverifiedRefusal is why an approval must wait, or "".
func unverifiedRefusal(o *Org, r *Request) string {
	missing := missingVerification(o, r)
	if len(missing) == 0 {
		return ""
	}
	return "The caller is not verified yet (" + methodList(missing) + "). Ask the technician to verify them first, then approve."
}

func methodList(ms []VerifyMethod) string {
	var out []string
	for _, m := range ms {
		out = append(out, methodLabel(m))
	}
	return strings.Join(out, ", ")
}

func methodLabel(m VerifyMethod) string {
	switch m {
	case VerifyEmailCode:
		return "e-mail code"
	case VerifyPersonalData:
		return "personal data"
	case VerifySMSCode:
		return "SMS code"
	case VerifyChatConfirm:
		return "chat confirmation"
	}
	return string(m)
}

// verifyStatus is the approval card's and the ticket note's line.
func verifyStatus(o *Org, r *Request) string {
	switch {
	case r.Verify.Denied:
		return "failed (the account's owner said they did not ask; request stopped)"
	case r.Verify.Locked:
		return "failed (" + strconv.Itoa(maxVerifyFailures) + " wrong answers; request locked)"
	case len(missingVerification(o, r)) > 0:
		s := "pending (required: " + methodList(missingVerification(o, r)) + ")"
		if len(r.Verify.Passed) > 0 {
			s += "; passed: " + methodList(r.Verify.Passed)
		}
		return s
	case len(r.Verify.Passed) > 0:
		return "passed (" + methodList(r.Verify.Passed) + ")"
	}
	return "not done"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// startVerification sends a new request that must wait for its caller's
// verification on: the technician gets the Verify actions, and with no
// approval step the request waits in StateVerifying.
func (s *Service) startVerification(ctx context.Context, o *Org, r *Request) (*Request, error) {
	if !o.Policy.RequireApproval {
		if err := r.move(StateVerifying, s.now()); err != nil {
			return nil, err
		}
		if err := s.repo.save(ctx, r); err != nil {
			return nil, errorf("bot.Submit", KindUnavailable, err, storeDown)
		}
	}
	s.tell(ctx, r, r.Requester, verifyCard(o, r))
	return r, nil
}

// verified records a passed method; once nothing required is missing and
// there is no approver to wait for, the reset runs.
func (s *Service) verified(ctx context.Context, o *Org, r *Request, m VerifyMethod, who Actor) error {
	_ = s.recordAfter(ctx, "verify.passed", audit.OK, r, who.Key(), map[string]string{"method": string(m)})
	s.reqLog(r).Info().Str("method", string(m)).Msg("caller verified")
	s.updateCard(ctx, r)
	if r.State != StateVerifying || len(missingVerification(o, r)) > 0 {
		return nil
	}
	if err := r.move(StateApproved, s.now()); err != nil {
		return err
	}
	r.ApprovedAt = s.now()
	if err := s.repo.save(ctx, r); err != nil {
		return errorf("bot.verified", KindUnavailable, err, storeDown)
	}
	if err := s.record(ctx, "request.approved", audit.OK, r, "policy:verified", nil); err != nil {
		s.unapprove(ctx, r)
		return err
	}
	id := r.ID
	s.Detach(func(ctx context.Context) { _, _ = s.Execute(ctx, id) })
	return nil
}

// countFailure counts a wrong answer on r (inside an update); the last
// allowed one locks the request: it fails for good and is never retried.
// It reports whether it locked.
func (s *Service) countFailure(r *Request) bool {
	r.Verify.Failures++
	r.Verify.Code = nil
	if r.Verify.Failures < maxVerifyFailures {
		return false
	}
	r.Verify.Locked = true
	_ = r.move(StateFailed, s.now()) // from pending_approval or verifying, both allowed
	r.Failure, r.Retryable = "The caller failed verification "+strconv.Itoa(maxVerifyFailures)+" times, so the request is locked and nothing was changed. Submit a new request only once you are sure who is calling.", false
	return true
}

// reportFailure audits a wrong answer saved by countFailure and returns
// the answer for the technician's form: how many tries are left, or, once
// locked, the card that replaces the form (everyone else is told too).
func (s *Service) reportFailure(ctx context.Context, o *Org, r *Request, m VerifyMethod, who Actor, why string) FormAnswer {
	detail := map[string]string{"method": string(m), "why": why, "failures": strconv.Itoa(r.Verify.Failures)}
	if !r.Verify.Locked {
		_ = s.recordAfter(ctx, "verify.failed", audit.Failed, r, who.Key(), detail)
		left := maxVerifyFailures - r.Verify.Failures
		return FormAnswer{Errors: map[FieldID]string{verifyField(m): "That does not match. " + plural(left, "try", "tries") + " left before the request is locked."}}
	}
	_ = s.recordAfter(ctx, "verify.locked", audit.Refused, r, who.Key(), detail)
	s.reqLog(r).Warn().Str("method", string(m)).Msg("verification failed too often; request locked")
	s.alertStopped(ctx, o, r, lockedAlertCard(r))
	c := failedCard(r)
	return FormAnswer{Replace: &c}
}

// alertStopped tells everyone of a request that verification stopped
// (locked, or denied by the owner) once it is saved: the approval channel
// (in the card's thread, or in a message of its own) and the technician.
func (s *Service) alertStopped(ctx context.Context, o *Org, r *Request, alert Card) {
	_ = s.repo.dropPassword(ctx, r.ID)
	s.updateCard(ctx, r)
	if r.ApprovalMsg != nil {
		s.thread(ctx, r, alert)
	} else if n, ch := s.notifier(r), o.ApprovalChannel[r.Platform]; n != nil && ch != "" {
		if _, err := n.PostApproval(ctx, ch, alert); err != nil {
			s.reqLog(r).Warn().Err(err).Msg("could not alert the approval channel of a stopped request")
		}
	}
	s.tell(ctx, r, r.Requester, alert)
}

// clickVerify answers a Verify button: the form opens at once (a
// platform's trigger lasts seconds) and an e-mail code is sent after the
// ack. Who may verify is checked here and again when the answer comes.
func (s *Service) clickVerify(ctx context.Context, c Click) Answer {
	m := map[ActionID]VerifyMethod{ActionVerifyEmail: VerifyEmailCode, ActionVerifyFacts: VerifyPersonalData,
		ActionVerifySMS: VerifySMSCode, ActionVerifyConfirm: VerifyChatConfirm}[c.Action]
	who := s.complete(ctx, c.Actor)
	r, o, err := s.verifyTarget(ctx, "bot.clickVerify", c.RequestID, who, m)
	if err != nil {
		s.clickLog(c.Actor, c.Action, c.RequestID).Info().Err(err).Msg("verification refused")
		return Answer{Tell: UserSentence(err)}
	}
	switch m {
	case VerifyPersonalData:
		f := factsForm(o, r)
		return Answer{Form: &f}
	case VerifyChatConfirm:
		s.Detach(func(ctx context.Context) { s.askOwner(ctx, r.ID, who, c.Where) })
		return Answer{Tell: "Asking " + r.Account.Label() + " in chat whether they asked for this. The approval card shows the answer."}
	}
	s.Detach(func(ctx context.Context) { s.sendCode(ctx, r.ID, who, c.Where, m) })
	f := codeForm(r, m)
	return Answer{Form: &f}
}
