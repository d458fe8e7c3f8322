package teams

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/unlockbot/unlockbot/bot"
)

// Bounds on text bot/ can make long (a reason, a directory message).
// Teams has no per-element limits, only the message's 28 KB; these keep a
// card with every field at its longest (plain text) near 21 KB, room for
// the activity around it, and readable.
const (
	maxTitle       = 200
	maxText        = 3000
	maxFacts       = 24
	maxFactTitle   = 80
	maxFactValue   = 600
	maxFooter      = 500
	maxButton      = 50
	maxLabel       = 200
	maxChoiceTitle = 150
	maxPlaceholder = 150
	maxError       = 500
	maxMentionName = 100
	maxSummary     = 200
	// maxRefreshUsers is how many users Teams refreshes a card for on its
	// own; a longer userIds is ignored.
	maxRefreshUsers = 60
)

func cut(s string, n int) string {
	if len(s) <= n { // no more bytes than n: no more runes either
		return s
	}
	return bot.Truncate(s, n)
}

// mdEscaper makes text inert in Teams' TextBlock markdown: no bold or
// italics, no [text](url) link whose target the text does not show (the
// backslash escapes are CommonMark's), and no "<at>" tag, which Teams
// would draw as a mention of an entity with the same text. A zero-width
// space after "<" breaks the tag and shows nothing.
var mdEscaper = strings.NewReplacer(mdEscapes...)

var mdEscapes = []string{
	`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "`", "\\`", "~", `\~`,
	"<at", "<\u200bat", "</at", "<\u200b/at",
}

// mdSpecial are the first bytes of what mdEscaper replaces: text without
// any of them is left as it is, without a copy (most text has none).
var mdSpecial = func() string {
	var b strings.Builder
	for i := 0; i < len(mdEscapes); i += 2 {
		if c := mdEscapes[i][0]; strings.IndexByte(b.String(), c) < 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}()

// md is s, cut to n characters, as literal TextBlock text. Card text is
// user-influenced (account and display names, the typed reason), so every
// string that reaches a TextBlock or a Fact goes through here.
func md(s string, n int) string {
	s = cut(s, n)
	if strings.ContainsAny(s, mdSpecial) {
		s = mdEscaper.Replace(s)
	}
	return escapeListMarkers(s)
}

// escapeListMarkers escapes what would start a list item at the start of
// a line ("- ", "+ ", "1. ", "2) "); "*" is escaped everywhere already.
// It runs on every text of every card, so it scans rather than matches.
func escapeListMarkers(s string) string {
	var b strings.Builder
	last := 0
	for start := 0; start < len(s); {
		i := start
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		at := -1 // the byte to put a backslash before
		switch j := i; {
		case j < len(s) && (s[j] == '-' || s[j] == '+'):
			at = j
		case j < len(s) && s[j] >= '0' && s[j] <= '9':
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j < len(s) && (s[j] == '.' || s[j] == ')') {
				at = j
			}
		}
		if at >= 0 && at+1 < len(s) && (s[at+1] == ' ' || s[at+1] == '\t') {
			b.WriteString(s[last:at])
			b.WriteByte('\\')
			last = at
		}
		nl := strings.IndexByte(s[start:], '\n')
		if nl < 0 {
			break
		}
		start += nl + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func newCard(body []any, actions []execute, ents []mention) adaptiveCard {
	return adaptiveCard{Type: "AdaptiveCard", Schema: cardSchema, Version: cardVersion, Body: body, Actions: actions,
		MSTeams: msteams{Width: "Full", Entities: ents}}
}

// raw marshals a card without HTML escaping: "<at>" stays four bytes,
// not eighteen, in a message Teams caps at 28 KB.
func raw(c adaptiveCard) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil { // only Go types of this package: cannot happen
		panic("teams: marshal card: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func text(s string, n int) textBlock { return textBlock{Type: "TextBlock", Text: md(s, n), Wrap: true} }

func title(s string) textBlock {
	t := text(s, maxTitle)
	t.Weight, t.Size = "Bolder", "Medium"
	return t
}

func footer(s string) textBlock {
	t := text(s, maxFooter)
	t.IsSubtle, t.Size = true, "Small"
	return t
}

// toneStyle colours the card's container the way Slack has no way to.
func toneStyle(t bot.Tone) string {
	switch t {
	case bot.ToneInfo:
		return "accent"
	case bot.ToneGood:
		return "good"
	case bot.ToneWarning:
		return "warning"
	case bot.ToneDanger:
		return "attention"
	}
	return "default"
}

// mentions gathers the people a card names, so each is drawn by Teams
// from their Entra account: the name shown links to the real person.
type mentions struct{ list []mention }

// fact renders a field; a person becomes a mention when they are a Teams
// user with a real Entra object id, else the text value (name and id).
func (ms *mentions) fact(f bot.Field) fact {
	t := fact{Title: md(f.Label, maxFactTitle), Value: md(f.Value, maxFactValue)}
	p := f.Person
	if p == nil || p.Platform != Platform || !isObjectID(p.ID) {
		return t
	}
	name := mentionName(p.Name)
	if name == "" {
		return t
	}
	tag := "<at>" + name + "</at>"
	for _, m := range ms.list {
		if m.Text == tag && m.Mentioned.ID != p.ID {
			return t // two people of one name: a tag cannot tell them apart
		}
	}
	if !ms.has(tag) {
		ms.list = append(ms.list, mention{Type: "mention", Text: tag, Mentioned: mentioned{ID: p.ID, Name: name}})
	}
	t.Value = tag
	return t
}

func (ms *mentions) has(tag string) bool {
	for _, m := range ms.list {
		if m.Text == tag {
			return true
		}
	}
	return false
}

// mentionName is a display name fit to sit inside <at>…</at>: nothing
// that could close the tag, start markdown or open another tag.
func mentionName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune("<>[]*_`~\\", r) || r < ' ' {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(cut(s, maxMentionName))
}

