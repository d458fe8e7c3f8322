package ldap

import (
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// botIdentity is the bot account as the directory knows it: the SIDs an
// ACE must name for the bot to hold a right. Check reports it; the guard
// uses it to tell whether the bot may read adminCount.
type botIdentity struct {
	dn       string
	sid      string          // "" when objectSid could not be read
	groups   []string        // tokenGroups SIDs, in the directory's order
	token    map[string]bool // own SID, tokenGroups, Everyone, Authenticated Users
	complete bool            // the entry, objectSid and every tokenGroups value were read
}

// readBot finds the bot by bind_dn (a DN, or a UPN / sAMAccountName) and
// reads its SID and tokenGroups (nested groups, primary group included).
// Only a network failure is an error; anything else leaves it incomplete.
func (d *Directory) readBot(c *ldap.Conn) (botIdentity, error) {
	b := botIdentity{dn: d.cfg.BindDN, token: map[string]bool{"S-1-1-0": true, "S-1-5-11": true}}
	filter := "(objectClass=user)"
	base, scope := d.cfg.BindDN, ldap.ScopeBaseObject
	if !strings.Contains(d.cfg.BindDN, "=") { // a UPN
		nc, err := d.namingContext(c)
		if err != nil {
			return b, networkOnly(err)
		}
		v := ldap.EscapeFilter(d.cfg.BindDN)
		base, scope = nc, ldap.ScopeWholeSubtree
		filter = "(&(objectClass=user)(|(userPrincipalName=" + v + ")(sAMAccountName=" + v + ")))"
	}
	res, err := c.Search(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 2, 0, false, filter,
		[]string{"objectSid"}, nil))
	if err != nil || len(res.Entries) != 1 {
		return b, networkOnly(err)
	}
	b.dn = res.Entries[0].DN
	sid, _, err := parseSID(res.Entries[0].GetRawAttributeValue("objectSid"))
	if err != nil {
		return b, nil
	}
	b.sid, b.token[sid] = sid, true
	tg, err := c.Search(ldap.NewSearchRequest(b.dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"tokenGroups"}, nil))
	if err != nil || len(tg.Entries) != 1 {
		return b, networkOnly(err)
	}
	raws := tg.Entries[0].GetRawAttributeValues("tokenGroups")
	b.complete = len(raws) > 0 // every account has at least its primary group
	for _, raw := range raws {
		sid, _, err := parseSID(raw)
		if err != nil {
			b.complete = false
			continue
		}
		b.groups = append(b.groups, sid)
		b.token[sid] = true
	}
	return b, nil
}

// botCache keeps the bot's identity for a while: its groups change rarely,
// and the guard needs it for many accounts. An incomplete read is not kept.
type botCache struct {
	mu sync.Mutex
	id botIdentity
	at time.Time
}

func (d *Directory) bot(c *ldap.Conn) (botIdentity, error) {
	d.botID.mu.Lock()
	defer d.botID.mu.Unlock()
	if d.botID.id.complete && time.Since(d.botID.at) < groupCacheTTL {
		return d.botID.id, nil
	}
	b, err := d.readBot(c)
	if err == nil && b.complete {
		d.botID.id, d.botID.at = b, time.Now()
	}
	return b, err
}
