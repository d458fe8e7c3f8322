package bot

import (
	"fmt"
	"strings"
	"time"
)

// repeatUnlocks is when the unlock history becomes a warning: an account
// unlocked twice in a week usually has a device trying an old password.
const repeatUnlocks = 2

func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// factFields are the lockout facts as card fields, in the order a
// technician reads them: is it locked, why, how old is the password, is
// the person active, has this happened before.
func factFields(f Facts, locked bool) []Field {
	lock := "no"
	if f.LockoutHidden {
		lock = "not visible in Entra ID"
	} else if locked {
		lock = "yes"
		if !f.LockedAt.IsZero() {
			lock = "since " + when(f.LockedAt)
		}
	}
	bad := fmt.Sprint(f.BadCount)
	if !f.LastBadAt.IsZero() {
		bad += ", last " + when(f.LastBadAt)
	}
	if f.LockoutHidden {
		bad = "not visible in Entra ID"
	}
	pw := "must change at next logon"
	if !f.PasswordLastSet.IsZero() {
		pw = when(f.PasswordLastSet)
	}
	if !f.PasswordExpires.IsZero() {
		pw += "; expires " + when(f.PasswordExpires)
	}
	logon := "not recorded"
	if !f.LastLogon.IsZero() {
		logon = when(f.LastLogon)
	}
	return []Field{
		{Label: "Locked", Value: lock},
		{Label: "Bad passwords", Value: bad},
		{Label: "Password set", Value: pw},
		{Label: "Last logon", Value: logon},
		{Label: "Unlocked by unlockbot (7 days)", Value: fmt.Sprintf("%d×", f.UnlocksThisWeek)},
	}
}

// smartLockout is the helpdesk truth about Entra ID lockouts.
const smartLockout = "Entra ID does not show or clear smart lockouts. A password reset signs the user out everywhere; " +
	"or wait: the lockout ends by itself after a minute, longer after repeated failures."

// syncedNote says where a hybrid account's password is written.
const syncedNote = "Synced from on-premises AD: unlockbot unlocks and resets it there. Entra ID gets the new password " +
	"with the next password hash sync (about 2 minutes); password write-back is not involved."

// factWarning is the sentence that should make an approver stop and ask.
func factWarning(f Facts, locked bool) (string, Tone) {
	var w []string
	if f.UnlocksThisWeek >= repeatUnlocks {
		w = append(w, fmt.Sprintf("Unlocked %d× this week: a device (phone, mapped drive, service) may hold an old password.", f.UnlocksThisWeek))
	}
	if f.Synced {
		w = append(w, syncedNote)
	}
	switch {
	case f.LockoutHidden:
		w = append(w, smartLockout)
	case !locked:
		w = append(w, "The account is not locked now.")
	}
	if len(w) == 0 {
		return "", ToneInfo
	}
	return strings.Join(w, " "), ToneWarning
}

// lockoutLine is the facts in one line for a ticket note.
func lockoutLine(f Facts, locked bool) string {
	var parts []string
	if f.LockoutHidden {
		parts = append(parts, "lockout not visible in Entra ID")
	} else if locked {
		s := "locked"
		if !f.LockedAt.IsZero() {
			s += " since " + when(f.LockedAt)
		}
		parts = append(parts, s)
	} else if !f.LockoutHidden {
		parts = append(parts, "not locked")
	}
	if !f.LockoutHidden {
		parts = append(parts, fmt.Sprintf("%d bad passwords", f.BadCount))
	}
	if f.UnlocksThisWeek > 0 {
		parts = append(parts, fmt.Sprintf("unlocked %d× by unlockbot in the last 7 days", f.UnlocksThisWeek))
	}
	return strings.Join(parts, ", ")
}

// FactsText is the account's lockout facts as read at submit, in one line,
// for a terminal (`unlockbot reset`) where no card is drawn.
func (a AccountRef) FactsText() string {
	var parts []string
	for _, f := range factFields(a.Facts, a.WasLocked) {
		parts = append(parts, f.Label+": "+f.Value)
	}
	return strings.Join(parts, "; ")
}
