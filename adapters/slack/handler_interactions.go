package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/unlockbot/unlockbot/bot"
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
		a.submitForm(w, r, cb)
	case slack.InteractionTypeBlockSuggestion:
		a.suggest(w, r, cb)
	default: // view_closed and anything newer: nothing to do
		w.WriteHeader(http.StatusOK)
	}
}

func channelOf(cb *slack.InteractionCallback) string {
	if cb.Channel.ID != "" {
		return cb.Channel.ID
	}
	return cb.Container.ChannelID
}

// blockActions maps a button click onto bot.Click and its answer onto
// Slack: a form or the password window opens on the trigger id (valid for
// 3 s, so before the ack), a sentence goes out as an ephemeral message
// after it.
func (a *Adapter) blockActions(w http.ResponseWriter, r *http.Request, cb *slack.InteractionCallback) {
	if len(cb.ActionCallback.BlockActions) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	act := cb.ActionCallback.BlockActions[0]
	if cb.View.ID != "" { // a field of an open form changed, not a button on a message
		w.WriteHeader(http.StatusOK)
		a.fieldChanged(cb, act)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), inlineTimeout)
	defer cancel()
	ch, user := channelOf(cb), a.bare(cb.User.ID, cb.User.Name)
	show := func(ctx context.Context, c bot.Card) error { return a.openView(ctx, cb.TriggerID, windowView(c)) }
	ans := a.svc.Click(ctx, bot.Click{Action: bot.ActionID(act.ActionID), RequestID: act.Value, Actor: user, Where: ch, Show: show})
	if ans.Form != nil {
		if err := a.openView(ctx, cb.TriggerID, renderForm(*ans.Form, ch, nil)); err != nil {
			a.log.Warn().Err(err).Str("actor", user.Key()).Str("form", string(ans.Form.ID)).Msg("could not open the form")
			ans.Tell = safe(err)
		}
	}
	w.WriteHeader(http.StatusOK)
	if ans.Tell != "" {
		a.svc.Detach(func(ctx context.Context) {
			if err := a.Whisper(ctx, ch, user, ans.Tell); err != nil {
				a.log.Warn().Err(err).Str("actor", user.Key()).Str("channel", ch).Msg("could not tell the clicker")
			}
		})
	}
}

// submitForm maps a modal submission onto bot.SubmitForm and its answer
// onto Slack's view_submission response.
func (a *Adapter) submitForm(w http.ResponseWriter, r *http.Request, cb *slack.InteractionCallback) {
	form := bot.FormID(cb.View.CallbackID)
	ctx, cancel := context.WithTimeout(r.Context(), inlineTimeout)
	defer cancel()
	fctx, where := formContext(cb.View.PrivateMetadata)
	ans := a.svc.SubmitForm(ctx, bot.FormReply{Form: form, Actor: a.bare(cb.User.ID, cb.User.Name),
		Where: where, Context: fctx, Values: formValues(cb)})
	switch {
	case len(ans.Errors) > 0:
		out := make(map[string]string, len(ans.Errors))
		for f, m := range ans.Errors {
			out[string(f)] = cut(m, maxLabel)
		}
		writeJSON(w, slack.NewErrorsViewSubmissionResponse(out))
	case ans.Replace != nil:
		writeJSON(w, slack.NewUpdateViewSubmissionResponse(windowViewPtr(*ans.Replace)))
	default:
		writeJSON(w, slack.NewClearViewSubmissionResponse())
	}
}

// formValues reads a modal's state. Block and action ids are the field
// ids; a selected option, typed text or ticked box is the field's value.
func formValues(cb *slack.InteractionCallback) bot.FormValues {
	out := bot.FormValues{}
	if cb.View.State == nil {
		return out
	}
	for block, acts := range cb.View.State.Values {
		b, ok := acts[block]
		if !ok {
			continue
		}
		v := b.Value
		if b.SelectedOption.Value != "" {
			v = b.SelectedOption.Value
		}
		for _, o := range b.SelectedOptions {
			if o.Value == bot.CheckedValue {
				v = bot.CheckedValue
			}
		}
		out[bot.FieldID(block)] = v
	}
	return out
}

// formMetadata is what a modal carries back in private_metadata: the
// form's context, and the channel it was opened from.
func formMetadata(f bot.Form, channel string) string {
	if f.Context == "" {
		return channel
	}
	return f.Context + "|" + channel
}

// formContext splits formMetadata.
func formContext(meta string) (formCtx, channel string) {
	if i := strings.LastIndexByte(meta, '|'); i >= 0 {
		return meta[:i], meta[i+1:]
	}
	return "", meta
}
