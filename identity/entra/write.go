package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// maxPasswordLen is Entra's limit for a cloud password.
const maxPasswordLen = 256

// UnlockSentence is the helpdesk truth about Entra lockouts.
const UnlockSentence = "Entra ID does not let an admin clear a smart lockout. Reset the password (which also signs the user out everywhere), or wait: the lockout ends by itself after a minute, longer after repeated failures."

// Unlock cannot be done: Graph has no operation that clears a smart
// lockout, and the lockout is not even visible. The error is final
// (identity.ErrUnsupported) and says what the technician can do instead.
func (d *Directory) Unlock(ctx context.Context, acct identity.Account) error {
	const op = "entra.(*Directory).Unlock"
	return identity.E(op, identity.KindInvalid, UnlockSentence, identity.ErrUnsupported)
}

// passwordProfile is the only body SetPassword sends.
type passwordProfile struct {
	Password          string `json:"password"`
	ForceChange       bool   `json:"forceChangePasswordNextSignIn"`
	ForceChangeWithMF *bool  `json:"forceChangePasswordNextSignInWithMfa,omitempty"`
}

// SetPassword writes passwordProfile (PATCH /users/{id}); c.Temporary sets
// forceChangePasswordNextSignIn, or, with Config.ForceChangeWithMFA,
// forceChangePasswordNextSignInWithMfa too. Then, unless RevokeSessions is
// off, it signs the user out everywhere (revokeSignInSessions), so a session
// an attacker holds ends with the old password.
//
// c.Unlock cannot be honoured: Entra's smart lockout is neither visible
// nor clearable through Graph. The write goes ahead; Verify reports
// LockHidden so the flow can say the lockout was not (and could not be)
// touched.
//
// A synced (hybrid) account is refused before anything is sent: its
// password belongs to on-premises AD (the wiring routes it there); Graph
// itself refuses it when password write-back is off, and overwrites it on
// the next sync when it is on.
//
// The PATCH is retried only on 429 (Graph did nothing); a 503/504 is
// returned as unavailable and the flow's read-back of the password stamp
// decides whether to write again. A revoke that fails after the password
// was set is a KindPartial error wrapping identity.ErrPartial: the
// password must not be written again.
func (d *Directory) SetPassword(ctx context.Context, acct identity.Account, c identity.PasswordChange) error {
	const op = "entra.(*Directory).SetPassword"
	path, err := d.target(op, acct)
	if err != nil {
		return err
	}
	if acct.Synced {
		return identity.E(op, identity.KindForbidden,
			acct.Username+" is synced from on-premises Active Directory: reset it in AD; a cloud reset would be overwritten or refused.",
			identity.ErrSynced)
	}
	pw := c.Password.Reveal()
	if pw == "" || len([]rune(pw)) > maxPasswordLen || checkText(pw) != nil {
		return identity.E(op, identity.KindInvalid, fmt.Sprintf("The new password must be 1 to %d characters without control characters.", maxPasswordLen),
			fmt.Errorf("%w: password shape", identity.ErrPolicy))
	}
	prof := passwordProfile{Password: pw, ForceChange: c.Temporary}
	if c.Temporary && d.cfg.ForceChangeWithMFA {
		t := true
		prof.ForceChangeWithMF = &t
	}
	err = d.do(ctx, call{method: http.MethodPatch, path: path, body: map[string]any{"passwordProfile": prof}}, nil)
	if err != nil {
		return identity.Scrub(classify(op, actSetPassword, err), pw)
	}
	if !d.cfg.revoke() {
		return nil
	}
	err = d.do(ctx, call{method: http.MethodPost, path: path + "/revokeSignInSessions"}, nil)
	if err != nil {
		why := "Microsoft Graph did not answer"
		var ce *identity.Error
		if errors.As(classify(op, actRevoke, err), &ce) {
			why = strings.TrimSuffix(ce.Safe, ".")
		}
		return identity.E(op, identity.KindPartial,
			"The password of "+acct.Username+" WAS set, but signing the user out of existing sessions failed ("+why+"). Do not reset again: revoke the sessions in Entra admin center → Users → "+acct.Username+" → Revoke sessions.",
			fmt.Errorf("%w: revokeSignInSessions: %w", identity.ErrPartial, err))
	}
	return nil
}

// Verify reads the account back. Graph cannot prove a password without
// signing in as the user (the ROPC grant), which unlockbot will not do: it
// needs the password in a token request and fails for MFA users anyway.
// What it proves instead: lastPasswordChangeDateTime moved past the stamp
// recorded before the write (acct.PasswordStamp). Only then is
// PasswordCheckSkip set ("not proven by sign-in, shown by read-back"); a
// stamp that did not move leaves both PasswordWorks and PasswordCheckSkip
// false, and the flow retries the read.
//
// MustChange is the value requested: Graph does not return
// passwordProfile. Unlocked is true with LockHidden: Graph shows no lockout.
func (d *Directory) Verify(ctx context.Context, acct identity.Account, password identity.Secret, temporary bool) (identity.Verification, error) {
	const op = "entra.(*Directory).Verify"
	v := identity.Verification{Unlocked: true, LockHidden: true, BadCountCleared: true}
	path, err := d.target(op, acct)
	if err != nil {
		return identity.Verification{}, err
	}
	var u user
	if err := d.do(ctx, call{method: http.MethodGet, path: path, query: url.Values{"$select": {userSelect}}, idempotent: true}, &u); err != nil {
		return identity.Verification{}, classify(op, actReadUsers, err)
	}
	if password.IsZero() {
		v.PasswordCheckSkip = true
		return v, nil
	}
	moved := u.LastPasswordChanged != "" && u.LastPasswordChanged != acct.PasswordStamp
	v.PasswordCheckSkip = moved
	v.MustChange = moved && temporary
	return v, nil
}
