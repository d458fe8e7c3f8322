package bot

import (
	"fmt"
	"strings"
)

// Cards say what happened in a few plain words and what to do next. None of
// them ever holds a password: the only path for one is RevealPassword.

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
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
	pw := "typed by technician"
	if r.Generated {
		pw = "generated, shown only to the technician"
	}
	return []Field{
		{"Organization", o.Name},
		{"Account", r.Account.Label() + " — " + lock},
		{"Requested by", r.Requester.Label()},
		{"Ticket", ticket},
		{"Password", pw},
		{"Must change at next logon", yesNo(r.Temporary)},
		{"Reason", r.Reason},
	}
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
	c := Card{Title: "Password reset request: " + r.Account.Label(), Fields: requestFields(o, r), Footer: "Request " + r.ID}
	by := ""
	if r.Approver != nil {
		by = r.Approver.Label()
	}
	switch r.State {
	case StatePendingApproval:
		c.Tone = ToneWarning
		c.Text = fmt.Sprintf("%s asks to unlock and reset this account. An approver of %s (not the requester) decides below; expires %s UTC.", r.Requester.Label(), o.Name, r.ExpiresAt.UTC().Format("15:04"))
		c.Actions = []Action{
			{ID: ActionApprove, Label: "Approve", RequestID: r.ID, Style: StylePrimary},
			{ID: ActionDeny, Label: "Deny", RequestID: r.ID, Style: StyleDanger},
		}
	case StateApproved, StateExecuting:
		c.Tone, c.Text = ToneInfo, "Approved by "+by+". Resetting now…"
	case StateDone:
		c.Tone, c.Text = ToneGood, doneSentence(r, by)
	case StateFailed:
		c.Tone, c.Text = ToneDanger, "Not completed: "+r.Failure
		if r.Retryable {
			c.Actions = []Action{{ID: ActionRetry, Label: "Retry", RequestID: r.ID, Style: StylePrimary}}
		}
	case StateDenied:
		c.Tone, c.Text = ToneDanger, "Denied by "+by+"."+reasonSuffix(r.DenyReason)
	case StateExpired:
		c.Tone, c.Text = ToneDanger, "Expired without a decision. The technician can submit it again."
	}
	return c
}

func doneSentence(r *Request, by string) string {
	var did []string
	if r.Steps.Unlocked {
		did = append(did, "unlocked")
	}
	did = append(did, "password reset")
	s := "Done: " + strings.Join(did, " and ") + ", verified in the directory"
	if by != "" {
		s += "; approved by " + by
	}
	return s + "."
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return " Reason: " + reason
}

func doneCard(o *Org, r *Request) Card {
	t := fmt.Sprintf("%s can sign in again.", r.Account.Label())
	if r.Temporary {
		t += " They must choose a new password at next sign-in."
	}
	if r.Steps.TicketCreated {
		t += fmt.Sprintf(" Ticket #%s created and resolved.", r.Steps.TicketID)
	} else {
		t += fmt.Sprintf(" Internal note added to ticket #%s.", r.Steps.TicketID)
	}
	return Card{Title: "✅ Reset complete", Text: t, Tone: ToneGood, Footer: "Request " + r.ID}
}

// privateDoneCard goes to the requester only. It offers the password behind
// a button rather than in the message, so it never sits in chat history.
func privateDoneCard(o *Org, r *Request) Card {
	c := doneCard(o, r)
	if r.Generated {
		c.Text += " Press Reveal password to see the new password once, then read it to the user."
		c.Actions = []Action{{ID: ActionReveal, Label: "Reveal password", RequestID: r.ID, Style: StylePrimary}}
	} else {
		c.Text += " Give the user the password you typed."
	}
	return c
}

func denyCard(r *Request) Card {
	by := ""
	if r.Approver != nil {
		by = r.Approver.Label()
	}
	return Card{Title: "Request denied", Text: fmt.Sprintf("%s denied the reset of %s.%s Nothing was changed.", by, r.Account.Label(), reasonSuffix(r.DenyReason)), Tone: ToneDanger, Footer: "Request " + r.ID}
}

func expiredCard(r *Request) Card {
	return Card{Title: "Request expired", Text: fmt.Sprintf("Nobody decided on the reset of %s in time. Nothing was changed; submit it again with /unlock.", r.Account.Label()), Tone: ToneWarning, Footer: "Request " + r.ID}
}

func failedCard(r *Request) Card {
	c := Card{Title: "Reset not completed", Text: r.Failure, Tone: ToneDanger, Footer: "Request " + r.ID}
	if r.Retryable {
		c.Text += " Press Retry to continue; steps already done are not repeated."
		c.Actions = []Action{{ID: ActionRetry, Label: "Retry", RequestID: r.ID, Style: StylePrimary}}
	}
	return c
}

// ticketText is the note written to the PSA. It names people and facts;
// the password, when asked for, is added by the PSA client to an internal
// note only.
func ticketText(r *Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Account %s: unlocked and password reset by unlockbot.\n", r.Account.Label())
	fmt.Fprintf(&b, "Requested by: %s\n", r.Requester.Label())
	if r.Approver != nil {
		fmt.Fprintf(&b, "Approved by: %s\n", r.Approver.Label())
	}
	fmt.Fprintf(&b, "Reason: %s\n", r.Reason)
	fmt.Fprintf(&b, "Must change at next logon: %s\n", yesNo(r.Temporary))
	fmt.Fprintf(&b, "unlockbot request: %s", r.ID)
	return b.String()
}
