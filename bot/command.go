package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
)

// Picker limits keep type-ahead answers inside Slack's 100-option cap and
// fast enough to feel instant.
const (
	maxPickerOptions = 25
	maxQueryLen      = 64
)

// FormAhead reports whether a's "unlock" may be answered with the form
// while the platform still checks that the message is not a replay: a
// technician the config names (no directory or store is asked), since the
// form changes nothing and goes only to the person who asked, and the
// adapter takes it back if the check fails. Self-service, sentences and
// refusals wait for the check.
func (s *Service) FormAhead(a Actor) bool {
	return a.ID != "" && len(s.OrgsFor(a)) > 0
}

// NewForm builds the request form for an actor. The channel preselects the
// org that owns it; account prefills the account field ("/unlock alice").
// Someone who serves no org is refused, and the refusal is audited.
func (s *Service) NewForm(ctx context.Context, a Actor, channel, account string) (Form, error) {
	orgs := s.OrgsFor(a)
	if len(orgs) == 0 {
		_ = s.append(ctx, audit.Event{Time: s.now().UTC(), Type: "request.refused", Outcome: audit.Refused, Actor: a.Key(), ActorName: a.Name, Platform: a.Platform,
			Target: strings.TrimSpace(account), Detail: map[string]string{"why": "not_technician", "channel": channel}})
		return Form{}, errorf("bot.NewForm", KindForbidden, nil, "You are not a technician for any organization. Ask an unlockbot admin to add you.")
	}
	orgField := FormField{ID: FieldOrg, Label: "Organization", Widget: WidgetSelect}
	for _, o := range orgs {
		orgField.Options = append(orgField.Options, Option{Value: o.ID, Label: o.Name})
	}
	if o := s.OrgForChannel(a.Platform, channel); o != nil && o.IsTechnician(a) {
		orgField.Initial = &Option{Value: o.ID, Label: o.Name}
	} else if len(orgs) == 1 {
		orgField.Initial = &orgField.Options[0]
	}
	acct := FormField{ID: FieldAccount, Label: "Account", Widget: WidgetTypeahead, Hint: "Type a name; locked accounts are listed first.", MinQuery: 0, Live: true}
	if account = strings.TrimSpace(account); account != "" && len(account) <= maxQueryLen {
		acct.Initial = &Option{Value: account, Label: account}
	}
	return Form{
		ID:     FormRequest,
		Title:  "Unlock an account",
		Submit: "Submit",
		Cancel: "Cancel",
		Fields: []FormField{
			orgField,
			{ID: FieldMode, Label: "What to do", Widget: WidgetSelect, Options: modeOptions, Initial: &modeOptions[0],
				Hint: "Unlock only keeps the user's current password: leave New password empty."},
			{ID: FieldTicket, Label: "Existing ticket", Widget: WidgetTypeahead, Optional: true, Hint: "Leave empty to create a new ticket."},
			acct,
			{ID: FieldPassword, Label: "New password", Widget: WidgetSecret, Optional: true, Hint: "Leave empty to generate one; it is shown only to you."},
			{ID: FieldTemporary, Label: "Password is temporary (must change at next logon)", Widget: WidgetCheckbox, Checked: true, Heading: "Temporary password"},
			{ID: FieldNote, Label: "Add the new password to the ticket (internal note)", Widget: WidgetCheckbox, Heading: "Ticket note"},
			{ID: FieldReason, Label: "Reason", Widget: WidgetLongText, Hint: "How did you verify the caller? e.g. called back on the number in the HR record."},
		},
	}, nil
}

// modeOptions are the two things a technician can ask for; resetting is
// the common case, so it comes first.
var modeOptions = []Option{
	{Value: string(ModeReset), Label: "Unlock and reset password"},
	{Value: string(ModeUnlock), Label: "Unlock only"},
}

// pickerQuery checks the actor serves the org and bounds the query: a
// type-ahead asks on every keystroke, and nobody types 64 characters.
func (s *Service) pickerQuery(op string, a Actor, orgID, query string) (*Org, string, error) {
	o, err := s.techOrg(op, a, orgID)
	if err != nil {
		return nil, "", err
	}
	if len(query) > maxQueryLen {
		query = query[:maxQueryLen]
	}
	return o, strings.TrimSpace(query), nil
}

