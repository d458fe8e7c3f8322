package ldap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

var (
	errOutside = errors.New("DN is outside the base DN")
	errNoEntry = errors.New("no account entry")
)

// Lookup finds exactly one account by logon name (sAMAccountName or UPN for
// AD, uid for LDAP) or by DN, and fills every guard fact and the facts only
// Lookup reports (expiry, last logon, password stamp: facts.go). A DN is read only
// when it lies below the base DN; the account's ID is always the DN the
// server returned.
func (d *Directory) Lookup(ctx context.Context, name string) (identity.Account, error) {
	return d.lookup(ctx, "ldap.(*Directory).Lookup", name, d.find)
}

var _ identity.MailFinder = (*Directory)(nil)

// LookupByMail implements identity.MailFinder: the one account under the
// base DN whose mail is addr (escaped into the filter), with the same
// facts as Lookup.
func (d *Directory) LookupByMail(ctx context.Context, addr string) (identity.Account, error) {
	return d.lookup(ctx, "ldap.(*Directory).LookupByMail", addr, d.findMail)
}

// lookup is Lookup with the entry found by find.
func (d *Directory) lookup(ctx context.Context, op, name string, find func(*ldap.Conn, string, []string) (*ldap.Entry, error)) (identity.Account, error) {
	if err := checkText(name, maxNameLen, false); err != nil {
		return identity.Account{}, identity.E(op, identity.KindInvalid,
			fmt.Sprintf("The account name %v.", err), fmt.Errorf("name %w", err))
	}
	name = strings.TrimSpace(name)

	var acct identity.Account
	err := d.with(ctx, func(c *ldap.Conn) error {
		e, err := find(c, name, d.lookupAttrs())
		if err != nil {
			return err
		}
		acct = d.account(e)
		acct.Manager = e.GetAttributeValue("manager")
		acct.Attributes = d.verifyAttributes(e)
		if d.cfg.Kind == KindLDAP {
			if err := d.ldapLookupFacts(c, e, &acct); err != nil {
				return err
			}
			return d.ldapGuard(c, e, &acct)
		}
		adLookupFacts(e, &acct)
		return d.adGuard(c, &acct)
	})
	switch {
	case errors.Is(err, identity.ErrAmbiguous):
		return identity.Account{}, identity.E(op, identity.KindConflict,
			"That name matches more than one account; use the full logon name or UPN.", err)
	case errors.Is(err, errOutside), errors.Is(err, errNoEntry),
		ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject):
		return identity.Account{}, identity.E(op, identity.KindNotFound,
			"No such account in this organization's directory.", fmt.Errorf("%w: %w", identity.ErrNotFound, err))
	case err != nil:
		return identity.Account{}, d.classify(op, actRead, err)
	}
	return acct, nil
}

// find returns the one entry name designates, with attrs.
func (d *Directory) find(c *ldap.Conn, name string, attrs []string) (*ldap.Entry, error) {
	if strings.Contains(name, "=") {
		dn, err := ldap.ParseDN(name)
		if err != nil {
			return nil, fmt.Errorf("%w: not a valid DN", errNoEntry)
		}
		if !d.base.AncestorOfFold(dn) {
			return nil, errOutside
		}
		res, err := c.Search(ldap.NewSearchRequest(name, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1,
			int(d.cfg.OpTimeout.Seconds()), false, d.userClassFilter(), attrs, nil))
		if err != nil {
			return nil, err
		}
		if len(res.Entries) != 1 {
			return nil, errNoEntry
		}
		return res.Entries[0], nil
	}
	return d.findOne(c, d.exactFilter(name), attrs)
}

// findMail returns the one entry whose mail is addr.
func (d *Directory) findMail(c *ldap.Conn, addr string, attrs []string) (*ldap.Entry, error) {
	return d.findOne(c, and(d.userClassFilter(), "(mail="+ldap.EscapeFilter(addr)+")"), attrs)
}

// findOne returns the one entry under the base DN that filter matches.
func (d *Directory) findOne(c *ldap.Conn, filter string, attrs []string) (*ldap.Entry, error) {
	// At most two entries can answer: no paging control, which costs Samba
	// a second pass, just a size limit of 2 (exceeded means ambiguous).
	res, err := c.Search(ldap.NewSearchRequest(d.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 2,
		int(d.cfg.OpTimeout.Seconds()), false, filter, attrs, nil))
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) || (err == nil && len(res.Entries) > 1):
		return nil, identity.ErrAmbiguous
	case err != nil:
		return nil, err
	case len(res.Entries) == 0:
		return nil, errNoEntry
	}
	entries := res.Entries
	// Belt and braces: a subtree search cannot return anything outside the
	// base, but the guard facts must not depend on that.
	if !d.inScope(entries[0].DN) {
		return nil, errOutside
	}
	return entries[0], nil
}

// suffixCache remembers the naming context that holds the base DN.
type suffixCache struct {
	mu sync.Mutex
	dn string
}

// namingContext returns the root DSE naming context containing the base
// DN; groups may live outside the base (ou=groups next to ou=people).
func (d *Directory) namingContext(c *ldap.Conn) (string, error) {
	d.suffix.mu.Lock()
	defer d.suffix.mu.Unlock()
	if d.suffix.dn != "" {
		return d.suffix.dn, nil
	}
	res, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"namingContexts"}, nil))
	if err != nil {
		return "", err
	}
	best := d.cfg.BaseDN
	if len(res.Entries) == 1 {
		for _, nc := range res.Entries[0].GetAttributeValues("namingContexts") {
			p, err := ldap.ParseDN(nc)
			if err == nil && (p.AncestorOfFold(d.base) || p.EqualFold(d.base)) {
				best = nc
				break
			}
		}
	}
	d.suffix.dn = best
	return best, nil
}
