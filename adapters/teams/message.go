package teams

import (
	"context"
	"html"
	"regexp"
	"strings"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
)

// Sentences of the command.
const (
	helpText   = "Type unlock, or unlock and the account name (unlock alice), to ask for an unlock or a password reset."
	sentToChat = "I sent you the form in our personal chat. Fill it in there."
)

var (
	mentionRE = regexp.MustCompile(`(?is)<at[^>]*>.*?</at>`)
	tagRE     = regexp.MustCompile(`(?s)<[^>]*>`)
)

// commandText is what the person typed, without the @mention of the bot
// and the HTML Teams wraps channel messages in.
func commandText(text string) string {
	t := mentionRE.ReplaceAllString(text, " ")
	t = html.UnescapeString(tagRE.ReplaceAllString(t, " "))
	return strings.Join(strings.Fields(t), " ")
}

// onMessage answers "unlock [account]": the request form, as an Adaptive
// Card in the person's personal chat (asked in a channel, the channel's
// thread is told where the form went: a form with a password field does
// not belong in a channel). It runs after the 200, which Teams wants
// quickly, on the service's detached budget.
func (a *Adapter) onMessage(act *activity) {
	verb, args, _ := strings.Cut(commandText(act.Text), " ")
	from, conv, svcURL, id := a.bare(act.From.AadObjectID, act.From.Name), act.Conversation.ID, act.ServiceURL, act.ID
	personal := act.Conversation.ConversationType == "personal"
	in := where(act)
	a.svc.Detach(func(ctx context.Context) {
		// Built only for a line that is written: most messages write none.
		log := func() *zerolog.Logger {
			l := a.log.With().Str("actor", from.Key()).Str("where", in).Logger()
			return &l
		}
		if from.ID == "" {
			log().Warn().Msg("message without the sender's object id ignored")
			return
		}
		if strings.EqualFold(verb, "lock") {
			a.answer(ctx, svcURL, conv, id, personal, a.svc.LockCommand(ctx, from, in, args))
			return
		}
		if !strings.EqualFold(verb, "unlock") {
			a.answer(ctx, svcURL, conv, id, personal, helpText)
			return
		}
		if reply, ok := a.svc.SelfService(ctx, from, in, args); ok {
			a.answer(ctx, svcURL, conv, id, personal, reply)
			return
		}
		form, err := a.svc.NewForm(ctx, from, in, strings.TrimSpace(args))
		if err != nil {
			log().Info().Str("why", safe(err)).Msg("unlock command refused")
			a.answer(ctx, svcURL, conv, id, personal, safe(err))
			return
		}
		chat, chatURL := conv, svcURL
		if !personal {
			if chat, chatURL, err = a.personal(ctx, from.ID); err != nil {
				log().Warn().Err(err).Msg("could not open the personal chat")
				a.answer(ctx, svcURL, conv, id, false, "I could not open a personal chat with you. Install unlockbot for yourself (Apps → unlockbot → Add), then try again.")
				return
			}
		}
		out := Outgoing{Summary: form.Title, Card: a.cards.blankForm(form, in)}
		replyTo := ""
		if personal {
			replyTo = id
		}
		formID, err := a.send(ctx, chatURL, chat, replyTo, out, false) // its id is needed for the facts
		if err != nil {
			log().Warn().Err(err).Msg("could not send the form")
			a.answer(ctx, svcURL, conv, id, personal, safe(err))
			return
		}
		if !personal {
			a.answer(ctx, svcURL, conv, id, false, sentToChat)
		}
		// "unlock alice": show alice's facts as if she had been picked,
		// once the form is there.
		if org, acct := form.Prefilled(); org != "" && acct != "" {
			vals := bot.FormValues{bot.FieldOrg: org, bot.FieldAccount: acct}
			facts := a.svc.FieldChanged(ctx, bot.FormReply{Form: form.ID, Actor: from, Where: in, Values: vals}, bot.FieldAccount)
			if facts == nil {
				return
			}
			if err := a.update(ctx, chatURL, chat, formID, Outgoing{Summary: form.Title, Card: formCard(form, in, vals, nil, facts)}); err != nil {
				log().Info().Err(err).Msg("could not add the account's facts to the form")
			}
		}
	})
}

// answer replies to a message where it was typed: in the personal chat,
// or in the channel message's thread.
func (a *Adapter) answer(ctx context.Context, svcURL, conv, replyTo string, personal bool, text string) {
	if personal {
		replyTo = ""
	}
	if _, err := a.send(ctx, svcURL, conv, replyTo, Outgoing{Text: text, Card: sentenceCard(text)}, true); err != nil {
		a.log.Warn().Err(err).Msg("could not answer the message")
	}
}
