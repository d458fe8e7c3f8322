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

// adGuardAttrs are read in one base search: tokenGroups is computed only
// for base searches.
var adGuardAttrs = []string{"tokenGroups", "msDS-User-Account-Control-Computed", "objectSid", "userAccountControl",
	"adminCount", "nTSecurityDescriptor"}

// adGuard fills the group facts from tokenGroups, which AD computes with
// nested groups and the primary group included (memberOf has neither).
// Only a network failure is returned; anything else makes the facts
// unknown, and the flow refuses an account whose facts are unknown.
func (d *Directory) adGuard(c *ldap.Conn, a *identity.Account) error {
	// The DACL only (SD flags 4): an authenticated user may read it.
	sdFlags := &ldap.ControlMicrosoftSDFlags{ControlValue: 4}
	res, err := c.Search(ldap.NewSearchRequest(a.ID, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=user)", adGuardAttrs, []ldap.Control{sdFlags}))
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
	token, protected, ok := tokenFacts(e.GetRawAttributeValues("tokenGroups"))
	for _, name := range protected {
		if !slices.Contains(a.ProtectedGroups, name) {
			a.ProtectedGroups = append(a.ProtectedGroups, name)
		}
	}
	if !ok {
		a.GuardUnavailable = true
		return nil
	}
	switch e.GetAttributeValue("adminCount") {
	case "1":
		a.AdminCount = true
	case "":
		// Absent, or hidden from the bot: only the DACL tells (adminread.go).
		readable, err := d.adminCountReadable(c, e)
		if err != nil || !readable {
			a.GuardUnavailable = true
			return networkOnly(err)
		}
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

// tokenFacts reads tokenGroups: the SIDs of every group the account is in,
// nested and the primary group included (a DC's primary group is 516,
// Domain Controllers, with no memberOf entry). ok is false when a value
// does not parse or there is none (every account has its primary group).
func tokenFacts(raws [][]byte) (token map[string]bool, protected []string, ok bool) {
	token = map[string]bool{}
	for _, raw := range raws {
		sid, _, err := parseSID(raw)
		if err != nil {
			return token, protected, false
		}
		token[sid] = true
		if name, isProtected := protectedName(sid); isProtected && !slices.Contains(protected, name) {
			protected = append(protected, name)
		}
	}
	return token, protected, len(token) > 0
}

// adminCountReadable decides from the account's DACL whether the bot may
// read adminCount; without the DACL or the bot's own SIDs it cannot tell.
func (d *Directory) adminCountReadable(c *ldap.Conn, e *ldap.Entry) (bool, error) {
	aces, err := parseDACL(e.GetRawAttributeValue("nTSecurityDescriptor"))
	if err != nil {
		return false, nil
	}
	bot, err := d.bot(c)
	if err != nil || bot.sid == "" {
		return false, err
	}
	return readsProperty(aces, bot, adminCountGUID, d.coversAdminCount(c))
}
