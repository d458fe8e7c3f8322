package ldap

import (
	"context"
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// maxPasswordLen is AD's limit for unicodePwd; generic LDAP accepts it too.
const maxPasswordLen = 256

// refuseInsecure stops a write (or a bind with a user's password) before
// anything is sent when the transport is not encrypted.
func (d *Directory) refuseInsecure(op string) error {
	if d.secure() {
		return nil
	}
	return identity.E(op, identity.KindForbidden,
		"The bot refuses to change accounts over an unencrypted connection; configure ldaps:// or start_tls.",
		identity.ErrInsecure)
}

// Unlock clears the lockout. AD: lockoutTime := 0 (the only value a client
// may write). LDAP: delete pwdAccountLockedTime; an account that is not
// locked is left as it is. userAccountControl is never
// touched, so a disabled account stays disabled.
func (d *Directory) Unlock(ctx context.Context, acct identity.Account) error {
	const op = "ldap.(*Directory).Unlock"
	if err := d.refuseInsecure(op); err != nil {
		return err
	}
	dn, err := d.target(op, acct)
	if err != nil {
		return err
	}
	err = d.with(ctx, func(c *ldap.Conn) error {
		if d.cfg.Kind == KindAD {
			req := ldap.NewModifyRequest(dn, nil)
			req.Replace("lockoutTime", []string{"0"})
			return c.Modify(req)
		}
		// ppolicy clears pwdFailureTime itself when pwdAccountLockedTime is
		// deleted; pwdFailureTime cannot be written by a client.
		req := ldap.NewModifyRequest(dn, nil)
		req.Delete("pwdAccountLockedTime", nil)
		if err := c.Modify(req); err != nil && !ldap.IsErrorWithCode(err, codeNoSuchAttribute) {
			return err
		}
		return nil
	})
	return d.classify(op, actUnlock, err)
}

// SetPassword replaces the password; temporary means "must change at next
// logon". AD: one modify that replaces unicodePwd and sets pwdLastSet to 0
// (must change) or -1 (now), so the two never disagree. LDAP: the Password
// Modify extended operation (the server hashes), then pwdReset.
func (d *Directory) SetPassword(ctx context.Context, acct identity.Account, password identity.Secret, temporary bool) error {
	const op = "ldap.(*Directory).SetPassword"
	if err := d.refuseInsecure(op); err != nil {
		return err
	}
	dn, err := d.target(op, acct)
	if err != nil {
		return err
	}
	pw := password.Reveal()
	if err := checkPassword(pw); err != nil {
		return identity.E(op, identity.KindInvalid, "The new password "+err.Error()+".", fmt.Errorf("%w: password %w", identity.ErrPolicy, err))
	}
	err = d.with(ctx, func(c *ldap.Conn) error {
		if d.cfg.Kind == KindAD {
			pwdLastSet := "-1"
			if temporary {
				pwdLastSet = "0"
			}
			req := ldap.NewModifyRequest(dn, nil)
			req.Replace("unicodePwd", []string{string(adPassword(pw))})
			req.Replace("pwdLastSet", []string{pwdLastSet})
			return c.Modify(req)
		}
		if _, err := c.PasswordModify(ldap.NewPasswordModifyRequest(dn, "", pw)); err != nil {
			return err
		}
		req := ldap.NewModifyRequest(dn, nil)
		if temporary {
			req.Replace("pwdReset", []string{"TRUE"})
		} else {
			req.Delete("pwdReset", nil)
		}
		if err := c.Modify(req); err != nil && !ldap.IsErrorWithCode(err, codeNoSuchAttribute) {
			return err
		}
		return nil
	})
	return scrub(d.classify(op, actSetPassword, err), pw)
}

// checkPassword rejects what no directory would store sensibly.
func checkPassword(pw string) error {
	switch err := checkText(pw, maxPasswordLen, false); err {
	case nil:
		return nil
	case errTooLong:
		return fmt.Errorf("is longer than %d characters", maxPasswordLen)
	default:
		return err
	}
}

// adPassword encodes pw the way AD wants unicodePwd: the password wrapped in
// double quotes, as UTF-16 little-endian, no BOM, no terminator.
func adPassword(pw string) []byte {
	units := utf16.Encode([]rune(`"` + pw + `"`))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	return b
}