// isObjectID accepts an Entra object id (a GUID, 8-4-4-4-12 hex digits),
// so nothing else can become a mention's target.
func isObjectID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F'):
			return false
		}
	}
	return true
}

// cardItems is a card's content: title, text, facts, footer.
func cardItems(c bot.Card, ms *mentions) []any {
	var items []any
	if c.Title != "" {
		items = append(items, title(c.Title))
	}
	if c.Text != "" {
		items = append(items, text(c.Text, maxText))
	}
	if len(c.Fields) > 0 {
		fs := factSet{Type: "FactSet"}
		for _, f := range c.Fields[:min(len(c.Fields), maxFacts)] {
			fs.Facts = append(fs.Facts, ms.fact(f))
		}
		items = append(items, fs)
	}
	if c.Footer != "" {
		items = append(items, footer(c.Footer))
	}
	return items
}

func buttons(c bot.Card) []execute {
	var out []execute
	for _, a := range c.Actions {
		b := execute{Type: "Action.Execute", Verb: string(a.ID), Title: cut(a.Label, maxButton), Data: map[string]string{keyRequest: a.RequestID}}
		switch a.Style {
		case bot.StylePrimary:
			b.Style = "positive"
		case bot.StyleDanger:
			b.Style = "destructive"
		}
		out = append(out, b)
	}
	return out
}

func body(c bot.Card, ms *mentions) []any {
	return []any{container{Type: "Container", Style: toneStyle(c.Tone), Items: cardItems(c, ms)}}
}

// messageCard renders a neutral card, its buttons as Action.Execute with
// verb = the action id and data {"request": id}.
func messageCard(c bot.Card) json.RawMessage {
	var ms mentions
	b := body(c, &ms)
	return raw(newCard(b, buttons(c), ms.list))
}

