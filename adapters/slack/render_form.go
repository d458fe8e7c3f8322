package slack

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/unlockbot/unlockbot/bot"
)

// renderForm turns a neutral form into a modal. The callback id is the
// form id and block and action ids are the bot.FieldID values, so the
// submission comes back to its form and validation errors land on the
// field. facts, when set, is the picked account's card, shown under the
// account field (see accountFactsBlocks).
func renderForm(f bot.Form, channel string, facts *bot.Card) slack.ModalViewRequest {
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(f.Title, maxViewTitle),
		Submit:          plain(f.Submit, maxViewTitle),
		Close:           plain(f.Cancel, maxViewTitle),
		CallbackID:      string(f.ID),
		PrivateMetadata: formMetadata(f, channel),
	}
	for _, fd := range f.Fields {
		id := string(fd.ID)
		var el slack.BlockElement
		hint := fd.Hint
		switch fd.Widget {
		case bot.WidgetSelect:
			var opts []*slack.OptionBlockObject
			for _, o := range fd.Options {
				opts = append(opts, option(o))
			}
			s := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose…", 150), id, opts...)
			if fd.Initial != nil {
				s.InitialOption = option(*fd.Initial)
			}
			el = s
		case bot.WidgetTypeahead:
			s := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, plain("Type to search…", 150), id)
			mq := fd.MinQuery
			s.MinQueryLength = &mq
			if fd.Initial != nil {
				s.InitialOption = option(*fd.Initial)
			}
			el = s
		case bot.WidgetText, bot.WidgetSecret:
			t := slack.NewPlainTextInputBlockElement(nil, id)
			t.MaxLength = 256
			if fd.Widget == bot.WidgetSecret {
				// Slack has no masked input: say so next to the field.
				hint = strings.TrimSpace(hint + " Slack shows what you type here; leave it empty to have a strong one generated.")
			} else if fd.Initial != nil {
				t.InitialValue = fd.Initial.Value
			}
			el = t
		case bot.WidgetLongText:
			var ph *slack.TextBlockObject
			if fd.Placeholder != "" {
				ph = plain(fd.Placeholder, 150)
			}
			t := slack.NewPlainTextInputBlockElement(ph, id)
			t.Multiline, t.MaxLength = true, 500
			el = t
		case bot.WidgetCheckbox:
			o := slack.NewOptionBlockObject(bot.CheckedValue, plain(fd.Label, maxOptionText), nil)
			c := slack.NewCheckboxGroupsBlockElement(id, o)
			if fd.Checked {
				c.InitialOptions = []*slack.OptionBlockObject{o}
			}
			el = c
		default:
			continue
		}
		label := fd.Label
		if fd.Widget == bot.WidgetCheckbox && fd.Heading != "" {
			label = fd.Heading
		}
		var h *slack.TextBlockObject
		if hint != "" {
			h = plain(hint, maxLabel)
		}
		in := slack.NewInputBlock(id, plain(label, maxLabel), h, el)
		in.Optional = fd.Optional || fd.Widget == bot.WidgetCheckbox
		// A live field tells us when it changes (a block_actions event),
		// so the account's facts can be shown as soon as it is picked.
		in.DispatchAction = fd.Live
		v.Blocks.BlockSet = append(v.Blocks.BlockSet, in)
		if fd.ID == bot.FieldAccount && facts != nil {
			v.Blocks.BlockSet = append(v.Blocks.BlockSet, accountFactsBlocks(*facts)...)
		}
	}
	return v
}

// accountFactsBlocks shows what the directory says about the picked
// account, right under the field, before anything is submitted: locked
// since when, bad passwords, the password's age, the last logon, earlier
// unlocks, or why unlockbot would refuse it.
func accountFactsBlocks(c bot.Card) []slack.Block {
	text := "*" + esc(c.Title) + "*"
	if c.Text != "" {
		mark := "⚠️ "
		if c.Tone == bot.ToneDanger {
			mark = "⛔ "
		}
		text += "\n" + mark + esc(c.Text)
	}
	var fs []*slack.TextBlockObject
	for _, f := range c.Fields {
		if len(fs) == maxFieldsPerSect {
			break
		}
		fs = append(fs, mrkdwn("*"+esc(f.Label)+"*\n"+fieldValue(f), maxFieldText))
	}
	return []slack.Block{slack.NewSectionBlock(mrkdwn(text, maxSectionText), fs, nil, slack.SectionBlockOptionBlockID(factsBlock))}
}
