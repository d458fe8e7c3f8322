package ldap

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// groupCache remembers the SIDs of the configured deny and intentional-lock
// groups. A group that cannot be resolved is not cached, so every Lookup
// retries it and stays default-deny (GuardUnavailable) until it resolves.
type groupCache struct {
	mu   sync.Mutex
	sids map[string]string // configured DN -> SID
	at   time.Time
}

const groupCacheTTL = 5 * time.Minute

func (d *Directory) groupSIDs(c *ldap.Conn, dns []string) (map[string]string, error) {
	g := &d.groups
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sids == nil || time.Since(g.at) > groupCacheTTL {
		g.sids, g.at = map[string]string{}, time.Now()
	}
	for _, dn := range dns {
		if _, ok := g.sids[dn]; ok {
			continue
		}
		res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
			"(objectClass=group)", []string{"objectSid"}, nil))
		if err != nil {
			return nil, fmt.Errorf("resolve group %q: %w", dn, err)
		}
		if len(res.Entries) != 1 {
			return nil, fmt.Errorf("resolve group %q: not a group", dn)
		}
		sid, _, err := parseSID(res.Entries[0].GetRawAttributeValue("objectSid"))
		if err != nil {
			return nil, fmt.Errorf("resolve group %q: %w", dn, err)
		}
		g.sids[dn] = sid
	}
	return g.sids, nil
}

// adGuard fills the group facts from tokenGroups, which AD computes with
// nested groups and the primary group included (memberOf has neither).
// Only a network failure is returned; anything else makes the facts
// unknown, and the flow refuses an account whose facts are unknown.
func (d *Directory) adGuard(c *ldap.Conn, a *identity.Account) error {
	res, err := c.Search(ldap.NewSearchRequest(a.ID, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=user)", []string{"tokenGroups", "msDS-User-Account-Control-Computed", "objectSid", "userAccountControl"}, nil))
	if err != nil || len(res.Entries) != 1 {
		a.GuardUnavailable = true
		return networkOnly(err)
	}
	e := res.Entries[0]
	// Facts the bot cannot read are unknown, and unknown means no: a
	// hardened ACL hiding userAccountControl or objectSid must not make an
	// account look ordinary.
	own, _, sidErr := parseSID(e.GetRawAttributeValue("objectSid"))
	if sidErr != nil || e.GetAttributeValue("userAccountControl") == "" {
		a.GuardUnavailable = true
		return nil
	}
	if rid, ok := ridOf(own); ok {
		if name, ok := protectedAccounts[rid]; ok {
			a.ProtectedGroups = append(a.ProtectedGroups, name)
		}
	}
	if computed := e.GetAttributeValue("msDS-User-Account-Control-Computed"); computed != "" {
		bits, _ := strconv.ParseInt(computed, 10, 64)
		a.Lock.Locked = bits&uacLockout != 0
	}
	token := map[string]bool{}
	for _, raw := range e.GetRawAttributeValues("tokenGroups") {
		sid, _, err := parseSID(raw)
		if err != nil {
			a.GuardUnavailable = true
			return nil
		}
		token[sid] = true
		if name, ok := protectedName(sid); ok && !slices.Contains(a.ProtectedGroups, name) {
			a.ProtectedGroups = append(a.ProtectedGroups, name)
		}
	}
	if len(token) == 0 {
		a.GuardUnavailable = true // every account has at least its primary group
		return nil
	}
	wanted := d.cfg.DenyGroups
	if d.cfg.IntentionalLockGroup != "" {
		wanted = append(wanted[:len(wanted):len(wanted)], d.cfg.IntentionalLockGroup)
	}
	if len(wanted) == 0 {
		return nil
	}
	sids, err := d.groupSIDs(c, wanted)
	if err != nil {
		a.GuardUnavailable = true
		return networkOnly(err)
	}
	for _, g := range d.cfg.DenyGroups {
		if token[sids[g]] {
			a.DenyGroups = append(a.DenyGroups, g)
		}
	}
	if g := d.cfg.IntentionalLockGroup; g != "" && token[sids[g]] {
		a.IntentionalLock = true
	}
	return nil
}
