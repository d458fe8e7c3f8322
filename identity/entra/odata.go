package entra

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameLen bounds what a technician may type: a UPN is at most 113
// characters (64 + "@" + 48), a display name 256.
const maxNameLen = 256

var (
	errEmptyName   = errors.New("is empty")
	errControl     = errors.New("contains control characters")
	errTooLong     = errors.New("is too long")
	errBadEncoding = errors.New("is not valid text")
)

// upnRE accepts what Entra accepts in a userPrincipalName: a local part of
// letters, digits and . _ - ' # ^ ~ + ! $ % & * ` { } | =, and a DNS domain.
var upnRE = regexp.MustCompile(`^[A-Za-z0-9._\-'#^~+!$%&*` + "`" + `{}|=]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$`)

// checkText refuses what no account name contains. Control characters are
// refused, not stripped: a name that needed changing is not the name typed.
func checkText(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errEmptyName
	case !utf8.ValidString(s):
		return errBadEncoding
	case len(s) > maxNameLen:
		return errTooLong
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return errControl
		}
	}
	return nil
}

// quote is the one way a typed value enters a $filter: an OData string
// literal, single quotes doubled. checkText ran first, so there is nothing
// left that could end the literal or the query; the whole query is then
// URL-encoded by url.Values, so & # + and % stay inside the value.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// seg is the one way an id or UPN becomes a path segment: validated as a
// GUID or a UPN, then escaped. Anything else never reaches a URL.
func seg(id string) (string, bool) {
	if !guidRE.MatchString(id) && !upnRE.MatchString(id) {
		return "", false
	}
	return url.PathEscape(id), true
}

// isGUID reports whether s is an object id.
func isGUID(s string) bool { return guidRE.MatchString(s) }

// isUPN reports whether s has the shape of a userPrincipalName.
func isUPN(s string) bool { return upnRE.MatchString(s) }
