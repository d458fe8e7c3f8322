package ldap

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

var _ identity.Locker = (*Directory)(nil)

// LockOnPurpose implements identity.Locker. The group comes first: once
// the account is a member, the guard refuses every helpdesk unlock and
// reset of it, so a failure in the second write leaves it safe, not half
// done. For identity.LockDisable, AD then sets ACCOUNTDISABLE (AD has no
// lock a client may set: lockoutTime can only be written 0), and ppolicy
// sets the administrator's permanent lock. Each step looks first, so a
// repeat (or the pool's retry after a dropped connection) changes nothing
// twice, and LockDone says only what this call changed.
func (d *Directory) LockOnPurpose(ctx context.Context, acct identity.Account, mode identity.LockMode) (identity.LockDone, error) {
	const op = "ldap.(*Directory).LockOnPurpose"
	done := identity.LockDone{Mode: mode}
	dn, err := d.lockTarget(op, acct)
	if err != nil {
		return done, err
	}
	if !mode.Valid() {
		return done, identity.E(op, identity.KindInvalid, "Choose how to lock: disable or group.", errors.New("unknown lock mode "+string(mode)))
	}
	err = d.with(ctx, func(c *ldap.Conn) error {
		in, err := d.inLockGroup(c, dn)
		if err != nil {
			return err
		}
		if !in {
			req := ldap.NewModifyRequest(d.cfg.IntentionalLockGroup, nil)
			req.Add("member", []string{dn})
			if err := c.Modify(req); err != nil && !alreadyMember(err) {
				return err
			}
			done.Grouped = true
		}
		if mode != identity.LockDisable {
			return nil
		}
		blocked, err := d.setBlock(c, dn, true)
		done.Blocked = done.Blocked || blocked
		return err
	})
	return done, d.classify(op, actLock, err)
}

// ReleaseLock implements identity.Locker: the block is undone first (only
// when done.Blocked says the lock set it), the membership last, so until
// the very end the guard still refuses the account.
func (d *Directory) ReleaseLock(ctx context.Context, acct identity.Account, done identity.LockDone) error {
	const op = "ldap.(*Directory).ReleaseLock"
	dn, err := d.lockTarget(op, acct)
	if err != nil {
		return err
	}
	err = d.with(ctx, func(c *ldap.Conn) error {
		if done.Blocked {
			if _, err := d.setBlock(c, dn, false); err != nil {
				return err
			}
		}
		in, err := d.inLockGroup(c, dn)
		if err != nil || !in {
			return err
		}
		req := ldap.NewModifyRequest(d.cfg.IntentionalLockGroup, nil)
		req.Delete("member", []string{dn})
		return c.Modify(req)
	})
	return d.classify(op, actLock, err)
}

// lockTarget is target plus what every lock write needs: TLS and a group.
func (d *Directory) lockTarget(op string, acct identity.Account) (string, error) {
	if err := d.refuseInsecure(op); err != nil {
		return "", err
	}
	if d.cfg.IntentionalLockGroup == "" {
		return "", identity.NoLockGroup(op)
	}
	return d.target(op, acct)
}

// inLockGroup asks the group itself whether dn is a direct member: a
// member only through a nested group is not one the lock may remove.
func (d *Directory) inLockGroup(c *ldap.Conn, dn string) (bool, error) {
	res, err := c.Search(ldap.NewSearchRequest(d.cfg.IntentionalLockGroup, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1,
		int(d.cfg.OpTimeout.Seconds()), false, "(member="+ldap.EscapeFilter(dn)+")", []string{"1.1"}, nil))
	if err != nil {
		return false, err
	}
	return len(res.Entries) == 1, nil
}

// setBlock sets (on) or clears the directory's own stop on sign-in and
// reports whether it changed anything. AD: the ACCOUNTDISABLE bit of
// userAccountControl, every other bit kept. ppolicy: pwdAccountLockedTime
// 000001010000Z; clearing deletes it (a timed lockout the permanent lock
// replaced is over by then).
func (d *Directory) setBlock(c *ldap.Conn, dn string, on bool) (bool, error) {
	if d.cfg.Kind == KindAD {
		e, err := d.readOne(c, dn, "userAccountControl")
		if err != nil {
			return false, err
		}
		uac, err := strconv.ParseInt(e.GetAttributeValue("userAccountControl"), 10, 64)
		if err != nil { // hidden from the bot: nothing is written blind
			return false, identity.E("ldap.(*Directory).setBlock", identity.KindForbidden, d.rightsSentence(actLock), identity.ErrRights)
		}
		if (uac&uacDisabled != 0) == on {
			return false, nil
		}
		req := ldap.NewModifyRequest(dn, nil)
		req.Replace("userAccountControl", []string{strconv.FormatInt(uac^uacDisabled, 10)})
		return true, c.Modify(req)
	}
	e, err := d.readOne(c, dn, "pwdAccountLockedTime")
	if err != nil {
		return false, err
	}
	permanent := e.GetAttributeValue("pwdAccountLockedTime") == ppolicyPermanentLock
	if permanent == on {
		return false, nil
	}
	if !on {
		return true, ppolicyUnlock(c, dn)
	}
	req := ldap.NewModifyRequest(dn, nil)
	req.Replace("pwdAccountLockedTime", []string{ppolicyPermanentLock})
	return true, c.Modify(req)
}

func (d *Directory) readOne(c *ldap.Conn, dn, attr string) (*ldap.Entry, error) {
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1,
		int(d.cfg.OpTimeout.Seconds()), false, "(objectClass=*)", []string{attr}, nil))
	if err != nil {
		return nil, err
	}
	if len(res.Entries) != 1 {
		return nil, errNoEntry
	}
	return res.Entries[0], nil
}

// alreadyMember: AD answers a duplicate member with entryAlreadyExists,
// OpenLDAP with attributeOrValueExists.
func alreadyMember(err error) bool {
	return ldap.IsErrorWithCode(err, ldap.LDAPResultEntryAlreadyExists) ||
		ldap.IsErrorWithCode(err, ldap.LDAPResultAttributeOrValueExists)
}

var _ identity.Self = (*Directory)(nil)

// IsBotAccount implements identity.Self: acct is the account bind_dn
// names, by DN or (AD) by UPN.
func (d *Directory) IsBotAccount(acct identity.Account) bool {
	if acct.UPN != "" && strings.EqualFold(acct.UPN, d.cfg.BindDN) {
		return true
	}
	bind, err := ldap.ParseDN(d.cfg.BindDN)
	if err != nil || acct.ID == "" {
		return false
	}
	id, err := ldap.ParseDN(acct.ID)
	return err == nil && id.EqualFold(bind)
}
