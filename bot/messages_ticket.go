package bot

import (
	"fmt"
	"strings"
)

func ticketSummary(r *Request) string {
	if r.UnlockOnly() {
		return "Account unlock: " + r.Account.Label()
	}
	return "Account unlock / password reset: " + r.Account.Label()
}

// ticketText is the note written to the PSA. It names people by their
// immutable ids and states the facts; the password, when asked for, is
// added by the PSA client to an internal note only.
func ticketText(r *Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Account %s — %s, by unlockbot.\n", r.Account.Label(), r.Outcome())
	fmt.Fprintf(&b, "Requested by: %s\n", r.Requester.Label())
	if r.Approver != nil {
		fmt.Fprintf(&b, "Approved by: %s\n", r.Approver.Label())
	}
	fmt.Fprintf(&b, "Reason: %s\n", r.Reason)
	fmt.Fprintf(&b, "Lockout: %s\n", lockoutLine(r.Account.Facts, r.Account.WasLocked))
	if r.setsPassword() {
		fmt.Fprintf(&b, "Must change at next logon: %s\n", yesNo(r.Temporary))
	}
	fmt.Fprintf(&b, "unlockbot request: %s", r.ID)
	return b.String()
}
