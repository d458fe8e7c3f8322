package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// Self-service: a locked-out person, still signed in to chat on their
// phone, unlocks their own account. Who they are comes from the chat
// platform's profile (its e-mail or UPN), mapped to exactly one directory
// account; never from what they type. They must always pass the e-mail
// code (sent to the directory's address, so a hijacked chat account alone
// is not enough), and everything a technician's request meets still
// applies: the guard, the intentional lock, the daily limit, approval as
// the org says, the audit trail (origin self_service).

// SelfService is an org's policy.self_service.
type SelfService struct {
	Enabled bool
	// AllowReset lets the person also get a new (generated) password;
	// without it self-service only unlocks.
	AllowReset bool
	// RequireApproval overrides the org's require_approval for
	// self-service requests; nil inherits it.
	RequireApproval *bool
}

const originSelfService = "self_service"

// selfServiceReason is the request's reason: nobody typed one.
const selfServiceReason = "Self-service: the account's owner asked, verified by e-mail code."

// selfResetWord is "/unlock reset": ask for a new password too.
const selfResetWord = "reset"

// selfServiceOn reports whether o offers self-service, and can honour it:
// the e-mail code must be one of its methods.
func selfServiceOn(o *Org) bool {
	return o.Policy.SelfService.Enabled && slices.Contains(o.Policy.Verify.Methods(), VerifyEmailCode)
}

// selfApproval is whether a self-service request in o waits for an approver.
func selfApproval(o *Org) bool {
	if p := o.Policy.SelfService.RequireApproval; p != nil {
		return *p
	}
	return o.Policy.RequireApproval
}

// requiredMethods are the methods r must pass: the org's, and for a
// self-service request the e-mail code as well.
func requiredMethods(o *Org, r *Request) []VerifyMethod {
	req := o.Policy.Verify.Required
	if r.SelfService && !slices.Contains(req, VerifyEmailCode) {
		req = append(slices.Clone(req), VerifyEmailCode)
	}
	return req
}

// withOrigin marks an event's detail as self-service.
func withOrigin(detail map[string]string) map[string]string {
	out := make(map[string]string, len(detail)+1)
	for k, v := range detail {
		out[k] = v
	}
	out["origin"] = originSelfService
	return out
}

