package slack

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/unlockbot/unlockbot/bot"
)

// Slack's Block Kit limits that bot/ text can reach. Text beyond them is
// cut (with an ellipsis) rather than letting Slack refuse the message.
const (
	maxHeader        = 150
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxFieldsPerSect = 10
	maxButtonText    = 75
	maxOptionText    = 75
	maxOptionValue   = 150
	maxViewTitle     = 24
	maxContextText   = 2000
	maxLabel         = 2000
	maxFallbackText  = 3000
)

// View callback ids and the value meaning "pick the org first".
const (
	callbackRequest = "unlockbot.request"
	callbackDeny    = "unlockbot.deny"
	callbackReveal  = "unlockbot.reveal"
	pickOrgFirst    = "unlockbot.pick_org"
	checkedValue    = "yes"
	denyReasonBlock = "deny_reason"
	factsBlock      = "account_facts"
)

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// esc makes user-typed text inert in mrkdwn: no <!channel>, no fake links.
func esc(s string) string { return mrkdwnEscaper.Replace(s) }

// mrkdwnEscaper is built once: a Replacer compiles its table on first use,
// and every card renders dozens of strings.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func plain(s string, n int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, cut(s, n), false, false)
}

func mrkdwn(s string, n int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, cut(s, n), false, false)
}

// renderCard turns a neutral card into message blocks. Card text comes from
// bot/ and may quote what a technician typed (the reason), so it is escaped.
func renderCard(c bot.Card) []slack.Block {
	var blocks []slack.Block
	if c.Title != "" {
		blocks = append(blocks, slack.NewHeaderBlock(plain(c.Title, maxHeader)))
	}
	if c.Text != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(esc(c.Text), maxSectionText), nil, nil))
	}
	for i := 0; i < len(c.Fields); i += maxFieldsPerSect {
		end := min(i+maxFieldsPerSect, len(c.Fields))
		var fs []*slack.TextBlockObject
		for _, f := range c.Fields[i:end] {
			fs = append(fs, mrkdwn("*"+esc(f.Label)+"*\n"+fieldValue(f), maxFieldText))
		}
		blocks = append(blocks, slack.NewSectionBlock(nil, fs, nil))
	}
	if len(c.Actions) > 0 {
		var els []slack.BlockElement
		for _, a := range c.Actions {
			b := slack.NewButtonBlockElement(string(a.ID), a.RequestID, plain(a.Label, maxButtonText))
			switch a.Style {
			case bot.StylePrimary:
				b.Style = slack.StylePrimary
			case bot.StyleDanger:
				b.Style = slack.StyleDanger
			}
			els = append(els, b)
		}
		blocks = append(blocks, slack.NewActionBlock("actions", els...))
	}
	if c.Footer != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(esc(c.Footer), maxContextText)))
	}
	return blocks
}

// fieldValue renders a person as a Slack mention of their user id, which
// Slack draws from the account itself: a display name anyone can set to a
// colleague's is not what an approver reads. Other values are escaped text.
func fieldValue(f bot.Field) string {
	if p := f.Person; p != nil && p.Platform == Platform && isSlackUserID(p.ID) {
		return "<@" + p.ID + ">"
	}
	return esc(f.Value)
}

// isSlackUserID accepts what Slack issues (U… or W…, upper-case letters
// and digits), so nothing else can reach mrkdwn unescaped.
func isSlackUserID(id string) bool {
	if len(id) < 2 || len(id) > 24 || (id[0] != 'U' && id[0] != 'W') {
		return false
	}
	for _, c := range id {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// fallback is the notification text (and what screen readers and old
// clients show) for a card.
func fallback(c bot.Card) string {
	s := c.Title
	if c.Text != "" {
		s += ": " + c.Text
	}
	return cut(esc(s), maxFallbackText)
}

func option(o bot.Option) *slack.OptionBlockObject {
	var desc *slack.TextBlockObject
	if o.Hint != "" {
		desc = plain(o.Hint, maxOptionText)
	}
	return slack.NewOptionBlockObject(cut(o.Value, maxOptionValue), plain(o.Label, maxOptionText), desc)
}

// denyView asks an approver for an optional reason.
func denyView(requestID, channel string) slack.ModalViewRequest {
	t := slack.NewPlainTextInputBlockElement(plain("e.g. caller could not be verified", 150), denyReasonBlock)
	t.Multiline, t.MaxLength = true, 500
	in := slack.NewInputBlock(denyReasonBlock, plain("Reason (optional)", maxLabel), plain("The technician sees it in the thread and in a private message.", maxLabel), t)
	in.Optional = true
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain("Deny the reset", maxViewTitle),
		Submit:          plain("Deny", maxViewTitle),
		Close:           plain("Cancel", maxViewTitle),
		CallbackID:      callbackDeny,
		PrivateMetadata: requestID + "|" + channel,
		Blocks:          slack.Blocks{BlockSet: []slack.Block{in}},
	}
}

// revealView is the only place a password is ever sent to Slack: a modal
// only the requester sees, opened once.
func revealView(account, password string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      plain("New password", maxViewTitle),
		Close:      plain("Done", maxViewTitle),
		CallbackID: callbackReveal,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(plain("New password for "+account+":", maxSectionText), nil, nil),
			slack.NewSectionBlock(plain(password, maxSectionText), nil, nil),
			slack.NewContextBlock("", plain("Shown once. Read it to the user; do not paste it into chat or a ticket. Closing this window discards it.", maxContextText)),
		}},
	}
}

// noticeView replaces the request modal with a sentence (a submission still
// running when Slack's 3 s are up).
func noticeView(title, msg string) *slack.ModalViewRequest {
	return &slack.ModalViewRequest{
		Type:  slack.VTModal,
		Title: plain(title, maxViewTitle),
		Close: plain("Close", maxViewTitle),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(esc(msg), maxSectionText), nil, nil),
		}},
	}
}

// optionsAnswer is slack.OptionsResponse without omitempty: "no match" is
// an empty list, not a missing one.
type optionsAnswer struct {
	Options []*slack.OptionBlockObject `json:"options"`
}

// renderOptions renders type-ahead answers.
func renderOptions(opts []bot.Option) optionsAnswer {
	out := optionsAnswer{Options: []*slack.OptionBlockObject{}}
	for _, o := range opts {
		if len(out.Options) == 100 {
			break
		}
		out.Options = append(out.Options, option(o))
	}
	return out
}
