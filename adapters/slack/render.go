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

// Block and callback ids of what the adapter draws itself: the picked
// account's facts in the form, and the windows that show a card (the
// password, a notice). Nothing is submitted from those windows.
const (
	factsBlock     = "account_facts"
	callbackReveal = "slack.password_window"
	callbackNotice = "slack.notice_window"
)

func cut(s string, n int) string { return bot.Truncate(s, n) }

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

// windowView shows a card in a modal: the password (the only place one is
// ever sent to Slack, to its requester, once) or a notice that replaces a
// form. The password is plain text, so no character of it is read as
// formatting.
func windowView(c bot.Card) slack.ModalViewRequest {
	closeLabel := c.Close
	if closeLabel == "" {
		closeLabel = "Close"
	}
	var blocks []slack.Block
	if c.Text != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(esc(c.Text), maxSectionText), nil, nil))
	}
	if !c.Secret.IsZero() {
		blocks = append(blocks, slack.NewSectionBlock(plain(c.Secret.Reveal(), maxSectionText), nil, nil))
	}
	if c.Footer != "" {
		blocks = append(blocks, slack.NewContextBlock("", plain(c.Footer, maxContextText)))
	}
	callback := callbackNotice
	if !c.Secret.IsZero() {
		callback = callbackReveal
	}
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      plain(c.Title, maxViewTitle),
		Close:      plain(closeLabel, maxViewTitle),
		CallbackID: callback,
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

func windowViewPtr(c bot.Card) *slack.ModalViewRequest { v := windowView(c); return &v }

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
