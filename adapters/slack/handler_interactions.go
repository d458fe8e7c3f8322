package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
)

// parseInteraction reads the "payload" form field. The payload of a form
// submission holds the typed password: it is never logged, not even when
// it fails to parse.
func parseInteraction(r *http.Request) (*slack.InteractionCallback, error) {
	raw := r.PostFormValue("payload")
	if raw == "" {
		return nil, errors.New("no payload")
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(raw), &cb); err != nil {
		return nil, errors.New("payload is not valid JSON")
	}
	if cb.User.ID == "" {
		return nil, errors.New("payload names no user")
	}
	return &cb, nil
}

// handleInteraction answers buttons, modal submissions and (when Slack is
// configured with one URL for both) type-ahead queries.
func (a *Adapter) handleInteraction(w http.ResponseWriter, r *http.Request, _ []byte) {
	cb, err := parseInteraction(r)
	if err != nil {
		a.log.Warn().Str("why", err.Error()).Msg("unreadable interaction")
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		a.blockActions(w, r, cb)
	case slack.InteractionTypeViewSubmission:
		switch cb.View.CallbackID {
		case callbackRequest:
			a.submitRequest(w, r, cb)
		case callbackDeny:
			a.submitDeny(w, cb)
		default:
			w.WriteHeader(http.StatusOK)
		}
	case slack.InteractionTypeBlockSuggestion:
		a.suggest(w, r, cb)
	default: // view_closed and anything newer: nothing to do
		w.WriteHeader(http.StatusOK)
	}
}

func (a *Adapter) clickLog(cb *slack.InteractionCallback, action, id string) zerolog.Logger {
	return a.log.With().Str("actor", a.key(cb.User.ID)).Str("action", action).Str("request", id).Logger()
}

func channelOf(cb *slack.InteractionCallback) string {
	if cb.Channel.ID != "" {
		return cb.Channel.ID
	}
	return cb.Container.ChannelID
}

