package bot

import (
	"fmt"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// Texts every platform shows, written once. The adapters render them; a
// sentence here reads the same in Slack, Teams and the terminal.

// DenyForm asks an approver why, before the denial is recorded. The reason
// is optional: a denial must never wait on typing.
func DenyForm(requestID string) Form {
	return Form{
		ID: FormDeny, Title: "Deny the reset", Submit: "Deny", Cancel: "Cancel", Context: requestID,
		Fields: []FormField{{
			ID: FieldDenyReason, Label: "Reason (optional)", Widget: WidgetLongText, Optional: true,
			Placeholder: "e.g. caller could not be verified",
			Hint:        "The technician sees it in the thread and in a private message.",
		}},
	}
}

// revealCard is the only card that carries a password: shown once, to the
// requester alone, in a window that leaves nothing in the chat history.
func revealCard(r *Request, pw identity.Secret) Card {
	return Card{
		Title:  "New password",
		Text:   "New password for " + r.Account.Label() + ":",
		Secret: pw,
		Footer: "Shown once. Read it to the user; do not paste it into chat or a ticket. Closing this window discards it.",
		Close:  "Done",
	}
}

// stillWorkingCard replaces the form when the submission is still running
// as the platform's answer falls due.
func stillWorkingCard() Card {
	return Card{Title: "Submitted", Close: "Close", Tone: ToneInfo,
		Text: "Your request is still being processed. The approval message and a private message will follow; if something goes wrong, you will be told there."}
}

// notSubmittedCard tells the technician, privately, that a submission
// which outlived its form was refused or failed.
func notSubmittedCard(err error) Card {
	return Card{Title: "Request not submitted", Text: UserSentence(err) + " Run /unlock again.", Tone: ToneDanger}
}

// PickOrgFirst is the value of the one option a type-ahead offers before
// an organization is picked; submitted as a value, it is a form error.
const PickOrgFirst = "unlockbot.pick_org"

var pickOrgFirstOption = Option{Value: PickOrgFirst, Label: "Pick the organization first"}

// Cards say what happened in a few plain words and what to do next. Only
// revealCard holds a password, and only Reveal hands it to a platform.
// People are named in fields that carry the actor (a platform shows them
// as it cannot fake), never inside a sentence by their editable name.

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func person(label string, a Actor) Field {
	p := a
	return Field{Label: label, Value: a.Label(), Person: &p}
}

func requestFields(o *Org, r *Request) []Field {
	ticket := "new ticket"
	if r.Steps.TicketID != "" {
		ticket = "#" + r.Steps.TicketID
	} else if r.TicketID != "" {
		ticket = "#" + r.TicketID
	}
	lock := "not locked"
	if r.Account.WasLocked {
		lock = "locked"
	}
	fs := []Field{
		{Label: "Organization", Value: o.Name},
		{Label: "Action", Value: modeLabel(r.Mode)},
		{Label: "Account", Value: r.Account.Label() + " — " + lock},
		person("Requested by", r.Requester),
		{Label: "Ticket", Value: ticket},
	}
	if r.setsPassword() {
		pw := "typed by the technician"
		if r.Generated {
			pw = "generated, shown only to the technician"
		}
		fs = append(fs, Field{Label: "Password", Value: pw}, Field{Label: "Must change at next logon", Value: yesNo(r.Temporary)})
	}
	fs = append(fs, Field{Label: "Reason", Value: r.Reason})
	if o.Policy.Verify.On() {
		fs = append(fs, Field{Label: "Verification", Value: verifyStatus(o, r)})
	}
	return append(fs, factFields(r.Account.Facts, r.Account.WasLocked)...)
}

func modeLabel(m Mode) string {
	if m == ModeUnlock {
		return "Unlock only (password unchanged)"
	}
	return "Unlock and reset password"
}

// Label is the account as shown in cards.
func (a AccountRef) Label() string {
	if a.DisplayName == "" || a.DisplayName == a.Username {
		return a.Username
	}
	return a.DisplayName + " (" + a.Username + ")"
}

// approvalCard is the channel message; it changes with the request state.
func approvalCard(o *Org, r *Request) Card {
	title := "Password reset request: "
	if r.UnlockOnly() {
		title = "Unlock request: "
	}
	c := Card{Title: title + r.Account.Label(), Fields: requestFields(o, r), Footer: "Request " + r.ID}
	if r.Approver != nil {
		label := "Approved by"
		if r.State == StateDenied {
			label = "Denied by"
		}
		c.Fields = append(c.Fields, person(label, *r.Approver))
	}
	switch r.State {
	case StatePendingApproval:
		warn, _ := factWarning(r.Account.Facts, r.Account.WasLocked)
		c.Tone = ToneWarning
		c.Text = strings.TrimSpace(warn + fmt.Sprintf(" An approver of %s (not the requester) decides below; expires %s UTC.", o.Name, r.ExpiresAt.UTC().Format("15:04")))
		if len(missingVerification(o, r)) > 0 {
			c.Text += " Approve works once the technician has verified the caller."
		}
		c.Actions = []Action{
			{ID: ActionApprove, Label: "Approve", RequestID: r.ID, Style: StylePrimary},
			{ID: ActionDeny, Label: "Deny", RequestID: r.ID, Style: StyleDanger},
		}
	case StateApproved, StateExecuting:
		c.Tone, c.Text = ToneInfo, "Approved. Working on it…"
	case StateDone:
		c.Tone, c.Text = ToneGood, "Done: "+r.Outcome()+", verified in the directory."
		if r.Steps.TicketPending || r.Steps.TicketGaveUp {
			c.Text += " " + ticketSentence(o, r)
		}
	case StateFailed:
		c.Tone, c.Text = ToneDanger, "Not completed: "+r.Failure
		if r.Retryable {
			c.Actions = []Action{{ID: ActionRetry, Label: "Retry", RequestID: r.ID, Style: StylePrimary}}
		}
	case StateDenied:
		c.Tone, c.Text = ToneDanger, "Denied. Nothing was changed."+reasonSuffix(r.DenyReason)
	case StateExpired:
		c.Tone, c.Text = ToneDanger, "Expired without a decision. The technician can submit it again."
	}
	return c
}

// Outcome says what the reset service changed, for cards, ticket notes and
// the terminal alike.
func (r *Request) Outcome() string {
	switch {
	case r.UnlockOnly() && r.Steps.UnlockSkipped:
		return "the account was no longer locked; the password is unchanged"
	case r.UnlockOnly():
		return "account unlocked; the password is unchanged"
	case r.Steps.Unlocked:
		return "account unlocked and password reset"
	}
	return "password reset (the account was not locked)"
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return " Reason: " + reason
}

func doneCard(o *Org, r *Request) Card {
	t := fmt.Sprintf("%s can sign in again.", r.Account.Label())
	if r.Account.Facts.LockoutHidden {
		t = fmt.Sprintf("%s has a new password and was signed out everywhere. A smart lockout in Entra ID ends by itself, usually within a minute.", r.Account.Label())
	}
	switch {
	case r.UnlockOnly():
		t = fmt.Sprintf("%s can sign in again with their current password.", r.Account.Label())
	case r.Temporary:
		t += " They must choose a new password at next sign-in."
	}
	t += " " + ticketSentence(o, r)
	title, tone := "✅ Reset complete", ToneGood
	if r.UnlockOnly() {
		title = "✅ Unlock complete"
	}
	if r.Steps.Warning != "" {
		t, tone = t+" "+r.Steps.Warning, ToneWarning
	}
	return Card{Title: title, Text: t, Tone: tone, Footer: "Request " + r.ID}
}

// privateDoneCard goes to the requester only. It offers the password behind
// a button rather than in the message, so it never sits in chat history.
func privateDoneCard(o *Org, r *Request) Card {
	c := doneCard(o, r)
	switch {
	case r.UnlockOnly():
	case r.Generated:
		c.Text += " Press Reveal password to see the new password, then read it to the user. It is shown once only: if the window does not open, submit a new request with /unlock (it needs a new approval)."
		c.Actions = []Action{{ID: ActionReveal, Label: "Reveal password", RequestID: r.ID, Style: StylePrimary}}
	default:
		c.Text += " Give the user the password you typed."
	}
	return c
}

func denyCard(r *Request) Card {
	c := Card{Title: "Request denied", Text: fmt.Sprintf("The request for %s was denied. Nothing was changed.%s", r.Account.Label(), reasonSuffix(r.DenyReason)),
		Tone: ToneDanger, Footer: "Request " + r.ID}
	if r.Approver != nil {
		c.Fields = []Field{person("Denied by", *r.Approver)}
	}
	return c
}

func expiredCard(r *Request) Card {
	return Card{Title: "Request expired", Text: fmt.Sprintf("Nobody decided on the request for %s in time. Nothing was changed; submit it again with /unlock.", r.Account.Label()), Tone: ToneWarning, Footer: "Request " + r.ID}
}

func failedCard(r *Request) Card {
	c := Card{Title: "Not completed", Text: r.Failure, Tone: ToneDanger, Footer: "Request " + r.ID}
	if r.Retryable {
		c.Text += " Press Retry to continue; steps already done are not repeated."
		c.Actions = []Action{{ID: ActionRetry, Label: "Retry", RequestID: r.ID, Style: StylePrimary}}
	}
	return c
}

func tamperCard(id string) Card {
	return Card{Title: "⚠️ Tampered request refused", Tone: ToneDanger, Footer: "Request " + id,
		Text: "The stored record of request " + id + " failed its integrity check, so unlockbot will not act on it. " +
			"Someone who can write to unlockbot's Redis may have changed it: check who can reach Redis, and the audit trail."}
}
