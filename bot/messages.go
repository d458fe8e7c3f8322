package bot

import "github.com/unlockbot/unlockbot/identity"

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
	return Card{Title: "Request not submitted", Text: userSentence(err) + " Run /unlock again.", Tone: ToneDanger}
}

// PickOrgFirst is the value of the one option a type-ahead offers before
// an organization is picked; submitted as a value, it is a form error.
const PickOrgFirst = "unlockbot.pick_org"

var pickOrgFirstOption = Option{Value: PickOrgFirst, Label: "Pick the organization first"}
