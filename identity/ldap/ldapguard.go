package ldap

import (
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

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
