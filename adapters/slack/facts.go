package slack

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/unlockbot/unlockbot/bot"
)

// showFacts reads the picked account fresh and redraws the request modal
// with its facts under the account field. It runs after the ack, on its
// own budget; the view's hash makes Slack refuse the update if the person
// changed the form meanwhile (their newer pick brings its own update).
// Input blocks keep their ids, so what was typed survives the redraw.
// form is the form the modal shows, when the caller has it at hand.
func (a *Adapter) showFacts(ctx context.Context, actor bot.Actor, channel, orgID, account string, ref viewRef, form *bot.Form) {
	if ref.ID == "" {
		return
	}
	card, ok := a.svc.PickedFacts(ctx, actor, orgID, account)
	if !ok {
		return
	}
	if form == nil {
		f, err := a.svc.NewForm(ctx, actor, channel, "")
		if err != nil {
			return
		}
		form = &f
	}
	if err := a.updateView(ctx, ref, renderForm(*form, channel, &card)); err != nil && errCode(err) != "hash_conflict" {
		a.log.Warn().Err(err).Str("actor", actor.Key()).Msg("could not show the account's facts")
	}
}

// accountPicked answers the account field's change inside the modal.
func (a *Adapter) accountPicked(cb *slack.InteractionCallback, act *slack.BlockAction) {
	var orgID string
	if cb.View.State != nil {
		orgID = cb.View.State.Values[string(bot.FieldOrg)][string(bot.FieldOrg)].SelectedOption.Value
	}
	user, name := cb.User.ID, cb.User.Name
	account, channel := act.SelectedOption.Value, cb.View.PrivateMetadata
	ref := viewRef{ID: cb.View.ID, Hash: cb.View.Hash}
	a.svc.Detach(func(ctx context.Context) {
		a.showFacts(ctx, a.actor(ctx, user, name), channel, orgID, account, ref, nil)
	})
}
