package ldap

import (
	"context"
	"errors"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// Verify reads the account back (lock state, must-change flag, bad-password
// count) and, when password is not zero, proves it with a simple bind as the
// user on a separate, fresh connection (the pooled ones stay bound as the
// bot). AD answers "data 773" to a correct password that must be changed;
// with temporary set that counts as proof. With ppolicy, pwdReset lets the
// bind succeed and restricts what follows, which is proof too.
//
// The read-back happens before the bind, because a successful bind resets
// the bad-password count by itself and would hide a failed unlock.
func (d *Directory) Verify(ctx context.Context, acct identity.Account, password identity.Secret, temporary bool) (identity.Verification, error) {
	const op = "ldap.(*Directory).Verify"
	var v identity.Verification
	dn, err := d.target(op, acct)
	if err != nil {
		return v, err
	}
	var back *ldap.Entry
	err = d.with(ctx, func(c *ldap.Conn) error {
		res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1,
			int(d.cfg.OpTimeout.Seconds()), false, d.userClassFilter(), d.accountAttrs(), nil))
		if err != nil {
			return err
		}
		if len(res.Entries) != 1 {
			return ldap.NewError(ldap.LDAPResultNoSuchObject, errNoEntry)
		}
		back = res.Entries[0]
		return nil
	})
	if err != nil {
		return v, d.classify(op, actRead, err)
	}
	now := d.account(back)
	v.Unlocked = !now.Lock.Locked
	v.BadCountCleared = now.Lock.BadCount == 0
	if d.cfg.Kind == KindAD {
		v.MustChange = back.GetAttributeValue("pwdLastSet") == "0"
	} else {
		v.MustChange = strings.EqualFold(back.GetAttributeValue("pwdReset"), "TRUE")
	}

	if password.IsZero() {
		v.PasswordCheckSkip = true
		return v, nil
	}
	if err := d.refuseInsecure(op); err != nil {
		return v, err
	}
	pw := password.Reveal()
	works, err := d.userBind(ctx, dn, pw, temporary)
	if err != nil {
		return v, identity.Scrub(d.classify(op, actRead, err), pw)
	}
	v.PasswordWorks = works
	return v, nil
}

// userBind binds as dn with pw on a proof connection (see
// Directory.proofs): an idle one, or a new one when none is idle or the
// idle one turns out dead. A refused bind is an answer (false), not an
// error; only transport failures are errors.
func (d *Directory) userBind(ctx context.Context, dn, pw string, temporary bool) (bool, error) {
	if err := d.acquire(ctx); err != nil {
		return false, err
	}
	defer d.release()
	for {
		c, reused := d.popIdle(&d.proofs), true
		if c == nil {
			var err error
			if c, err = d.dial(ctx); err != nil {
				return false, err
			}
			reused = false
		}
		err := d.run(ctx, c, func(c *ldap.Conn) error { return c.Bind(dn, pw) })
		if err == nil {
			d.pushIdle(&d.proofs, c)
			return true, nil
		}
		if sentinel, _ := bindFailure(err); sentinel != nil {
			// A refused bind leaves the connection anonymous and usable.
			d.pushIdle(&d.proofs, c)
			return temporary && errors.Is(sentinel, identity.ErrMustChange), nil
		}
		_ = c.Close()
		if !reused || !isNetwork(err) || ctx.Err() != nil {
			return false, err
		}
	}
}
