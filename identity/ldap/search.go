package ldap

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// maxPage is the page size asked for with the paged-results control.
const maxPage = 500

// Search is the type-ahead: accounts whose logon name, UPN, mail or display
// name (AD) or uid, mail or cn (LDAP) start with query, below the base DN,
// locked accounts first, then by name. An empty query lists locked accounts.
//
// At most limit+1 entries are fetched; when more match (a short prefix in a
// large directory) a second, equally bounded search fetches the locked ones,
// so a locked account is never hidden behind unlocked namesakes.
func (d *Directory) Search(ctx context.Context, query string, limit int) ([]identity.Account, error) {
	const op = "ldap.(*Directory).Search"
	if err := checkText(query, maxQueryLen, true); err != nil {
		return nil, identity.E(op, identity.KindInvalid,
			fmt.Sprintf("The search text %v; use at most %d ordinary characters.", err, maxQueryLen),
			fmt.Errorf("query %w", err))
	}
	if limit <= 0 || limit > d.cfg.SearchLimit {
		limit = d.cfg.SearchLimit
	}
	q := strings.TrimSpace(query)

	var entries []*ldap.Entry
	err := d.with(ctx, func(c *ldap.Conn) error {
		entries = entries[:0]
		if q == "" {
			// AD keeps lockoutTime after a lockout expires, so fetch up to
			// SearchLimit candidates and keep those still locked.
			locked, _, err := pagedSearch(c, d.cfg.BaseDN, ldap.ScopeWholeSubtree,
				and(d.userClassFilter(), d.lockedFilter()), d.accountAttrs(), d.cfg.SearchLimit, d.cfg)
			entries = locked
			return err
		}
		all, truncated, err := pagedSearch(c, d.cfg.BaseDN, ldap.ScopeWholeSubtree,
			d.prefixFilter(q), d.accountAttrs(), limit, d.cfg)
		if err != nil || !truncated {
			entries = all
			return err
		}
		locked, _, err := pagedSearch(c, d.cfg.BaseDN, ldap.ScopeWholeSubtree,
			and(d.prefixFilter(q), d.lockedFilter()), d.accountAttrs(), limit, d.cfg)
		entries = append(locked, all...)
		return err
	})
	if err != nil {
		return nil, d.classify(op, actRead, err)
	}

	seen := make(map[string]bool, len(entries))
	out := make([]identity.Account, 0, len(entries))
	for _, e := range entries {
		key := strings.ToLower(e.DN)
		if seen[key] {
			continue
		}
		seen[key] = true
		a := d.account(e)
		if q == "" && !a.Lock.Locked {
			continue // lockoutTime set but the lockout has expired
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b identity.Account) int {
		if a.Lock.Locked != b.Lock.Locked {
			if a.Lock.Locked {
				return -1
			}
			return 1
		}
		if c := strings.Compare(strings.ToLower(a.Label()), strings.ToLower(b.Label())); c != 0 {
			return c
		}
		return strings.Compare(a.Username, b.Username)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// pagedSearch returns at most max entries using the paged-results control
// and a server size limit of max+1; truncated reports that more matched.
// When it stops early it abandons the server's paging state.
func pagedSearch(c *ldap.Conn, base string, scope int, filter string, attrs []string, max int, cfg Config) (
	entries []*ldap.Entry, truncated bool, err error) {
	paging := ldap.NewControlPaging(uint32(min(max+1, maxPage)))
	req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, max+1, int(cfg.OpTimeout.Seconds()),
		false, filter, attrs, []ldap.Control{paging})
	for {
		res, err := c.Search(req)
		if res != nil {
			entries = append(entries, res.Entries...)
		}
		if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
			truncated, err = true, nil
		}
		if err != nil {
			return nil, false, err
		}
		if len(entries) > max {
			truncated = true
		}
		var cookie []byte
		if p, ok := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging); ok {
			cookie = p.Cookie
		}
		if truncated || len(cookie) == 0 {
			if len(cookie) > 0 {
				// RFC 2696: a page size of 0 with the cookie releases the server's state.
				paging.PagingSize = 0
				paging.SetCookie(cookie)
				_, _ = c.Search(req)
			}
			break
		}
		paging.SetCookie(cookie)
	}
	if len(entries) > max {
		entries = entries[:max]
	}
	return entries, truncated, nil
}

// maxListed bounds All: a directory larger than this is not snapshotted.
const maxListed = 200_000

// All lists every account below the base DN with the attributes the
// type-ahead shows (names and lock state), paged. identity/typeahead keeps
// it in memory, because directories such as Samba do not index prefix
// searches and a scan of 10,000 users takes hundreds of milliseconds.
func (d *Directory) All(ctx context.Context) ([]identity.Account, error) {
	const op = "ldap.(*Directory).All"
	var entries []*ldap.Entry
	err := d.with(ctx, func(c *ldap.Conn) error {
		var err error
		entries, err = d.listAll(c, d.userClassFilter(), d.accountAttrs())
		return err
	})
	if err != nil {
		return nil, d.classify(op, actRead, err)
	}
	out := make([]identity.Account, 0, len(entries))
	for _, e := range entries {
		out = append(out, d.account(e))
	}
	return out, nil
}