// blockActions handles a button click. Decisions run after the ack; the
// modals (deny reason, password) need the trigger id, valid for 3 s, so
// they open before it.
func (a *Adapter) blockActions(w http.ResponseWriter, r *http.Request, cb *slack.InteractionCallback) {
	if len(cb.ActionCallback.BlockActions) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	act := cb.ActionCallback.BlockActions[0]
	if cb.View.CallbackID == callbackRequest && act.ActionID == string(bot.FieldAccount) {
		w.WriteHeader(http.StatusOK)
		a.accountPicked(cb, act)
		return
	}
	id, ch, user, name := act.Value, channelOf(cb), cb.User.ID, cb.User.Name
	log := a.clickLog(cb, act.ActionID, id)
	switch bot.ActionID(act.ActionID) {
	case bot.ActionApprove, bot.ActionRetry:
		w.WriteHeader(http.StatusOK)
		a.background(func(ctx context.Context) {
			actor := a.person(ctx, user, name)
			var err error
			if bot.ActionID(act.ActionID) == bot.ActionApprove {
				_, err = a.svc.Approve(ctx, id, actor)
			} else {
				_, err = a.svc.Retry(ctx, id, actor)
			}
			if err != nil {
				log.Info().Err(err).Str("kind", string(bot.KindOf(err))).Msg("click did not go through")
				a.tellClicker(ctx, ch, user, err)
			}
		})
	case bot.ActionDeny:
		ctx, cancel := context.WithTimeout(r.Context(), inlineTimeout)
		defer cancel()
		// Ask for a reason only from someone who may deny now; Deny itself
		// checks again when the reason comes back.
		if err := a.svc.CanDecide(ctx, id, a.person(ctx, user, cb.User.Name)); err != nil {
			log.Info().Err(err).Msg("deny refused before the reason was asked")
			a.backgroundTell(ch, user, err)
		} else if err := a.openView(ctx, cb.TriggerID, denyView(id, ch)); err != nil {
			log.Warn().Err(err).Msg("could not open the deny modal")
			a.backgroundTell(ch, user, err)
		}
		w.WriteHeader(http.StatusOK)
	case bot.ActionReveal:
		ctx, cancel := context.WithTimeout(r.Context(), inlineTimeout)
		defer cancel()
		if err := a.reveal(ctx, cb, id); err != nil {
			log.Info().Err(err).Str("kind", string(bot.KindOf(err))).Msg("password not revealed")
			a.backgroundTell(ch, user, err)
		}
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// reveal hands the generated password to its requester in a modal, once:
// the service has forgotten it by the time views.open is called.
func (a *Adapter) reveal(ctx context.Context, cb *slack.InteractionCallback, id string) error {
	pw, req, err := a.svc.RevealPassword(ctx, id, a.person(ctx, cb.User.ID, cb.User.Name))
	if err != nil {
		return err
	}
	openErr := a.openView(ctx, cb.TriggerID, revealView(req.Account.Label(), pw.Reveal()))
	// Its own budget: views.open may have used up ctx, and the outcome
	// belongs in the audit trail either way.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.svc.ConfirmReveal(cctx, id, openErr == nil); err != nil {
		a.log.Warn().Err(err).Str("request", id).Msg("could not record the reveal outcome")
	}
	if openErr != nil {
		return &revealFailed{openErr}
	}
	return nil
}

// revealFailed: Slack did not confirm it showed the password. It may have
// (a timeout after the modal opened), so it is not shown again.
type revealFailed struct{ err error }

func (e *revealFailed) Error() string { return "reveal modal not opened: " + e.err.Error() }
func (e *revealFailed) Unwrap() error { return e.err }
func (e *revealFailed) SafeMessage() string {
	return "Slack did not confirm the password window opened. The password is shown only once, so it cannot be shown again: if you did not see it, submit a new request with /unlock (it needs a new approval)."
}

func (a *Adapter) tellClicker(ctx context.Context, ch, user string, err error) {
	a.ephemeral(ctx, ch, user, safe(err))
}

func (a *Adapter) backgroundTell(ch, user string, err error) {
	a.background(func(ctx context.Context) { a.tellClicker(ctx, ch, user, err) })
}

// submitRequest runs the form. Submit is quick (a directory lookup and the
// approval post), but an org without approval runs the reset inside it, so
// it runs detached: if it answers within the budget the modal shows the
// outcome; if not, the modal closes and the messages follow.
func (a *Adapter) submitRequest(w http.ResponseWriter, r *http.Request, cb *slack.InteractionCallback) {
	actor := a.person(r.Context(), cb.User.ID, cb.User.Name)
	sub, verr := readSubmission(cb, actor)
	if verr != nil {
		writeJSON(w, slack.NewErrorsViewSubmissionResponse(fieldErrors(verr)))
		return
	}
	log := a.log.With().Str("actor", actor.Key()).Str("org", sub.OrgID).Str("target", sub.Account).Logger()
	type result struct {
		req *bot.Request
		err error
	}
	done := make(chan result, 1)
	a.background(func(ctx context.Context) {
		req, err := a.svc.Submit(ctx, sub)
		done <- result{req, err}
	})
	select {
	case res := <-done:
		var v *bot.ValidationError
		switch {
		case errors.As(res.err, &v):
			log.Info().Str("why", v.SafeMessage()).Msg("form refused")
			writeJSON(w, slack.NewErrorsViewSubmissionResponse(fieldErrors(v)))
		case res.err != nil:
			log.Warn().Err(res.err).Msg("submission failed")
			writeJSON(w, slack.NewErrorsViewSubmissionResponse(map[string]string{string(bot.FieldAccount): cut(safe(res.err), maxLabel)}))
		default:
			log.Info().Str("request", res.req.ID).Msg("request submitted")
			writeJSON(w, slack.NewClearViewSubmissionResponse())
		}
	case <-time.After(inlineTimeout):
		log.Warn().Msg("submission still running after the ack budget; closing the form")
		writeJSON(w, slack.NewUpdateViewSubmissionResponse(noticeView("Submitted",
			"Your request is still being processed. The approval message and a private message will follow; if something goes wrong, you will be told there.")))
		// The form is gone, so an answer that comes late goes to the
		// technician privately, as the notice promised.
		a.background(func(ctx context.Context) {
			res := <-done
			if res.err == nil {
				log.Info().Str("request", res.req.ID).Msg("request submitted (late)")
				return
			}
			log.Info().Str("why", safe(res.err)).Msg("late submission refused or failed")
			if err := a.Notify(ctx, actor, bot.Card{Title: "Request not submitted", Text: safe(res.err) + " Run /unlock again.", Tone: bot.ToneDanger}); err != nil {
				log.Warn().Err(err).Msg("could not tell the technician")
			}
		})
	}
}

func fieldErrors(v *bot.ValidationError) map[string]string {
	out := make(map[string]string, len(v.Fields))
	for f, m := range v.Fields {
		out[string(f)] = cut(m, maxLabel)
	}
	return out
}

// readSubmission maps the modal state onto a bot.Submission. Block and
// action ids are the field ids.
func readSubmission(cb *slack.InteractionCallback, actor bot.Actor) (bot.Submission, *bot.ValidationError) {
	var vals map[string]map[string]slack.BlockAction
	if cb.View.State != nil {
		vals = cb.View.State.Values
	}
	get := func(f bot.FieldID) slack.BlockAction { return vals[string(f)][string(f)] }
	selected := func(f bot.FieldID) string {
		b := get(f)
		if b.SelectedOption.Value != "" {
			return b.SelectedOption.Value
		}
		return b.Value
	}
	checked := func(f bot.FieldID) bool {
		for _, o := range get(f).SelectedOptions {
			if o.Value == checkedValue {
				return true
			}
		}
		return false
	}
	sub := bot.Submission{
		Requester: actor,
		OrgID:     selected(bot.FieldOrg),
		Mode:      bot.Mode(selected(bot.FieldMode)),
		Account:   selected(bot.FieldAccount),
		TicketID:  selected(bot.FieldTicket),
		Temporary: checked(bot.FieldTemporary),
		NoteToPSA: checked(bot.FieldNote),
		Reason:    get(bot.FieldReason).Value,
		Origin:    cb.View.PrivateMetadata,
	}
	if pw := get(bot.FieldPassword).Value; pw != "" {
		sub.Password = identity.NewSecret(pw)
	}
	errs := map[bot.FieldID]string{}
	if sub.OrgID == "" {
		errs[bot.FieldOrg] = "Pick the organization."
	}
	if sub.TicketID == pickOrgFirst {
		errs[bot.FieldTicket] = "Pick the organization first, then the ticket (or leave it empty)."
	}
	if sub.Account == pickOrgFirst {
		errs[bot.FieldAccount] = "Pick the organization first, then the account."
	}
	if strings.TrimSpace(sub.Account) == "" {
		errs[bot.FieldAccount] = "Pick the account to unlock."
	}
	if len(errs) > 0 {
		return sub, &bot.ValidationError{Fields: errs}
	}
	return sub, nil
}

// submitDeny closes the reason modal and records the denial after the ack.
func (a *Adapter) submitDeny(w http.ResponseWriter, cb *slack.InteractionCallback) {
	id, ch, _ := strings.Cut(cb.View.PrivateMetadata, "|")
	var reason string
	if cb.View.State != nil {
		reason = cb.View.State.Values[denyReasonBlock][denyReasonBlock].Value
	}
	user, name := cb.User.ID, cb.User.Name
	writeJSON(w, slack.NewClearViewSubmissionResponse())
	log := a.clickLog(cb, string(bot.ActionDeny), id)
	a.background(func(ctx context.Context) {
		if _, err := a.svc.Deny(ctx, id, a.person(ctx, user, name), reason); err != nil {
			log.Info().Err(err).Str("kind", string(bot.KindOf(err))).Msg("deny did not go through")
			a.tellClicker(ctx, ch, user, err)
		}
	})
}
