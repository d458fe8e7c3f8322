package ldap

import (
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// AD userAccountControl / msDS-User-Account-Control-Computed bits.
const (
	uacDisabled = 0x0002
	uacLockout  = 0x0010 // only meaningful in the computed attribute
)

// ppolicyPermanentLock is the pwdAccountLockedTime value meaning "locked by
// an administrator until unlocked by one" (draft-behera-ldap-password-policy).
const ppolicyPermanentLock = "000001010000Z"

var (
	adAttrs = []string{"sAMAccountName", "userPrincipalName", "mail", "displayName", "userAccountControl",
		"msDS-User-Account-Control-Computed", "lockoutTime", "badPwdCount", "pwdLastSet", "adminCount"}
	ldapAttrs = []string{"uid", "mail", "cn", "displayName", "memberOf",
		"pwdAccountLockedTime", "pwdFailureTime", "pwdReset", "pwdChangedTime"}
)

func (d *Directory) accountAttrs() []string {
	if d.cfg.Kind == KindLDAP {
		return ldapAttrs
	}
	return adAttrs
}

// account maps an entry to the facts both Search and Lookup report. Guard
// facts that need more reads (groups) are filled by Lookup.
func (d *Directory) account(e *ldap.Entry) identity.Account {
	a := identity.Account{ID: e.DN, InScope: d.inScope(e.DN)}
	if d.cfg.Kind == KindLDAP {
		ldapFacts(e, &a)
	} else {
		adFacts(e, &a)
	}
	return a
}

func adFacts(e *ldap.Entry, a *identity.Account) {
	a.Username = e.GetAttributeValue("sAMAccountName")
	a.UPN = e.GetAttributeValue("userPrincipalName")
	a.Mail = e.GetAttributeValue("mail")
	a.DisplayName = e.GetAttributeValue("displayName")
	uac, _ := strconv.ParseInt(e.GetAttributeValue("userAccountControl"), 10, 64)
	a.Disabled = uac&uacDisabled != 0
	a.AdminCount = e.GetAttributeValue("adminCount") == "1"
	a.Lock.BadCount, _ = strconv.Atoi(e.GetAttributeValue("badPwdCount"))
	lockoutTime := fileTime(e.GetAttributeValue("lockoutTime"))
	if computed := e.GetAttributeValue("msDS-User-Account-Control-Computed"); computed != "" {
		// lockoutTime stays set after the lockout duration passes; the
		// computed bit is the directory's current answer.
		bits, _ := strconv.ParseInt(computed, 10, 64)
		a.Lock.Locked = bits&uacLockout != 0
	} else {
		a.Lock.Locked = !lockoutTime.IsZero()
	}
	if a.Lock.Locked {
		a.Lock.LockedAt = lockoutTime
	}
	a.PasswordLastSet = fileTime(e.GetAttributeValue("pwdLastSet"))
}

func ldapFacts(e *ldap.Entry, a *identity.Account) {
	a.Username = e.GetAttributeValue("uid")
	a.Mail = e.GetAttributeValue("mail")
	a.DisplayName = e.GetAttributeValue("displayName")
	if a.DisplayName == "" {
		a.DisplayName = e.GetAttributeValue("cn")
	}
	a.Lock.BadCount = len(e.GetAttributeValues("pwdFailureTime"))
	if locked := e.GetAttributeValue("pwdAccountLockedTime"); locked != "" {
		a.Lock.Locked = true
		if locked == ppolicyPermanentLock {
			// An administrator locked it on purpose: the bot must not undo that.
			a.IntentionalLock = true
		} else {
			a.Lock.LockedAt = generalizedTime(locked)
		}
	}
	if !strings.EqualFold(e.GetAttributeValue("pwdReset"), "TRUE") {
		a.PasswordLastSet = generalizedTime(e.GetAttributeValue("pwdChangedTime"))
		if a.PasswordLastSet.IsZero() {
			// Loaded without ppolicy (no pwdChangedTime): not "must change".
			a.PasswordLastSet = time.Unix(0, 0).UTC()
		}
	}
}

// fileTime converts an AD FILETIME (100 ns since 1601, as decimal text).
// 0 and "never" (max int64) are the zero time.
func fileTime(s string) time.Time {
	ft, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ft <= 0 || ft == 1<<63-1 {
		return time.Time{}
	}
	const unixEpochAsFileTime = 116444736000000000
	ft -= unixEpochAsFileTime
	return time.Unix(ft/1e7, (ft%1e7)*100).UTC()
}

// generalizedTime parses LDAP GeneralizedTime as slapd writes it.
func generalizedTime(s string) time.Time {
	for _, layout := range []string{"20060102150405Z", "20060102150405.999999Z", "200601021504Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
