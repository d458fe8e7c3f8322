package ldap

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// Facts only Lookup reports: when the password expires, the last logon and
// failed logon, and the password stamp. Search (the type-ahead) and All do
// not ask for these attributes, so a keystroke does not carry
// replPropertyMetaData for every match.
var (
	adLookupExtra = []string{"badPasswordTime", "msDS-UserPasswordExpiryTimeComputed",
		"lastLogonTimestamp", "lastLogon", "replPropertyMetaData", "manager"}
	ldapLookupExtra = []string{"pwdLastSuccess", "pwdPolicySubentry", "manager"}

	adLookupAttrs   = slices.Concat(adAttrs, adLookupExtra)
	ldapLookupAttrs = slices.Concat(ldapAttrs, ldapLookupExtra)
)

func (d *Directory) lookupAttrs() []string {
	if d.cfg.Kind == KindLDAP {
		return slices.Concat(ldapLookupAttrs, d.cfg.VerifyAttributes)
	}
	return slices.Concat(adLookupAttrs, d.cfg.VerifyAttributes)
}

// verifyAttributes copies the configured verification attributes of e
// (the first value of a multi-valued one, such as otherMailbox).
func (d *Directory) verifyAttributes(e *ldap.Entry) map[string]string {
	if len(d.cfg.VerifyAttributes) == 0 {
		return nil
	}
	out := make(map[string]string, len(d.cfg.VerifyAttributes))
	for _, a := range d.cfg.VerifyAttributes {
		if v := e.GetAttributeValue(a); v != "" {
			out[a] = v
		}
	}
	return out
}

// adLookupFacts fills the Lookup-only facts from an entry read with
// adLookupAttrs. msDS-UserPasswordExpiryTimeComputed is the DC's own
// answer, fine-grained policies and "password never expires" included.
// lastLogon is kept by each DC for itself and not replicated;
// lastLogonTimestamp is replicated but only updated every 9 to 14 days:
// the newer of the two is the best the DC in front of the bot knows.
func adLookupFacts(e *ldap.Entry, a *identity.Account) {
	a.Lock.LastBadAt = fileTime(e.GetAttributeValue("badPasswordTime"))
	a.PasswordExpires = fileTime(e.GetAttributeValue("msDS-UserPasswordExpiryTimeComputed"))
	a.LastLogon = fileTime(e.GetAttributeValue("lastLogonTimestamp"))
	if l := fileTime(e.GetAttributeValue("lastLogon")); l.After(a.LastLogon) {
		a.LastLogon = l
	}
	a.PasswordStamp = passwordStamp(e.GetRawAttributeValue("replPropertyMetaData"))
}

// ldapLookupFacts fills the Lookup-only facts ppolicy offers. pwdLastSuccess
// exists only when the server maintains it (OpenLDAP 2.5: olcLastBind on
// the database). pwdChangedTime has whole seconds, so two password writes
// within one second leave the same stamp.
func (d *Directory) ldapLookupFacts(c *ldap.Conn, e *ldap.Entry, a *identity.Account) error {
	for _, f := range e.GetAttributeValues("pwdFailureTime") {
		if t := generalizedTime(f); t.After(a.Lock.LastBadAt) {
			a.Lock.LastBadAt = t
		}
	}
	a.LastLogon = generalizedTime(e.GetAttributeValue("pwdLastSuccess"))
	changed := e.GetAttributeValue("pwdChangedTime")
	a.PasswordStamp = changed
	if changed == "" {
		return nil
	}
	policy := e.GetAttributeValue("pwdPolicySubentry")
	if policy == "" {
		policy = d.cfg.DefaultPolicyDN
	}
	if policy == "" {
		return nil
	}
	maxAge, err := d.policies.maxAge(c, policy)
	if err != nil {
		// Expiry is information for the technician, not a guard fact: an
		// unreadable policy leaves it unknown (zero) unless the link died.
		return networkOnly(err)
	}
	if maxAge > 0 {
		a.PasswordExpires = generalizedTime(changed).Add(maxAge)
	}
	return nil
}

// policyCache remembers pwdMaxAge per ppolicy entry: policies change
// rarely, and Lookup should not read one for every account.
type policyCache struct {
	mu   sync.Mutex
	ages map[string]time.Duration // policy DN -> pwdMaxAge (0 = never expires)
	at   time.Time
}

func (p *policyCache) maxAge(c *ldap.Conn, dn string) (time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ages == nil || time.Since(p.at) > groupCacheTTL {
		p.ages, p.at = map[string]time.Duration{}, time.Now()
	}
	if age, ok := p.ages[dn]; ok {
		return age, nil
	}
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=pwdPolicy)", []string{"pwdMaxAge"}, nil))
	if err != nil {
		return 0, err
	}
	if len(res.Entries) != 1 {
		return 0, errNoEntry
	}
	secs, _ := strconv.ParseInt(res.Entries[0].GetAttributeValue("pwdMaxAge"), 10, 64)
	age := time.Duration(max(secs, 0)) * time.Second
	p.ages[dn] = age
	return age, nil
}
