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
		return ppolicyUnlock(c, dn)
	})
	return d.classify(op, actUnlock, err)
}

// ppolicyUnlock deletes pwdAccountLockedTime; ppolicy clears pwdFailureTime
// itself then (a client cannot write it). Nothing to delete is not an error:
// after a Password Modify on slapd there is nothing left (see SetPassword).
func ppolicyUnlock(c *ldap.Conn, dn string) error {
	req := ldap.NewModifyRequest(dn, nil)
	req.Delete("pwdAccountLockedTime", nil)
	if err := c.Modify(req); err != nil && !ldap.IsErrorWithCode(err, codeNoSuchAttribute) {
		return err
	}
	return nil
}

// SetPassword replaces the password; c.Temporary means "must change at next
// logon". AD: one modify that replaces unicodePwd, sets pwdLastSet to 0
// (must change) or -1 (now) and, with c.Unlock, writes lockoutTime 0. AD
// applies a modify entirely or not at all, so a password its policy refuses
// leaves the account locked with its old password. LDAP: the Password
// Modify extended operation (the server hashes), then pwdReset, then the
// unlock, so a refused password stops before the lock is touched.
//
// OpenLDAP 2.5's ppolicy clears pwdAccountLockedTime and pwdFailureTime by
// itself when a Password Modify by anyone but the user (the bot, or the
// rootdn) succeeds, even an administrator's permanent lock 000001010000Z
// (TestSlapdPasswordModifyUnlocks). So on slapd a reset unlocks whether or
// not c.Unlock is set, and only the guard, before SetPassword, keeps an
// intentional lock in place. The explicit unlock stays for servers that do
// not do this; on slapd it finds nothing to delete.
func (d *Directory) SetPassword(ctx context.Context, acct identity.Account, c identity.PasswordChange) error {
	const op = "ldap.(*Directory).SetPassword"
	if err := d.refuseInsecure(op); err != nil {
		return err
	}
	dn, err := d.target(op, acct)
	if err != nil {
		return err
	}
	pw := c.Password.Reveal()
	if err := checkPassword(pw); err != nil {
		return identity.E(op, identity.KindInvalid, "The new password "+err.Error()+".", fmt.Errorf("%w: password %w", identity.ErrPolicy, err))
	}
	err = d.with(ctx, func(conn *ldap.Conn) error {
		if d.cfg.Kind == KindAD {
			pwdLastSet := "-1"
			if c.Temporary {
				pwdLastSet = "0"
			}
			req := ldap.NewModifyRequest(dn, nil)
			req.Replace("unicodePwd", []string{string(adPassword(pw))})
			req.Replace("pwdLastSet", []string{pwdLastSet})
			if c.Unlock {
				req.Replace("lockoutTime", []string{"0"})
			}
			return conn.Modify(req)
		}
		if _, err := conn.PasswordModify(ldap.NewPasswordModifyRequest(dn, "", pw)); err != nil {
			return err
		}
		req := ldap.NewModifyRequest(dn, nil)
		if c.Temporary {
			req.Replace("pwdReset", []string{"TRUE"})
		} else {
			req.Delete("pwdReset", nil)
		}
		if err := conn.Modify(req); err != nil && !ldap.IsErrorWithCode(err, codeNoSuchAttribute) {
			return err
		}
		if c.Unlock {
			return ppolicyUnlock(conn, dn)
		}
		return nil
	})
	return identity.Scrub(d.classify(op, actSetPassword, err), pw)
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