// AccountOptions answers the account type-ahead.
func (s *Service) AccountOptions(ctx context.Context, a Actor, orgID, query string) ([]Option, error) {
	o, query, err := s.pickerQuery("bot.AccountOptions", a, orgID, query)
	if err != nil {
		return nil, err
	}
	accts, err := o.Directory.Search(ctx, query, maxPickerOptions)
	if err != nil {
		return nil, err
	}
	out := make([]Option, 0, len(accts))
	for _, ac := range accts {
		out = append(out, Option{Value: ac.Username, Label: accountOptionLabel(ac)})
	}
	return out, nil
}

func accountOptionLabel(a identity.Account) string {
	switch {
	case a.Disabled:
		return "⛔ " + a.Label() + " — disabled"
	case a.Lock.Locked:
		return "🔒 " + a.Label() + " — locked"
	default:
		return a.Label()
	}
}

// TicketOptions answers the ticket type-ahead with the org's open tickets.
func (s *Service) TicketOptions(ctx context.Context, a Actor, orgID, query string) ([]Option, error) {
	o, query, err := s.pickerQuery("bot.TicketOptions", a, orgID, query)
	if err != nil {
		return nil, err
	}
	ts, err := o.Tickets.ListOpen(ctx, o.PSACompanyID, query, maxPickerOptions)
	if err != nil {
		return nil, err
	}
	out := make([]Option, 0, len(ts))
	for _, t := range ts {
		num := t.Number
		if num == "" {
			num = t.ID
		}
		out = append(out, Option{Value: t.ID, Label: Truncate(fmt.Sprintf("#%s %s", num, t.Summary), 75)})
	}
	return out, nil
}

// Truncate cuts s to n characters (runes), the last an ellipsis: platforms
// refuse text over their limits, and a cut sentence beats a lost message.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Suggest answers a type-ahead field of the request form for the org
// picked in it. Before an org is picked it offers one option saying so;
// a failed lookup is an empty list (platforms show no text for a failed
// type-ahead), with its reason in the log.
func (s *Service) Suggest(ctx context.Context, a Actor, orgID string, field FieldID, query string) []Option {
	if orgID == "" {
		return []Option{pickOrgFirstOption}
	}
	var (
		opts []Option
		err  error
	)
	switch field {
	case FieldAccount:
		opts, err = s.AccountOptions(ctx, a, orgID, query)
	case FieldTicket:
		opts, err = s.TicketOptions(ctx, a, orgID, query)
	}
	if err != nil {
		s.log.Warn().Err(err).Str("actor", a.Key()).Str("org", orgID).Str("field", string(field)).Msg("type-ahead failed")
		return nil
	}
	return opts
}

// PickedFacts is AccountCard for a form being filled in: the card under the
// account field once one is picked. In a flood its redraws are shed
// (factsMaxRate), reported as false, like a refusal: the form works
// without it and the approval card carries the facts read at submit.
func (s *Service) PickedFacts(ctx context.Context, a Actor, orgID, account string) (Card, bool) {
	if orgID == "" || strings.TrimSpace(account) == "" {
		return Card{}, false
	}
	if !s.factsGate.allow(s.now()) {
		s.log.Debug().Str("actor", a.Key()).Msg("account facts shed: too many this second")
		return Card{}, false
	}
	c, err := s.AccountCard(ctx, a, orgID, account)
	if err != nil {
		s.log.Info().Str("actor", a.Key()).Str("why", UserSentence(err)).Msg("account facts not shown")
		return Card{}, false
	}
	return c, true
}

// FieldChanged answers a live field's change in an open form (Live: the
// account picked): the card to show with the form, its facts, or nil when
// there is nothing to redraw.
func (s *Service) FieldChanged(ctx context.Context, f FormReply, field FieldID) *Card {
	if f.Form != FormRequest || field != FieldAccount {
		return nil
	}
	c, ok := s.PickedFacts(ctx, s.complete(ctx, f.Actor), f.Values[FieldOrg], f.Values[FieldAccount])
	if !ok {
		return nil
	}
	return &c
}
