package ldap

import (
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// Bounds of the walk up the groups. Deeper nesting, or more groups in one
// step, than these is not read: the account's facts are then unknown
// (GuardUnavailable), never "not protected".
const (
	maxNesting  = 8              // levels of groups above the account
	maxPerStep  = maxSearchLimit // groups one search of the walk may return
	memberChunk = 50             // member DNs per filter
)

// ldapGuard finds the groups the account belongs to, nested, by walking
// groupOfNames/groupOfUniqueNames upwards from the account (plus memberOf
// when the server maintains it), and compares them with the configured DNs.
// Generic LDAP has no built-in privileged groups: without deny groups or an
// intentional-lock group there is nothing to walk for.
func (d *Directory) ldapGuard(c *ldap.Conn, e *ldap.Entry, a *identity.Account) error {
	if len(d.cfg.DenyGroups) == 0 && d.cfg.IntentionalLockGroup == "" {
		return nil
	}
	suffix, err := d.namingContext(c)
	if err != nil {
		a.GuardUnavailable = true
		return networkOnly(err)
	}
	groups, complete, err := d.walkGroups(c, suffix, e)
	if err != nil {
		a.GuardUnavailable = true
		return networkOnly(err)
	}
	// What was read still counts (a deny group found is reported), but a
	// walk cut short cannot prove the account is outside the others.
	a.GuardUnavailable = a.GuardUnavailable || !complete
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

// walkGroups returns the groups above e, nested, and whether the walk read
// all of them: false when a step was truncated (server size limit or
// maxPerStep) or a group exists maxNesting+1 levels up. The last search of
// a full-depth walk only looks whether a further level exists.
func (d *Directory) walkGroups(c *ldap.Conn, suffix string, e *ldap.Entry) (groups []string, complete bool, err error) {
	groups = append(groups, e.GetAttributeValues("memberOf")...)
	seen := map[string]bool{}
	frontier := []string{e.DN}
	for depth := 0; len(frontier) > 0; depth++ {
		var next []string
		for chunk := range slices.Chunk(frontier, memberChunk) {
			var or strings.Builder
			for _, m := range chunk {
				v := ldap.EscapeFilter(m)
				or.WriteString("(member=" + v + ")(uniqueMember=" + v + ")")
			}
			filter := "(&(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))(|" + or.String() + "))"
			found, truncated, err := pagedSearch(c, suffix, ldap.ScopeWholeSubtree, filter, []string{"1.1"}, maxPerStep, d.cfg)
			if err != nil {
				return nil, false, err
			}
			for _, g := range found {
				if k := dnKey(g.DN); !seen[k] {
					if depth == maxNesting {
						return groups, false, nil // a level deeper than the walk reads
					}
					seen[k] = true
					groups = append(groups, g.DN)
					next = append(next, g.DN)
				}
			}
			if truncated {
				return groups, false, nil
			}
		}
		frontier = next
	}
	return groups, true, nil
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
