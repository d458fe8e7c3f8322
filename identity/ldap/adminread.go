package ldap

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// adminCount is a guard fact, and an adminCount the bot may not read looks
// exactly like none: the DC leaves it out of the entry, and Samba 4.17
// even matches (!(adminCount=*)) for it (seen in the lab on hiddenac, whose
// adminCount=1 a deny-read ACE hides), so no filter tells the two apart.
// When adminCount is absent the bot therefore reads the account's DACL
// (authenticated users hold READ_CONTROL on user objects) and decides
// itself whether it may read adminCount, conservatively: only an ACE that
// grants the read to one of the bot's own SIDs, before any ACE that might
// deny it, counts as readable.

const (
	adminCountGUID    = "bf967918-0de6-11d0-a285-00aa003049e2" // schemaIDGUID of adminCount
	rightReadProperty = 0x00000010                             // ADS_RIGHT_DS_READ_PROP
	rightGenericRead  = 0x80000000
)

// readsProperty evaluates the ACEs in order, as Windows does for a single
// right: the first ACE that applies to the bot and covers reading prop
// decides. An allow counts only for a SID the bot is known to hold, on all
// properties or on prop itself. A deny counts for any SID the bot might
// hold, on all properties, on prop, or on another GUID for which covers
// says it may include prop (a class, prop's property set, a GUID it cannot
// place). No deciding ACE: not readable.
func readsProperty(aces []ace, bot botIdentity, prop string, covers func(guid string) (bool, error)) (bool, error) {
	for _, a := range aces {
		if a.flags&aceInheritOnly != 0 || a.mask&(rightReadProperty|rightGenericRead|rightGenericAll) == 0 {
			continue
		}
		switch a.typ {
		case aceAllowed, aceAllowedObject:
			if bot.token[a.sid] && (a.objectType == "" || a.objectType == prop) {
				return true, nil
			}
		case aceDenied, aceDeniedObject:
			if !bot.mayHold(a.sid) {
				continue
			}
			if a.objectType == "" || a.objectType == prop {
				return false, nil
			}
			c, err := covers(a.objectType)
			if err != nil || c {
				return false, err
			}
		}
	}
	return false, nil
}

// mayHold reports whether the bot's token might contain sid. tokenGroups
// lists every domain and builtin group the bot belongs to; any other SID
// (NETWORK, This Organization, an authentication-method SID...) cannot be
// ruled out, nor anything when the token could not be read whole.
func (b botIdentity) mayHold(sid string) bool {
	if b.token[sid] || !b.complete {
		return true
	}
	return !strings.HasPrefix(sid, "S-1-5-21-") && !strings.HasPrefix(sid, "S-1-5-32-")
}

// guidCache places the GUIDs of deny ACEs: an attribute other than
// adminCount does not cover it; a class does (Samba hides every attribute
// behind a deny on the user class, seen in the lab); a property set does
// only when adminCount belongs to it (its attributeSecurityGUID, none by
// default); a GUID found nowhere does, since it cannot be ruled out.
type guidCache struct {
	mu     sync.Mutex
	covers map[string]bool // GUID -> a deny on it hides adminCount too
	set    string          // adminCount's attributeSecurityGUID, "" when none
	at     time.Time
}

func (d *Directory) coversAdminCount(c *ldap.Conn) func(string) (bool, error) {
	return func(guid string) (bool, error) {
		g := &d.guids
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.covers == nil || time.Since(g.at) > groupCacheTTL {
			set, err := d.adminCountSet(c)
			if err != nil {
				return true, err
			}
			g.covers, g.set, g.at = map[string]bool{}, set, time.Now()
		}
		if v, ok := g.covers[guid]; ok {
			return v, nil
		}
		v, err := d.guidCovers(c, guid, g.set)
		if err != nil {
			return true, err
		}
		g.covers[guid] = v
		return v, nil
	}
}

func (d *Directory) guidCovers(c *ldap.Conn, guid, set string) (bool, error) {
	raw, ok := guidFilterValue(guid)
	if !ok {
		return true, nil
	}
	schema, err := d.rootDSE(c, "schemaNamingContext")
	if err != nil {
		return true, err
	}
	res, err := c.Search(ldap.NewSearchRequest(schema, ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 1, 0, false,
		"(schemaIDGUID="+raw+")", []string{"objectClass"}, nil))
	if err != nil {
		return true, err
	}
	if len(res.Entries) == 1 {
		classes := res.Entries[0].GetAttributeValues("objectClass")
		return !slices.ContainsFunc(classes, func(s string) bool { return strings.EqualFold(s, "attributeSchema") }), nil
	}
	// Not in the schema: a property set is an extended right valid for
	// reading and writing properties (validAccesses 48).
	conf, err := d.rootDSE(c, "configurationNamingContext")
	if err != nil {
		return true, err
	}
	res, err = c.Search(ldap.NewSearchRequest("CN=Extended-Rights,"+conf, ldap.ScopeSingleLevel, ldap.NeverDerefAliases,
		1, 0, false, "(&(objectClass=controlAccessRight)(rightsGuid="+ldap.EscapeFilter(guid)+")(validAccesses=48))",
		[]string{"1.1"}, nil))
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		return true, err
	}
	propertySet := err == nil && len(res.Entries) == 1
	return !propertySet || guid == set, nil
}

// adminCountSet returns the property set adminCount belongs to, "" for none.
func (d *Directory) adminCountSet(c *ldap.Conn) (string, error) {
	schema, err := d.rootDSE(c, "schemaNamingContext")
	if err != nil {
		return "", err
	}
	res, err := c.Search(ldap.NewSearchRequest(schema, ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 1, 0, false,
		"(lDAPDisplayName=adminCount)", []string{"attributeSecurityGUID"}, nil))
	if err != nil {
		return "", err
	}
	if len(res.Entries) == 1 {
		if raw := res.Entries[0].GetRawAttributeValue("attributeSecurityGUID"); len(raw) == 16 {
			return guidString(raw), nil
		}
	}
	return "", nil
}

func (d *Directory) rootDSE(c *ldap.Conn, attr string) (string, error) {
	res, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{attr}, nil))
	if err != nil {
		return "", err
	}
	if len(res.Entries) != 1 || res.Entries[0].GetAttributeValue(attr) == "" {
		return "", fmt.Errorf("root DSE has no %s", attr)
	}
	return res.Entries[0].GetAttributeValue(attr), nil
}

// guidFilterValue turns a GUID string into the escaped binary form a
// filter on schemaIDGUID needs (first three fields little-endian).
func guidFilterValue(guid string) (string, bool) {
	b, err := hex.DecodeString(strings.ReplaceAll(guid, "-", ""))
	if err != nil || len(b) != 16 {
		return "", false
	}
	le := append([]byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]}, b[8:]...)
	var s strings.Builder
	for _, x := range le {
		s.WriteString(`\` + hex.EncodeToString([]byte{x}))
	}
	return s.String(), true
}
