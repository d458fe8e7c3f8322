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
// not belong in a channel). It runs on the service's detached budget,
// started before the handler's replay check (seen), whose answer
// everything else here waits for.
//
// A technician's unlock in their personal chat does not wait: the form
// is drawn and sent while the check is on the way, and taken back
// (deleted) if the check finds the message handled before or cannot say.
// The form changes nothing and goes only to the person whose message it
// answers, so a replay shows them, at worst, a form for a moment; waiting
// would put a store round trip before every form a technician asks for.
func (a *Adapter) onMessage(act *activity, seen *replayCheck) {
	verb, args, _ := strings.Cut(commandText(act.Text), " ")
	from, conv, svcURL, id := a.bare(act.From.AadObjectID, act.From.Name), act.Conversation.ID, act.ServiceURL, act.ID
	personal := act.Conversation.ConversationType == "personal"
	in := where(act)
	early := personal && strings.EqualFold(verb, "unlock") && a.svc.FormAhead(from)
	a.svc.Detach(func(ctx context.Context) {
		// Built only for a line that is written: most messages write none.
		log := func() *zerolog.Logger {
			l := a.log.With().Str("actor", from.Key()).Str("where", in).Logger()
			return &l
		}
		if early {
			a.openForm(ctx, log, from, in, svcURL, conv, id, true, strings.TrimSpace(args), seen)
			return
		}
		if !seen.first() {
			return
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
		// A technician's SelfService answers false: only people who are
		// none are served there (early skips it for that reason).
		if reply, ok := a.svc.SelfService(ctx, from, in, args); ok {
			a.answer(ctx, svcURL, conv, id, personal, reply)
			return
		}
		a.openForm(ctx, log, from, in, svcURL, conv, id, personal, strings.TrimSpace(args), nil)
	})
}

// openForm sends the request form for an unlock typed in conv. With seen
// set (early), it is sent before the replay check's answer and deleted if
// that answer is not "first"; nothing after the send happens before it.
func (a *Adapter) openForm(ctx context.Context, log func() *zerolog.Logger, from bot.Actor, in, svcURL, conv, id string, personal bool, account string, seen *replayCheck) {
	form, err := a.svc.NewForm(ctx, from, in, account)
	if err != nil {
		if seen.first() {
			log().Info().Str("why", safe(err)).Msg("unlock command refused")
			a.answer(ctx, svcURL, conv, id, personal, safe(err))
		}
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
	if !seen.first() {
		if err == nil {
			a.takeBack(ctx, chatURL, chat, formID)
		}
		return
	}
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
}

// takeBack deletes a form sent for a message the replay check did not
// pass (handled before, or the store did not answer and Teams will send
// it again).
func (a *Adapter) takeBack(ctx context.Context, svcURL, conv, formID string) {
	err := a.paced(ctx, opDelete, conv, "", true, func(ctx context.Context) error {
		return a.pconn.Delete(ctx, svcURL, conv, formID)
	})
	if err != nil {
		a.log.Warn().Err(err).Msg("could not take back a form sent for a repeated message")
	}
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
