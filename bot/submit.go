package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
)

// Submission is the filled-in form as the adapter read it.
type Submission struct {
	Requester Actor
	OrgID     string
	Mode      Mode            // empty = ModeReset
	Account   string          // username from the picker (or typed)
	TicketID  string          // empty = create a new ticket
	Password  identity.Secret // empty = generate (never set with ModeUnlock)
	Temporary bool
	NoteToPSA bool
	Reason    string
	Origin    string // channel the command came from
	// Flags are operator overrides (the CLI's --force-no-limit), recorded
	// in the audit trail with the submission.
	Flags []string
	// selfService: the requester asks for their own account, which
	// SelfService found from their chat profile (selfservice.go); never
	// set from a form.
	selfService bool
}

const maxReasonLen = 500

// Submit validates a submission and starts the request. Errors meant for a
// form field come back as *ValidationError; other errors carry a safe
// sentence. A refused submission leaves no request behind, only an audit
// record of the refusal naming the account as typed and, once the
// directory resolved it, its DN.
func (s *Service) Submit(ctx context.Context, sub Submission) (*Request, error) {
	return s.submit(ctx, sub, false)
}

// BreakGlass runs a reset for an operator at a terminal (`unlockbot reset`).
// Whoever can run it holds the config and its secrets already, so chat roles,
// the approval step and the per-technician limits do not apply; the guard,
// the password policy, the per-account daily limit and the audit trail
// all do. Nobody is on the phone to verify: the operator vouches for the
// caller, and the trail names them (break_glass:...).
func (s *Service) BreakGlass(ctx context.Context, sub Submission) (*Request, error) {
	sub.Requester.Platform = "cli"
	return s.submit(ctx, sub, true)
}

func (s *Service) submit(ctx context.Context, sub Submission, breakGlass bool) (*Request, error) {
	typed := strings.TrimSpace(sub.Account)
	o, err := s.techOrg("bot.Submit", sub.Requester, sub.OrgID)
	if breakGlass {
		o, err = s.orgs[sub.OrgID], nil
		if o == nil {
			err = errorf("bot.BreakGlass", KindNotFound, nil, "There is no organization %q in the config.", sub.OrgID)
		}
	}
	if sub.selfService {
		o, err = s.orgs[sub.OrgID], nil // picked and checked by SelfService
	}
	if err != nil {
		s.refused(ctx, nil, sub, typed, "", "not_technician", err)
		return nil, err
	}
	mode := sub.Mode
	if mode == "" {
		mode = ModeReset
	}
	req := &Request{
		ID: newID(), OrgID: o.ID, Platform: sub.Requester.Platform, Requester: sub.Requester, Mode: mode,
		TicketID: strings.TrimSpace(sub.TicketID), Temporary: sub.Temporary, NoteToPSA: sub.NoteToPSA,
		Reason: strings.TrimSpace(sub.Reason), Origin: sub.Origin, Generated: sub.Password.IsZero(),
		State: StateDraft, SelfService: sub.selfService,
	}
	if mode == ModeUnlock {
		// Nothing about a password applies: none is set, shown or noted.
		req.Generated, req.Temporary, req.NoteToPSA = false, false, false
	}
	// A request nobody approves (break glass, or an org that asks no one)
	// goes straight on to the directory: its submission's record is
	// flushed while validate reads the account, and the write waits for
	// that flush instead of one of its own (execute).
	by := autoApproval(o, req, sub, breakGlass)
	var appended, submitted func() error
	var laid func() laidDown
	if by != "" {
		appended, submitted = s.submittedSoon(ctx, req, sub, typed, by)
		laid = s.layDown(ctx, o, req, sub.Password)
	}
	acct, verr := s.validate(ctx, o, sub, req, by != "")
	if appended != nil {
		// In the trail before anything else of the request (a refusal,
		// the approval); a trail that did not take it refuses the reset
		// before anything is created or changed.
		if err := appended(); err != nil {
			s.unreserve(ctx, o, req)
			s.takeUp(ctx, req, laid)
			return nil, err
		}
	}
	if verr != nil { // validate gave back any place it took
		s.takeUp(ctx, req, laid)
		s.refused(ctx, req, sub, typed, acct.ID, refusalWhy(verr), verr)
		return nil, verr
	}
	if !breakGlass {
		if why, err := s.reserveTechnician(ctx, req); err != nil {
			s.unreserve(ctx, o, req)
			s.takeUp(ctx, req, laid)
			s.refused(ctx, req, sub, typed, acct.ID, why, err)
			return nil, err
		}
	}
	r, err := s.start(ctx, o, req, sub, acct, breakGlass, by, submitted, laid)
	if err != nil && r == nil {
		_ = s.repo.st.Release(ctx, openKey(req.Requester), req.ID)
		s.unreserve(ctx, o, req)
	}
	return r, err
}

