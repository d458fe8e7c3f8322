package bot

import (
	"fmt"
	"strings"
)

// The owner notice's texts (owner.go): what happened, by whom, when, and
// what to do if it was not asked for. Short, plain, the same in a DM and an
// e-mail, and with nothing in them that helps an attacker: no password, no
// link to one.

// noticeTime is the time in the notice: UTC, to the minute.
func noticeTime(r *Request) string {
	t := r.DoneAt
	if t.IsZero() {
		t = r.UpdatedAt
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// what says what was done to the account, in the owner's words.
func what(r *Request) string {
	switch {
	case r.UnlockOnly():
		return "was unlocked; the password was not changed"
	case r.Temporary:
		return "had its password reset; a new password must be chosen at the next sign-in"
	}
	return "had its password reset"
}

func byWhom(r *Request) string {
	s := "by " + r.Requester.Label()
	if r.Approver != nil {
		s += ", approved by " + r.Approver.Label()
	}
	return s
}

func ifNotYou(o *Org) string {
	c := strings.TrimSpace(o.Policy.NotifyOwner.Contact)
	if c == "" {
		c = "contact your IT service desk"
	}
	return strings.TrimSuffix(c, ".") + " now."
}

func noticeTitle(r *Request) string {
	if r.UnlockOnly() {
		return "Your account was unlocked"
	}
	return "Your password was reset"
}

// ownerCard is the notice to the account's owner.
func ownerCard(o *Org, r *Request) Card {
	t := fmt.Sprintf("Your %s account %s %s %s at %s.", o.Name, r.Account.Username, what(r), byWhom(r), noticeTime(r))
	t += " If you did not ask for this, " + ifNotYou(o) +
		" This message never contains a password, and IT will never ask you for yours."
	return Card{Title: noticeTitle(r), Text: t, Tone: ToneInfo, Footer: "unlockbot request " + r.ID}
}

// managerCard is the copy for the manager the directory names.
func managerCard(o *Org, r *Request) Card {
	t := fmt.Sprintf("The %s account of %s, who reports to you, %s %s at %s.", o.Name, r.Account.Label(), what(r), byWhom(r), noticeTime(r))
	t += " If they did not ask for this, " + ifNotYou(o)
	title := "Account unlocked: "
	if !r.UnlockOnly() {
		title = "Password reset: "
	}
	return Card{Title: title + r.Account.Label(), Text: t, Tone: ToneInfo, Footer: "unlockbot request " + r.ID}
}
