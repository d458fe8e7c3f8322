package teams

import (
	"context"
	"maps"
	"slices"

	"github.com/unlockbot/unlockbot/bot"
)

// Sentences the cards answer with.
const (
	submittedText = "Request sent. You will hear here when it is decided."
	cancelledText = "Cancelled. Nothing was sent."
	hiddenText    = "The password is hidden now. It cannot be shown again."
	shownOnceText = "The password was shown once here. It cannot be shown again."
	unreadable    = "unlockbot could not read that card. Type unlock to start again."
)

// onAction answers an Action.Execute (adaptiveCard/action) synchronously:
// Teams replaces the card for the person who clicked with the card in the
// answer, so a click's outcome, a form's errors and the revealed password
// reach that person alone. Decisions that run a reset go on after the
// answer, as bot.Service.Click arranges.
func (a *Adapter) onAction(ctx context.Context, act *activity) invokeResponse {
	d, err := readAction(act.Value)
	if err != nil {
		a.log.Info().Str("why", err.Error()).Msg("unreadable card action")
		return messageAnswer(unreadable)
	}
	who, in := a.bare(act.From.AadObjectID, act.From.Name), where(act)
	switch d.Verb {
	case verbRefresh:
		return a.view(ctx, d.Request, who)
	case verbSubmit:
		return a.submit(ctx, d, who, in)
	case verbCancel:
		if d.Form == bot.FormDeny {
			return a.view(ctx, d.Context, who)
		}
		return cardAnswer(sentenceCard(cancelledText))
	case verbClose:
		return cardAnswer(sentenceCard(hiddenText))
	}
	return a.click(ctx, act, d, who, in)
}

// click maps a button onto bot.Click: the card answered is the window it
// opened (the password, a reason to deny), a sentence it told, or the
// approval card as the clicker now sees it.
func (a *Adapter) click(ctx context.Context, act *activity, d actionData, who bot.Actor, in string) invokeResponse {
	var shown *bot.Card
	var show func(context.Context, bot.Card) error
	if act.Conversation.ConversationType == "personal" {
		// Only in a personal chat is an answer to a click a window for one
		// person: a password is never shown in a channel, even to its
		// requester's own copy of a card.
		show = func(_ context.Context, c bot.Card) error { shown = &c; return nil }
	}
	ans := a.svc.Click(ctx, bot.Click{Action: bot.ActionID(d.Verb), RequestID: d.Request, Actor: who, Where: in, Show: show})
	switch {
	case shown != nil:
		// The answer lives in this person's client only; the message the
		// Reveal button sat on is replaced for everyone, so the chat's
		// history never offers the password again.
		if act.ReplyToID != "" {
			conv, svcURL, msg := act.Conversation.ID, act.ServiceURL, act.ReplyToID
			a.svc.Detach(func(ctx context.Context) {
				if err := a.update(ctx, svcURL, conv, msg, Outgoing{Text: shownOnceText, Card: sentenceCard(shownOnceText)}); err != nil {
					a.log.Warn().Err(err).Msg("could not retire the reveal message")
				}
			})
		}
		return cardAnswer(windowCard(*shown))
	case ans.Form != nil:
		return cardAnswer(a.cards.blankForm(*ans.Form, in))
	case ans.Tell != "":
		return messageAnswer(ans.Tell)
	}
	// The decision runs after this answer: show the card without buttons
	// until the update that follows it refreshes the clicker's view.
	return a.status(ctx, d.Request, who)
}

// status answers with the approval card as the channel sees it: no
// buttons where a refresh will bring them back to who may still act.
func (a *Adapter) status(ctx context.Context, id string, who bot.Actor) invokeResponse {
	c, err := a.svc.ViewApproval(ctx, id, who)
	if err != nil {
		return messageAnswer(safe(err))
	}
	return cardAnswer(a.cards.draw(drawApproval, c, a.deciders(ctx, id, ""), approvalCard))
}

// view answers with the approval card of request id as who sees it now
// (a refresh, or after their click): buttons only if they may act.
func (a *Adapter) view(ctx context.Context, id string, who bot.Actor) invokeResponse {
	c, err := a.svc.ViewApproval(ctx, id, who)
	if err != nil {
		return messageAnswer(safe(err))
	}
	if len(c.Actions) > 0 {
		return cardAnswer(a.cards.draw(drawDecider, c, a.deciders(ctx, id, ""), deciderCard))
	}
	return cardAnswer(a.cards.draw(drawApproval, c, a.deciders(ctx, id, ""), approvalCard))
}

// submittable are the forms whose Submit reaches bot.SubmitForm.
var submittable = []bot.FormID{bot.FormRequest, bot.FormDeny, bot.FormVerifyCode, bot.FormVerifyFacts}

// submit maps a form's Submit onto bot.SubmitForm: errors re-render the
// same form with the values typed (never a password, a code or a personal
// fact) and each sentence beside its field; otherwise the form gives way
// to what happens next.
func (a *Adapter) submit(ctx context.Context, d actionData, who bot.Actor, in string) invokeResponse {
	if !slices.Contains(submittable, d.Form) {
		return messageAnswer(unreadable)
	}
	if d.Where != "" {
		in = d.Where // the conversation the form was asked for from (not trusted: it only picks a default org)
	}
	ans := a.svc.SubmitForm(ctx, bot.FormReply{Form: d.Form, Actor: who, Where: in, Context: d.Context, Values: d.Values})
	switch {
	case len(ans.Errors) > 0:
		f, ok := a.formOf(ctx, d, ans, who, in)
		if !ok {
			return messageAnswer(firstError(ans.Errors))
		}
		return cardAnswer(formCard(f, in, d.Values.WithoutSecrets(), ans.Errors, nil))
	case ans.Replace != nil:
		return cardAnswer(messageCard(*ans.Replace))
	case d.Form == bot.FormDeny:
		return a.status(ctx, d.Context, who)
	}
	return cardAnswer(sentenceCard(submittedText))
}

// formOf is the form a submission came from, to show it again: the one
// the answer brings (a verification form, which only bot/ can build), or
// the deny or request form rebuilt. No form: the sentence alone.
func (a *Adapter) formOf(ctx context.Context, d actionData, ans bot.FormAnswer, who bot.Actor, in string) (bot.Form, bool) {
	switch {
	case ans.Form != nil:
		return *ans.Form, ans.Form.ID == d.Form
	case d.Form == bot.FormDeny:
		return bot.DenyForm(d.Context), true
	case d.Form == bot.FormRequest:
		f, err := a.svc.NewForm(ctx, who, in, "")
		return f, err == nil
	}
	return bot.Form{}, false
}

// firstError is one of the sentences, the same one each time.
func firstError(errs map[bot.FieldID]string) string {
	keys := slices.Sorted(maps.Keys(errs))
	if len(keys) == 0 {
		return ""
	}
	return errs[keys[0]]
}

// onSearch answers a type-ahead (application/search): the options for
// the organization picked in the same form, which Teams sends along.
func (a *Adapter) onSearch(ctx context.Context, act *activity) invokeResponse {
	q, _ := act.Value["queryText"].(string)
	field, _ := act.Value["dataset"].(string)
	org := ""
	if data, ok := act.Value["data"].(map[string]any); ok {
		org, _ = data[string(bot.FieldOrg)].(string)
	}
	who := a.bare(act.From.AadObjectID, act.From.Name)
	return searchAnswer(a.svc.Suggest(ctx, who, org, bot.FieldID(field), q))
}