// selfServiceOrgs are the orgs a person may unlock themselves in: self-
// service on, and bound to the person's workspace or tenant (some role
// holder of theirs is named there).
func (s *Service) selfServiceOrgs(a Actor) []*Org {
	prefix := a.qualify("")
	var out []*Org
	for _, o := range s.orgList {
		if !selfServiceOn(o) {
			continue
		}
		for _, p := range slices.Concat(o.Technicians, o.Approvers, o.Admins) {
			if strings.HasPrefix(p, prefix) {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// SelfService answers /unlock from someone who is not a technician
// anywhere: handled is false for a technician (theirs is the request
// form) and where no org offers self-service (NewForm refuses them as
// before). The reply is one sentence for where they typed; the next step
// (the verification buttons) comes privately.
func (s *Service) SelfService(ctx context.Context, a Actor, channel, text string) (reply string, handled bool) {
	if len(s.selfServiceOrgs(a)) == 0 {
		return "", false
	}
	// Complete first: a technician by group membership is one too.
	if a = s.complete(ctx, a); len(s.OrgsFor(a)) > 0 {
		return "", false
	}
	r, err := s.selfServe(ctx, a, channel, strings.TrimSpace(text))
	if err != nil {
		return UserSentence(err), true
	}
	if s.tell(ctx, r, a, selfServiceCard(s.orgs[r.OrgID], r)) != "sent" {
		return "I could not message you privately. Open a direct message with unlockbot, then run /unlock again.", true
	}
	return "Check your direct messages with unlockbot: press Send e-mail code and type the code from your e-mail.", true
}

// selfServe finds the person's account, checks it and starts the request.
func (s *Service) selfServe(ctx context.Context, a Actor, channel, text string) (*Request, error) {
	const op = "bot.SelfService"
	mode, typed := ModeUnlock, text
	if strings.EqualFold(text, selfResetWord) {
		mode, typed = ModeReset, ""
	}
	sub := Submission{Requester: a, Mode: mode, Reason: selfServiceReason, Origin: channel, Temporary: true, selfService: true}
	refuse := func(o *Org, why, dn string, err error) (*Request, error) {
		if o != nil {
			sub.OrgID = o.ID
		}
		s.refused(ctx, nil, sub, text, dn, why, err)
		return nil, err
	}
	o, acct, why, err := s.ownAccount(ctx, a)
	if err != nil {
		return refuse(o, why, "", err)
	}
	sub.OrgID, sub.Account = o.ID, acct.Username
	if mode == ModeReset && !o.Policy.SelfService.AllowReset {
		return refuse(o, "reset_not_allowed", acct.ID, errorf(op, KindForbidden, nil, "%s lets you only unlock your account yourself. Run /unlock, or call the helpdesk for a new password.", o.Name))
	}
	if typed != "" && !strings.EqualFold(typed, acct.Username) && !strings.EqualFold(typed, acct.UPN) {
		return refuse(o, "not_own_account", acct.ID, errorf(op, KindForbidden, nil, "You can unlock only your own account. Run /unlock with no name."))
	}
	r, err := s.submit(ctx, sub, false)
	var v *ValidationError
	if errors.As(err, &v) {
		// The form's sentence, without a form: the first field's.
		return nil, errorf(op, KindInvalid, err, "%s", selfSentence(v))
	}
	return r, err
}

// ownAccount maps the person's chat profile to exactly one account across
// the orgs they may self-serve in. why names a refusal for the audit.
func (s *Service) ownAccount(ctx context.Context, a Actor) (*Org, identity.Account, string, error) {
	const op = "bot.SelfService"
	pm, ok := s.notifiers[a.Platform].(ProfileMail)
	if !ok {
		return nil, identity.Account{}, "no_profile_lookup", errorf(op, KindUnavailable, nil, "Self-service does not work on %s yet. Call the helpdesk.", a.Platform)
	}
	addrs, err := pm.ProfileEmails(ctx, a)
	if err != nil {
		return nil, identity.Account{}, "profile_unavailable", errorf(op, KindUnavailable, err, "I could not read your chat profile. Try again in a minute.")
	}
	type match struct {
		o    *Org
		acct identity.Account
	}
	var found []match
	for _, o := range s.selfServiceOrgs(a) {
		for _, addr := range addrs {
			acct, err := lookupAddress(ctx, o.Directory, addr)
			switch {
			case errors.Is(err, identity.ErrNotFound):
				continue
			case errors.Is(err, identity.ErrAmbiguous):
				return o, identity.Account{}, "ambiguous_account", errorf(op, KindConflict, err, "Your e-mail address matches more than one account. Call the helpdesk.")
			case err != nil:
				return o, identity.Account{}, "directory_unavailable", errorf(op, KindUnavailable, err, "%s's directory did not answer. Try again in a minute.", o.Name)
			}
			if !strings.EqualFold(acct.UPN, addr) && !strings.EqualFold(acct.Mail, addr) {
				continue // matched another name than the address
			}
			if !slices.ContainsFunc(found, func(m match) bool { return m.o == o && m.acct.ID == acct.ID }) {
				found = append(found, match{o, acct})
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, identity.Account{}, "no_account", errorf(op, KindNotFound, nil, "No account matches the e-mail address on your chat profile. Call the helpdesk.")
	case 1:
		return found[0].o, found[0].acct, "", nil
	}
	return nil, identity.Account{}, "ambiguous_account", errorf(op, KindConflict, nil, "Your e-mail address matches more than one account. Call the helpdesk.")
}

// lookupAddress is the one account addr names in d: by logon name (the
// UPN) and, where d can, by mail. An address that is one account's UPN
// and another's mail names two people: ErrAmbiguous.
func lookupAddress(ctx context.Context, d identity.Directory, addr string) (identity.Account, error) {
	acct, err := d.Lookup(ctx, addr)
	mf, ok := identity.Find[identity.MailFinder](d)
	if !ok || (err != nil && !errors.Is(err, identity.ErrNotFound)) {
		return acct, err
	}
	byMail, merr := mf.LookupByMail(ctx, addr)
	switch {
	case err != nil: // not found by name: the mail decides
		return byMail, merr
	case errors.Is(merr, identity.ErrNotFound):
		return acct, nil
	case merr != nil && !errors.Is(merr, identity.ErrAmbiguous):
		return identity.Account{}, merr
	case merr != nil || byMail.ID != acct.ID:
		return identity.Account{}, fmt.Errorf("%s is a UPN and another account's mail: %w", addr, identity.ErrAmbiguous)
	}
	return acct, nil
}

// selfSentence is a validation error's sentence for the person: the
// account's (the guard, the lock, the limit), else the first one.
func selfSentence(v *ValidationError) string {
	for _, f := range append([]FieldID{FieldAccount}, formOrder...) {
		if msg, ok := v.Fields[f]; ok {
			return msg
		}
	}
	return v.SafeMessage()
}

// startSelfService sends a validated self-service request on: it waits for
// the e-mail code (and an approver, when the org wants one).
func (s *Service) startSelfService(ctx context.Context, o *Org, r *Request) (*Request, error) {
	if selfApproval(o) {
		return s.askApproval(ctx, o, r)
	}
	if err := r.move(StateVerifying, s.now()); err != nil {
		return nil, err
	}
	if err := s.repo.save(ctx, r); err != nil {
		return nil, errorf("bot.SelfService", KindUnavailable, err, storeDown)
	}
	return r, nil
}
