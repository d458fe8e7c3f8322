package ldap

import (
	"fmt"

	goldap "github.com/go-ldap/ldap/v3"
)

// RawADReset does the directory work of one AD reset as bare go-ldap
// calls on c, exactly the operations Directory makes (Lookup's subtree
// search, the guard's base read with the DACL, the one write that sets
// the password and clears the lockout, Verify's read-back), so that a
// benchmark or the storm test can compare the service with the floor and
// the two never drift apart. It proves nothing and guards nothing: the
// service never calls it. utf16Pwd is the quoted UTF-16LE unicodePwd
// value; name is the account's sAMAccountName.
func RawADReset(c *goldap.Conn, base, name, dn string, utf16Pwd []byte) error {
	filter := (&Directory{cfg: Config{Kind: KindAD}}).exactFilter(name)
	res, err := c.Search(goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		2, 0, false, filter, adLookupAttrs, nil))
	if err != nil {
		return err
	}
	if len(res.Entries) != 1 {
		return fmt.Errorf("%d entries for %s", len(res.Entries), name)
	}
	dacl := []goldap.Control{&goldap.ControlMicrosoftSDFlags{ControlValue: 4}}
	if _, err := c.Search(goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases,
		1, 0, false, "(objectClass=user)", adGuardAttrs, dacl)); err != nil {
		return err
	}
	write := goldap.NewModifyRequest(dn, nil)
	if utf16Pwd != nil {
		write.Replace("unicodePwd", []string{string(utf16Pwd)})
		write.Replace("pwdLastSet", []string{"-1"})
	}
	write.Replace("lockoutTime", []string{"0"})
	if err := c.Modify(write); err != nil {
		return err
	}
	_, err = c.Search(goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases,
		1, 0, false, "(objectClass=user)", adAttrs, nil))
	return err
}