// approvalCard is the approval card as the channel sees it: the status
// without buttons, and a refresh that Teams runs automatically for the
// approvers listed (their MRIs), which the adapter answers with
// messageCard: each approver sees the buttons, nobody else does, and the
// server still checks the role at the click. Teams refreshes for at most
// 60 users; with more approvers (or none known) the buttons go on the
// card for everyone instead, since a card nobody can act on would stall
// the request. A card without actions (decided, done) has no refresh.
func approvalCard(c bot.Card, approverMRIs []string) json.RawMessage {
	if len(c.Actions) == 0 || len(approverMRIs) == 0 || len(approverMRIs) > maxRefreshUsers {
		return messageCard(c)
	}
	var ms mentions
	card := newCard(body(c, &ms), nil, ms.list)
	card.Refresh = refreshFor(c.Actions[0].RequestID, approverMRIs)
	return raw(card)
}

// deciderCard is the approval card as one who may act on it sees it: the
// buttons, and the channel card's refresh, so their client asks again
// when the card changes.
func deciderCard(c bot.Card, approverMRIs []string) json.RawMessage {
	var ms mentions
	card := newCard(body(c, &ms), buttons(c), ms.list)
	if len(c.Actions) > 0 && len(approverMRIs) > 0 && len(approverMRIs) <= maxRefreshUsers {
		card.Refresh = refreshFor(c.Actions[0].RequestID, approverMRIs)
	}
	return raw(card)
}

func refreshFor(requestID string, mris []string) *refresh {
	return &refresh{
		Action:  execute{Type: "Action.Execute", Verb: verbRefresh, Data: map[string]string{keyRequest: requestID}},
		UserIDs: mris,
	}
}

// sentenceCard is one sentence.
func sentenceCard(s string) json.RawMessage {
	return raw(newCard([]any{text(s, maxText)}, nil, nil))
}

// windowCard is a card shown to one person in answer to their click: the
// reveal, or a notice. It is the only renderer that reads c.Secret; the
// password goes in a text run, which Adaptive Cards never read as
// markdown, so a "*" or "_" in it shows as typed; it is never cut.
func windowCard(c bot.Card) json.RawMessage {
	var ms mentions
	var items []any
	if c.Title != "" {
		items = append(items, title(c.Title))
	}
	if c.Text != "" {
		items = append(items, text(c.Text, maxText))
	}
	if !c.Secret.IsZero() {
		items = append(items, richText{Type: "RichTextBlock", Inlines: []textRun{{Type: "TextRun", Text: c.Secret.Reveal(), FontType: "Monospace", Size: "Large"}}})
	}
	if len(c.Fields) > 0 {
		fs := factSet{Type: "FactSet"}
		for _, f := range c.Fields[:min(len(c.Fields), maxFacts)] {
			fs.Facts = append(fs.Facts, ms.fact(f))
		}
		items = append(items, fs)
	}
	if c.Footer != "" {
		items = append(items, footer(c.Footer))
	}
	closeLabel := c.Close
	if closeLabel == "" {
		closeLabel = "Close"
	}
	acts := []execute{{Type: "Action.Execute", Verb: verbClose, Title: cut(closeLabel, maxButton)}}
	return raw(newCard([]any{container{Type: "Container", Style: toneStyle(c.Tone), Items: items}}, acts, ms.list))
}

// cardSummary is the plain text of a card for the activity's summary (the
// notification and the chat list preview), never markdown.
func cardSummary(c bot.Card) string {
	s := c.Title
	if c.Text != "" {
		s += ": " + c.Text
	}
	return cut(s, maxSummary)
}

// Verbs of the Action.Execute actions the cards carry besides the bot's
// own action ids (bot.ActionApprove and the others, sent as their string).
const (
	verbRefresh = "teams.refresh" // approval card: the approver's view, with buttons
	verbSubmit  = "teams.submit"  // a form's submit: data form/context/where + the inputs
	verbCancel  = "teams.cancel"  // a form's cancel: data form/context, no inputs
	verbClose   = "teams.close"   // a window's close button
)
