package ldap

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

// Input bounds. A type-ahead query longer than any real name is a mistake or
// an attack; so is a NUL byte (it would truncate the value in C servers).
const (
	maxQueryLen = 64
	maxNameLen  = 256 // UPNs and DNs can be long
)

var (
	errNUL      = errors.New("contains a NUL byte")
	errTooLong  = errors.New("is too long")
	errNotUTF8  = errors.New("is not valid UTF-8")
	errEmpty    = errors.New("is empty")
	errControls = errors.New("contains control characters")
)

// checkText validates typed input before it goes anywhere near a filter.
func checkText(s string, maxLen int, allowEmpty bool) error {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return errNUL
	case !utf8.ValidString(s):
		return errNotUTF8
	case utf8.RuneCountInString(s) > maxLen:
		return errTooLong
	case !allowEmpty && strings.TrimSpace(s) == "":
		return errEmpty
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return errControls
		}
	}
	return nil
}

// userClassFilter selects person accounts of the dialect, plus the
// configured user_filter.
func (d *Directory) userClassFilter() string {
	f := "(&(objectClass=user)(!(objectClass=computer)))"
	if d.cfg.Kind == KindLDAP {
		f = "(&(uid=*)(|(objectClass=person)(objectClass=posixAccount)))"
	}
	if d.cfg.UserFilter != "" {
		f = "(&" + f + d.cfg.UserFilter + ")"
	}
	return f
}

// prefixFilter matches accounts whose names start with q. q is escaped, so
// "*", "(" and "\" in it are literal; the only wildcard is the trailing one.
func (d *Directory) prefixFilter(q string) string {
	v := ldap.EscapeFilter(q) + "*"
	attrs := []string{"sAMAccountName", "userPrincipalName", "mail", "displayName"}
	if d.cfg.Kind == KindLDAP {
		attrs = []string{"uid", "mail", "cn"}
	}
	var b strings.Builder
	b.WriteString("(&")
	b.WriteString(d.userClassFilter())
	b.WriteString("(|")
	for _, a := range attrs {
		b.WriteString("(" + a + "=" + v + ")")
	}
	b.WriteString("))")
	return b.String()
}

// lockedFilter narrows to accounts the directory marks as locked. For AD
// lockoutTime stays set after the lockout expires, so results are rechecked
// with msDS-User-Account-Control-Computed.
func (d *Directory) lockedFilter() string {
	if d.cfg.Kind == KindLDAP {
		return "(pwdAccountLockedTime=*)"
	}
	return "(lockoutTime>=1)"
}

// exactFilter matches one account by its logon names.
func (d *Directory) exactFilter(name string) string {
	v := ldap.EscapeFilter(name)
	if d.cfg.Kind == KindLDAP {
		return "(&" + d.userClassFilter() + "(uid=" + v + "))"
	}
	return "(&" + d.userClassFilter() + "(|(sAMAccountName=" + v + ")(userPrincipalName=" + v + ")))"
}

// and combines filters.
func and(fs ...string) string { return "(&" + strings.Join(fs, "") + ")" }
