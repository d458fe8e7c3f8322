package slack

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/unlockbot/unlockbot/bot"
)

// showFacts redraws the request modal with the card bot gives for a live
// field's change (the picked account's facts, read fresh) under the
// account field. It runs after the ack, on its own budget; the view's hash
// makes Slack refuse the update if the person changed the form meanwhile
// (their newer pick brings its own update). Input blocks keep their ids,
// so what was typed survives the redraw. form is the form the modal
// shows, when the caller has it at hand.
func (a *Adapter) showFacts(ctx context.Context, change bot.FormReply, field bot.FieldID, ref viewRef, form *bot.Form) {
	if ref.ID == "" {
		return
	}
	card := a.svc.FieldChanged(ctx, change, field)
	if card == nil {
		return
	}
	if form == nil {
		f, err := a.svc.NewForm(ctx, change.Actor, change.Where, "")
		if err != nil {
			return
		}
		form = &f
	}
	if err := a.updateView(ctx, ref, renderForm(*form, change.Where, card)); err != nil && errCode(err) != "hash_conflict" {
		a.log.Warn().Err(err).Str("actor", change.Actor.Key()).Msg("could not show the account's facts")
	}
}

// fieldChanged answers a change of a live field inside an open modal
// (Slack sends it as block_actions with the view): the field's new value
// with the rest of the form as it stands.
func (a *Adapter) fieldChanged(cb *slack.InteractionCallback, act *slack.BlockAction) {
	values := formValues(cb).WithoutSecrets() // kept for the redraw: no typed password in it
	v := act.Value
	if act.SelectedOption.Value != "" {
		v = act.SelectedOption.Value
	}
	values[bot.FieldID(act.ActionID)] = v
	fctx, where := formContext(cb.View.PrivateMetadata)
	change := bot.FormReply{Form: bot.FormID(cb.View.CallbackID), Actor: a.bare(cb.User.ID, cb.User.Name), Where: where, Context: fctx, Values: values}
	ref := viewRef{ID: cb.View.ID, Hash: cb.View.Hash}
	a.svc.Detach(func(ctx context.Context) { a.showFacts(ctx, change, bot.FieldID(act.ActionID), ref, nil) })
}
