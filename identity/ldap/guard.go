package ldap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// Protected groups are matched by well-known SID, never by name: names are
// localized and can be renamed, SIDs cannot.
var (
	builtinProtected = map[string]string{
		"S-1-5-32-544": "Administrators",
		"S-1-5-32-548": "Account Operators",
		"S-1-5-32-549": "Server Operators",
		"S-1-5-32-550": "Print Operators",
		"S-1-5-32-551": "Backup Operators",
		"S-1-5-32-552": "Replicator",
	}
	// Domain-relative RIDs. Enterprise and Schema Admins live in the forest
	// root domain, so the RID is matched under any domain SID.
	domainProtected = map[uint32]string{
		512: "Domain Admins",
		518: "Schema Admins",
		519: "Enterprise Admins",
		520: "Group Policy Creator Owners",
		526: "Key Admins", // may write msDS-KeyCredentialLink ("shadow credentials")
		527: "Enterprise Key Admins",
	}
	// Accounts refused by their own RID, whatever their groups or adminCount
	// (which SDProp sets only after it has run).
	protectedAccounts = map[uint32]string{
		500: "the built-in Administrator",
		502: "krbtgt",
	}
)

// ridOf returns the last sub-authority of a domain SID.
func ridOf(sid string) (uint32, bool) {
	if !strings.HasPrefix(sid, "S-1-5-21-") {
		return 0, false
	}
	rid, err := strconv.ParseUint(sid[strings.LastIndexByte(sid, '-')+1:], 10, 32)
	return uint32(rid), err == nil
}

// protectedName returns the well-known name of sid when it is a protected group.
func protectedName(sid string) (string, bool) {
	if n, ok := builtinProtected[sid]; ok {
		return n, true
	}
	rid, ok := ridOf(sid)
	if !ok {
		return "", false
	}
	n, ok := domainProtected[rid]
	return n, ok
}

// parseSID decodes a binary SID (MS-DTYP 2.4.2.2) into S-R-I-S-S... form
// and returns the number of bytes it used.
func parseSID(b []byte) (string, int, error) {
	if len(b) < 8 {
		return "", 0, errors.New("SID too short")
	}
	n := int(b[1])
	size := 8 + 4*n
	if b[0] != 1 || n > 15 || len(b) < size {
		return "", 0, errors.New("malformed SID")
	}
	var auth uint64
	for _, x := range b[2:8] {
		auth = auth<<8 | uint64(x)
	}
	var s strings.Builder
	s.WriteString("S-1-" + strconv.FormatUint(auth, 10))
	for i := range n {
		s.WriteString("-" + strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10))
	}
	return s.String(), size, nil
}

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

// ldapGuard finds the groups the account belongs to, nested, by walking
// groupOfNames/groupOfUniqueNames upwards from the account (plus memberOf
// when the server maintains it), and compares them with the configured DNs.
func (d *Directory) ldapGuard(c *ldap.Conn, e *ldap.Entry, a *identity.Account) error {
	if len(d.cfg.DenyGroups) == 0 && d.cfg.IntentionalLockGroup == "" {
		return nil
	}
	suffix, err := d.namingContext(c)
	if err != nil {
		a.GuardUnavailable = true
		return networkOnly(err)
	}
	groups := append([]string(nil), e.GetAttributeValues("memberOf")...)
	seen := map[string]bool{}
	frontier := []string{e.DN}
	for depth := 0; depth < 8 && len(frontier) > 0; depth++ {
		var next []string
		for chunk := range slices.Chunk(frontier, 50) {
			var or strings.Builder
			for _, m := range chunk {
				v := ldap.EscapeFilter(m)
				or.WriteString("(member=" + v + ")(uniqueMember=" + v + ")")
			}
			filter := "(&(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))(|" + or.String() + "))"
			found, _, err := pagedSearch(c, suffix, ldap.ScopeWholeSubtree, filter, []string{"1.1"}, maxSearchLimit, d.cfg)
			if err != nil {
				a.GuardUnavailable = true
				return networkOnly(err)
			}
			for _, g := range found {
				if k := dnKey(g.DN); !seen[k] {
					seen[k] = true
					groups = append(groups, g.DN)
					next = append(next, g.DN)
				}
			}
		}
		frontier = next
	}
	for _, g := range d.cfg.DenyGroups {
		if dnIn(groups, g) {
			a.DenyGroups = append(a.DenyGroups, g)
		}
	}
	if g := d.cfg.IntentionalLockGroup; g != "" && dnIn(groups, g) {
		a.IntentionalLock = true
	}
	return nil
}

// networkOnly keeps an error only when the connection failed, so the caller
// retries or reports the directory as unavailable; other failures are
// reported as GuardUnavailable.
func networkOnly(err error) error {
	if err != nil && isNetwork(err) {
		return err
	}
	return nil
}

func dnKey(dn string) string {
	if p, err := ldap.ParseDN(dn); err == nil {
		return strings.ToLower(p.String())
	}
	return strings.ToLower(dn)
}

func dnIn(list []string, dn string) bool {
	want, err := ldap.ParseDN(dn)
	if err != nil {
		return false
	}
	for _, s := range list {
		if p, err := ldap.ParseDN(s); err == nil && p.EqualFold(want) {
			return true
		}
	}
	return false
}