// unreserve gives back the place under the account's daily limit that
// validate took for a request that will not run (best effort: a place not
// given back counts towards fewer resets, never more).
func (s *Service) unreserve(ctx context.Context, o *Org, req *Request) {
	if req.Steps.Reserved {
		_ = s.repo.st.Release(ctx, limitKey(o, req.Account.Username), req.ID)
	}
}

// start records a validated request and sends it on: to an approver, or
// straight to the reset service. laid, for a request that runs at once, is
// its deadline and sealed password, written while its account was read.
func (s *Service) start(ctx context.Context, o *Org, req *Request, sub Submission, acct identity.Account, breakGlass bool, by string, submitted func() error, laid func() laidDown) (_ *Request, err error) {
	// What was laid down is taken up only for a request whose create was
	// never sent: a create that failed may still have written the record
	// (a reply lost in a timeout), which then needs both its deadline
	// (the sweeper finds it) and its password (a takeover sets it); left
	// behind otherwise, a deadline finds nothing to do and a password
	// expires.
	sent := false
	defer func() {
		if err != nil && !sent {
			s.takeUp(ctx, req, laid)
		}
	}()
	now := s.now()
	req.CreatedAt, req.UpdatedAt = now, now
	req.ExpiresAt = now.Add(o.Policy.ApprovalTTL)
	if err := req.move(StateSubmitted, now); err != nil {
		return nil, err
	}
	// An automatic approval, and the executor's claim of it, are in the
	// record from its first version: a save of each would be a round trip
	// more before the reset, and nothing can read the record before it
	// exists.
	if by != "" {
		if err := req.move(StateApproved, now); err != nil {
			return nil, err
		}
		req.ApprovedAt = now
		if err := req.move(StateExecuting, now); err != nil {
			return nil, err
		}
		req.Attempts, req.LeaseUntil = 1, now.Add(s.lease)
		armWrite(req, acct)
	}
	// Sealed before the request exists (while its deadline is written, or
	// for one that runs at once, while its account was read), so no
	// request ever points at a password that was not stored.
	var sealing func() error
	var sealed identity.Secret
	switch {
	case laid != nil:
		l := laid()
		if l.err != nil {
			return nil, errorf("bot.Submit", KindUnavailable, l.err, "The state store is not answering. Try again in a minute.")
		}
		req.Due, sealed = l.due, l.sealed
	case req.setsPassword() && !req.Generated:
		sealing = func() (err error) {
			sealed, err = s.repo.storePassword(ctx, req.ID, sub.Password, s.pendingTTL(o))
			return err
		}
	}
	sent = true
	if err := s.repo.create(ctx, req, sealing); err != nil {
		return nil, errorf("bot.Submit", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	req.sealed = sealed
	if submitted == nil {
		if err := s.recordAfter(ctx, "request.submitted", audit.OK, req, sub.Requester.Key(), submittedDetail(req, sub)); err != nil {
			return nil, err
		}
	}
	s.reqLog(req).Info().Str("mode", string(req.Mode)).Msg("request submitted")
	if !breakGlass {
		s.watchBurst(ctx, o, req)
	}
	switch {
	case req.SelfService:
		return s.startSelfService(ctx, o, req)
	case by != "":
		return s.autoApprove(ctx, o, req, by, acct, submitted)
	case o.Policy.RequireApproval && o.Policy.Verify.On():
		r, err := s.askApproval(ctx, o, req)
		if err == nil {
			s.tell(ctx, r, r.Requester, verifyCard(o, r))
		}
		return r, err
	case o.Policy.RequireApproval:
		return s.askApproval(ctx, o, req)
	default: // autoApproval leaves only the requester's own verification
		return s.startVerification(ctx, o, req)
	}
}

func submittedDetail(req *Request, sub Submission) map[string]string {
	detail := map[string]string{
		"mode": string(req.Mode), "ticket": req.TicketID, "temporary": boolStr(req.Temporary),
		"generated": boolStr(req.Generated), "reason": req.Reason,
	}
	if len(sub.Flags) > 0 {
		detail["flags"] = strings.Join(sub.Flags, ",")
	}
	return detail
}

// submittedSoon appends the submission of a request nobody approves
// while its account is read (so it names the account as typed; the
// approval and every later event carry the DN) and flushes it in the
// background: it is the trail's durable record that the directory may
// change, and the reset's write waits for it (flushed). appended waits
// for it to be in the trail, which the caller does before it records
// anything else of the request. The detail says who approves
// (approval). A sink that cannot flush on its own takes the record the
// usual way, after validate (nil, nil).
func (s *Service) submittedSoon(ctx context.Context, req *Request, sub Submission, typed, by string) (appended, flushed func() error) {
	if _, ok := s.audit.(audit.Syncer); !ok {
		return nil, nil
	}
	detail := submittedDetail(req, sub)
	detail["approval"] = by
	e := s.event("request.submitted", audit.OK, req, sub.Requester.Key(), detail) // built now: validate changes req
	e.Target = Truncate(typed, maxQueryLen)
	var err error
	var flush func() error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err = s.append(ctx, e); err != nil {
			err = auditFailed(err)
			return
		}
		flush = s.flushSoon(ctx, "request.submitted")
	}()
	appended = func() error { <-done; return err }
	flushed = func() error {
		if err := appended(); err != nil {
			return err
		}
		return flush()
	}
	return appended, flushed
}

// autoApproval names who approves a request that asks nobody (break glass,
// or an org that requires neither an approval nor a verification), or ""
// when a person or the requester's verification must act first.
func autoApproval(o *Org, req *Request, sub Submission, breakGlass bool) string {
	switch {
	case req.SelfService:
		return ""
	case breakGlass:
		return "break_glass:" + sub.Requester.Key()
	case o.Policy.RequireApproval || len(o.Policy.Verify.Required) > 0:
		return ""
	}
	return "policy:no_approval_required"
}

// refused audits a submission that will not become a request: who, which
// org, what was typed and, when the directory resolved it, the DN.
func (s *Service) refused(ctx context.Context, req *Request, sub Submission, typed, dn, why string, err error) {
	e := audit.Event{Time: s.now().UTC(), Type: "request.refused", Outcome: audit.Refused, Actor: sub.Requester.Key(),
		ActorName: sub.Requester.Name, Platform: sub.Requester.Platform, Org: sub.OrgID, Target: typed, TargetDN: dn, Detail: map[string]string{"why": why, "message": SafeMessage(err)}}
	if req != nil {
		e.RequestID, e.Detail["mode"] = req.ID, string(req.Mode)
	}
	if sub.selfService {
		e.Detail["origin"] = originSelfService
	}
	_ = s.append(ctx, e)
}

func refusalWhy(err error) string {
	var v *ValidationError
	if errors.As(err, &v) {
		if v.Why != "" {
			return v.Why
		}
		for _, f := range formOrder {
			if _, ok := v.Fields[f]; ok {
				return "invalid_" + string(f)
			}
		}
	}
	return "invalid"
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
