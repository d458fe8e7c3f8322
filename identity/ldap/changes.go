package ldap

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// Changes reports the accounts changed since cursor, for the type-ahead
// snapshot (identity/typeahead), so a steady-state refresh reads what
// changed instead of every account. An empty or unusable cursor gives a
// full read (Delta.Full).
//
// Active Directory: every originating write raises the DC's
// highestCommittedUSN and stamps the object's uSNChanged (indexed), so the
// delta is (uSNChanged>=cursor+1). The cursor is the highestCommittedUSN
// read before the search, on the same connection and so the same DC: a
// write during the search is read again next time, never missed. USNs are
// local to one DC and one database: the cursor carries the DC's
// invocationId, and another DC (a load balancer, a failover), a restore
// (new invocationId) or a USN below the cursor gives a full read.
//
// OpenLDAP (and other LDAP servers): modifyTimestamp, which ppolicy's own
// bind-failure writes update too. It has second granularity and is set
// when the operation starts, so the search overlaps the previous one by a
// second (re-reading an entry is harmless). Index modifyTimestamp (eq) so
// slapd does not scan the whole tree for it.
//
// Both add the accounts currently marked locked (lockoutTime>=1 /
// pwdAccountLockedTime=*), because a lockout that expires by itself is no
// write and would otherwise stay in the snapshot as locked. There are few.
//
// Deletions and moves out of the base DN are not reported: AD keeps
// tombstones under CN=Deleted Objects (out of the base, readable with the
// Show Deleted control only by rights a delegated bot should not need) and
// OpenLDAP keeps nothing. The caller does a full read now and then instead
// (typeahead_full_every) and drops what is gone.
func (d *Directory) Changes(ctx context.Context, cursor string) (identity.Delta, error) {
	const op = "ldap.(*Directory).Changes"
	var delta identity.Delta
	err := d.with(ctx, func(c *ldap.Conn) error {
		var err error
		if d.cfg.Kind == KindLDAP {
			delta, err = d.timestampChanges(c, cursor)
		} else {
			delta, err = d.usnChanges(c, cursor)
		}
		return err
	})
	if err != nil {
		return identity.Delta{}, d.classify(op, actRead, err)
	}
	return delta, nil
}

// usnCursor is "usn:<invocationId hex>:<highestCommittedUSN>".
const usnPrefix = "usn:"

func (d *Directory) usnChanges(c *ldap.Conn, cursor string) (identity.Delta, error) {
	invocation, highest, err := dcState(c, d.cfg)
	if err != nil {
		return identity.Delta{}, err
	}
	next := usnPrefix + invocation + ":" + strconv.FormatUint(highest, 10)
	filter, full := d.userClassFilter(), true
	if inv, usn, ok := parseUSNCursor(cursor); ok && inv == invocation && usn <= highest {
		filter = and(d.userClassFilter(), "(|(uSNChanged>="+strconv.FormatUint(usn+1, 10)+")"+d.lockedFilter()+")")
		full = false
	}
	entries, err := d.listAll(c, filter, d.accountAttrs())
	if err != nil {
		return identity.Delta{}, err
	}
	delta := identity.Delta{Full: full, Cursor: next, Changed: make([]identity.Account, 0, len(entries))}
	for _, e := range entries {
		delta.Changed = append(delta.Changed, d.account(e))
	}
	return delta, nil
}

// dcState reads which DC database answers (its invocationId, from the
// NTDS Settings object named by the root DSE's dsServiceName) and its
// highestCommittedUSN. When the invocationId cannot be read, the
// dsServiceName stands in: it still tells DCs apart, though not a
// restore of the same DC.
func dcState(c *ldap.Conn, cfg Config) (string, uint64, error) {
	root, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1,
		int(cfg.OpTimeout.Seconds()), false, "(objectClass=*)", []string{"highestCommittedUSN", "dsServiceName"}, nil))
	if err != nil {
		return "", 0, fmt.Errorf("read root DSE: %w", err)
	}
	if len(root.Entries) != 1 {
		return "", 0, errors.New("read root DSE: no entry")
	}
	highest, err := strconv.ParseUint(root.Entries[0].GetAttributeValue("highestCommittedUSN"), 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("root DSE highestCommittedUSN: %w", err)
	}
	service := root.Entries[0].GetAttributeValue("dsServiceName")
	id := hex.EncodeToString([]byte(strings.ToLower(service)))
	if service != "" {
		res, err := c.Search(ldap.NewSearchRequest(service, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1,
			int(cfg.OpTimeout.Seconds()), false, "(objectClass=*)", []string{"invocationId"}, nil))
		if err == nil && len(res.Entries) == 1 {
			if inv := res.Entries[0].GetRawAttributeValue("invocationId"); len(inv) > 0 {
				id = hex.EncodeToString(inv)
			}
		}
	}
	return id, highest, nil
}

func parseUSNCursor(cursor string) (string, uint64, bool) {
	rest, ok := strings.CutPrefix(cursor, usnPrefix)
	if !ok {
		return "", 0, false
	}
	inv, n, ok := strings.Cut(rest, ":")
	if !ok || inv == "" {
		return "", 0, false
	}
	usn, err := strconv.ParseUint(n, 10, 64)
	return inv, usn, err == nil
}

// tsPrefix starts a modifyTimestamp cursor: "ts:20261201185109Z".
const (
	tsPrefix = "ts:"
	tsLayout = "20060102150405Z"
)

func (d *Directory) timestampChanges(c *ldap.Conn, cursor string) (identity.Delta, error) {
	filter, full := d.userClassFilter(), true
	since, ok := parseTSCursor(cursor)
	if ok {
		// One second of overlap: modifyTimestamp is set when an operation
		// starts, so one that began in the cursor's second may commit later.
		from := since.Add(-time.Second).Format(tsLayout)
		filter = and(d.userClassFilter(), "(|(modifyTimestamp>="+from+")"+d.lockedFilter()+")")
		full = false
	}
	entries, err := d.listAll(c, filter, slices.Concat(d.accountAttrs(), []string{"modifyTimestamp"}))
	if err != nil {
		return identity.Delta{}, err
	}
	latest := since
	delta := identity.Delta{Full: full, Changed: make([]identity.Account, 0, len(entries))}
	for _, e := range entries {
		if t := generalizedTime(e.GetAttributeValue("modifyTimestamp")); t.After(latest) {
			latest = t
		}
		delta.Changed = append(delta.Changed, d.account(e))
	}
	if !latest.IsZero() {
		delta.Cursor = tsPrefix + latest.UTC().Format(tsLayout)
	}
	return delta, nil
}

func parseTSCursor(cursor string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(cursor, tsPrefix)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(tsLayout, rest)
	return t, err == nil
}

// listAll is a paged search below the base DN, bounded like All.
func (d *Directory) listAll(c *ldap.Conn, filter string, attrs []string) ([]*ldap.Entry, error) {
	entries, truncated, err := pagedSearch(c, d.cfg.BaseDN, ldap.ScopeWholeSubtree, filter, attrs, maxListed, d.cfg)
	if err == nil && truncated {
		err = fmt.Errorf("more than %d accounts below %s", maxListed, d.cfg.BaseDN)
	}
	return entries, err
}
