package bot

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// CheckedValue is the value a ticked checkbox reports.
const CheckedValue = "yes"

// FormValues are a submitted form's values by field, as the platform sent
// them: a select's chosen value, a text's text, CheckedValue for a ticked
// box. A secret field's value (the typed password) is taken out into an
// identity.Secret by the first reader (ParseRequest), and the values never
// print it.
type FormValues map[FieldID]string

// secretFields are the fields whose value is a password or a one-time
// code; the personal-data answers (factFieldPrefix) count as secret too.
var secretFields = []FieldID{FieldPassword, FieldCode}

func isSecretField(f FieldID) bool {
	return slices.Contains(secretFields, f) || strings.HasPrefix(string(f), factFieldPrefix)
}

// TakeSecret moves a secret field's value out of v into a Secret.
func (v FormValues) TakeSecret(f FieldID) identity.Secret {
	s := identity.NewSecret(v[f])
	delete(v, f)
	return s
}

// WithoutSecrets is a copy of v without the secret fields, for keeping
// (a redraw after the ack) or logging.
func (v FormValues) WithoutSecrets() FormValues {
	out := make(FormValues, len(v))
	for k, val := range v {
		out[k] = val
	}
	for f := range out {
		if isSecretField(f) {
			delete(out, f)
		}
	}
	return out
}

// String prints the fields and the values that are not secret, so a form
// logged or formatted with %v never shows a typed password.
func (v FormValues) String() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("map[")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		val := v[FieldID(k)]
		if isSecretField(FieldID(k)) && val != "" {
			val = "[redacted]"
		}
		b.WriteString(k + ":" + val)
	}
	return b.String() + "]"
}

// FormReply is a submitted form as the adapter read it.
type FormReply struct {
	Form    FormID
	Actor   Actor
	Where   string // the conversation the form was opened from
	Context string // Form.Context as it went out
	Values  FormValues
}

// FormAnswer is what the platform does with a submitted form. The zero
// FormAnswer closes it.
type FormAnswer struct {
	// Errors keep the form open, each sentence beside its field.
	Errors map[FieldID]string
	// Replace, when set, takes the form's place (still working).
	Replace *Card
	// Form, beside Errors, is the form to draw again with them, for a
	// platform that redraws a form itself (Teams replaces the card; a
	// Slack modal stays open and needs none). Nil when the form is no
	// longer the way on: the first error is then the sentence to show.
	Form *Form
}

// SubmitForm handles a submitted form. A request is submitted within ctx's
// deadline, which the adapter sets from what its platform allows: if it
// is decided by then, the form shows the outcome (field errors, or it
// closes); if not, the form is replaced by a "still working" card and a
// late refusal reaches the technician privately. A denial's reason closes
// its form at once and the denial runs after the ack.
func (s *Service) SubmitForm(ctx context.Context, f FormReply) FormAnswer {
	switch f.Form {
	case FormRequest:
		return s.submitRequestForm(ctx, f)
	case FormVerifyCode:
		return s.checkCode(ctx, f)
	case FormVerifyFacts:
		return s.checkFacts(ctx, f)
	case FormDeny:
		j := Job{Action: ActionDeny, RequestID: f.Context, Actor: f.Actor, Where: f.Where, Reason: f.Values[FieldDenyReason]}
		if a := s.enqueue(ctx, j); a.Tell != "" {
			return FormAnswer{Errors: map[FieldID]string{FieldDenyReason: a.Tell}}
		}
	}
	return FormAnswer{}
}

func (s *Service) submitRequestForm(ctx context.Context, f FormReply) FormAnswer {
	// The requester's roles decide whether they may submit, and their name
	// goes on the approval card: complete them now, inside the budget.
	sub, verr := ParseRequest(s.complete(ctx, f.Actor), f.Where, f.Values)
	if verr != nil {
		return FormAnswer{Errors: verr.Fields}
	}
	log := s.log.With().Str("actor", f.Actor.Key()).Str("org", sub.OrgID).Str("target", sub.Account).Logger()
	type result struct {
		req *Request
		err error
	}
	done := make(chan result, 1)
	// Detached: an org without approval runs the reset inside Submit,
	// which must not stop when the platform's answer falls due.
	s.bg.Go(func(ctx context.Context) {
		req, err := s.Submit(ctx, sub)
		done <- result{req, err}
	})
	select {
	case res := <-done:
		var v *ValidationError
		switch {
		case errors.As(res.err, &v):
			log.Info().Str("why", v.SafeMessage()).Msg("form refused")
			return FormAnswer{Errors: v.Fields}
		case res.err != nil:
			log.Warn().Err(res.err).Msg("submission failed")
			return FormAnswer{Errors: map[FieldID]string{FieldAccount: UserSentence(res.err)}}
		}
		log.Info().Str("request", res.req.ID).Msg("request submitted")
		return FormAnswer{}
	case <-ctx.Done():
	}
	log.Warn().Msg("submission still running when the platform's answer fell due; closing the form")
	requester := sub.Requester // the late answer keeps only who to tell
	// The form is gone, so a late answer goes to the technician privately,
	// as the card promises.
	s.bg.Go(func(ctx context.Context) {
		res := <-done
		if res.err == nil {
			log.Info().Str("request", res.req.ID).Msg("request submitted (late)")
			return
		}
		log.Info().Str("why", UserSentence(res.err)).Msg("late submission refused or failed")
		if n := s.notifiers[requester.Platform]; n != nil {
			if err := n.Notify(ctx, requester, notSubmittedCard(res.err)); err != nil {
				log.Warn().Err(err).Msg("could not tell the technician")
			}
		}
	})
	c := stillWorkingCard()
	return FormAnswer{Replace: &c}
}

// ParseRequest reads the request form's values into a Submission, with the
// form-level checks (an org and an account picked) every platform needs.
// It takes the typed password out of v.
// The flow's own checks (policy, the account, the guard) come in Submit.
func ParseRequest(by Actor, where string, v FormValues) (Submission, *ValidationError) {
	sub := Submission{
		Requester: by,
		OrgID:     v[FieldOrg],
		Mode:      Mode(v[FieldMode]),
		Account:   v[FieldAccount],
		TicketID:  v[FieldTicket],
		Temporary: v[FieldTemporary] == CheckedValue,
		NoteToPSA: v[FieldNote] == CheckedValue,
		Reason:    v[FieldReason],
		Origin:    where,
	}
	if pw := v.TakeSecret(FieldPassword); !pw.IsZero() {
		sub.Password = pw
	}
	errs := map[FieldID]string{}
	if sub.OrgID == "" {
		errs[FieldOrg] = "Pick the organization."
	}
	if sub.TicketID == PickOrgFirst {
		errs[FieldTicket] = "Pick the organization first, then the ticket (or leave it empty)."
	}
	if sub.Account == PickOrgFirst {
		errs[FieldAccount] = "Pick the organization first, then the account."
	}
	if strings.TrimSpace(sub.Account) == "" {
		errs[FieldAccount] = "Pick the account to unlock."
	}
	if len(errs) > 0 {
		return sub, &ValidationError{Fields: errs}
	}
	return sub, nil
}
