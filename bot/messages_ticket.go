package bot

import (
	"fmt"
	"strings"
	"time"
)

func ticketSummary(r *Request) string {
	if r.UnlockOnly() {
		return "Account unlock: " + r.Account.Label()
	}
	return "Account unlock / password reset: " + r.Account.Label()
}

// ticketText is the note written to the PSA: who asked, who approved,
// why, what was verified, what was done and when, and where in the chat.
// It names people by their immutable ids; the password, when asked for,
// is added by the PSA client to an internal note only.
func ticketText(r *Request, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Account %s — %s, by unlockbot, %s UTC.\n", r.Account.Label(), r.Outcome(), now.UTC().Format("2006-01-02 15:04"))
	fmt.Fprintf(&b, "Requested by: %s\n", r.Requester.Label())
	if r.Approver != nil {
		fmt.Fprintf(&b, "Approved by: %s\n", r.Approver.Label())
	}
	fmt.Fprintf(&b, "Reason (how the caller was verified): %s\n", r.Reason)
	if len(r.Verify.Passed) > 0 {
		fmt.Fprintf(&b, "Caller verified by unlockbot: %s\n", methodList(r.Verify.Passed))
	}
	fmt.Fprintf(&b, "Lockout: %s\n", lockoutLine(r.Account.Facts, r.Account.WasLocked))
	if r.Steps.Verified {
		fmt.Fprintf(&b, "Checked in the directory afterwards: %s\n", verifiedLine(r))
	}
	if r.setsPassword() {
		fmt.Fprintf(&b, "Must change at next logon: %s\n", yesNo(r.Temporary))
	}
	if r.Steps.Warning != "" {
		fmt.Fprintf(&b, "Still to do by hand: %s\n", r.Steps.Warning)
	}
	if r.ApprovalMsg != nil && r.ApprovalMsg.Link != "" {
		fmt.Fprintf(&b, "Chat: %s\n", r.ApprovalMsg.Link)
	}
	fmt.Fprintf(&b, "unlockbot request: %s", r.ID)
	return b.String()
}

// ticketDescription is the text of a ticket unlockbot creates: what was
// done and when, nothing more. A ticket's description may reach its
// contact (a board's e-mail, a portal); who asked, who approved and how
// the caller was verified go in the internal note.
func ticketDescription(r *Request, now time.Time) string {
	return fmt.Sprintf("Account %s — %s, by unlockbot, %s UTC. The details are in the internal note.\nunlockbot request: %s",
		r.Account.Label(), r.Outcome(), now.UTC().Format("2006-01-02 15:04"), r.ID)
}

// verifiedLine says what the read-back proved.
func verifiedLine(r *Request) string {
	if r.Steps.Unproven {
		return "the directory shows the new password set (it cannot test a sign-in with it)"
	}
	if r.setsPassword() {
		return "the account is unlocked and the new password signs in"
	}
	return "the account is unlocked"
}
