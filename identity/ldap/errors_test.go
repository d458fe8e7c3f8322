package ldap

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// The exact texts Samba AD sends (docs/AD-LAB.md, and seen in the lab).
const (
	adBind52e = "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1"
	adBind775 = "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 775, v1db1"
	adBind773 = "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 773, v1db1"
	adBind533 = "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 533, v1db1"
	adBind701 = "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 701, v1db1"
	adBind532 = "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 532, v1db1"
	adShort   = "0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 7 characters!"
	adComplex = "0000052D: Constraint violation - check_password_restrictions: the password does not meet the complexity criteria!"
	// Windows Server sends no reason at all.
	winPolicy = "0000052D: AtrErr: DSID-03190FD4, #1:\n\t0: 0000052D: DSID-03190FD4, problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)\n\x00"
	adNoWrite = "00002098: Object CN=Bob Jones,OU=Staff,DC=example,DC=test has no write property access"
	adNoBase  = "00002030: No such Base DN: CN=Nobody,OU=Staff,DC=example,DC=test"
	adStrong  = "BindSimple: Transport encryption required."
)

func ldapErr(code uint16, msg string) error { return ldap.NewError(code, errors.New(msg)) }

func TestBindFailureCodes(t *testing.T) {
	for _, c := range []struct {
		msg  string
		want error
	}{
		{adBind52e, identity.ErrBadPassword},
		{adBind775, identity.ErrLockedOut},
		{adBind773, identity.ErrMustChange},
		{adBind533, identity.ErrDisabled},
		{adBind701, identity.ErrExpired},
		{adBind532, identity.ErrExpired},
		{"", identity.ErrBadPassword},             // OpenLDAP: no diagnostic
		{"Account locked", identity.ErrLockedOut}, // ppolicy when it says why
	} {
		got, reason := bindFailure(ldapErr(ldap.LDAPResultInvalidCredentials, c.msg))
		if !errors.Is(got, c.want) || reason == "" {
			t.Errorf("%q: got %v (%q), want %v", c.msg, got, reason, c.want)
		}
	}
	if got, _ := bindFailure(ldapErr(ldap.LDAPResultBusy, adBind775)); got != nil {
		t.Errorf("a non-49 result is not a bind failure, got %v", got)
	}
}

func TestClassify(t *testing.T) {
	ad := &Directory{cfg: Config{Kind: KindAD}}
	gen := &Directory{cfg: Config{Kind: KindLDAP}}
	for _, c := range []struct {
		name     string
		d        *Directory
		act      action
		err      error
		kind     identity.Kind
		sentinel error
		safe     string // substring of the technician's sentence
	}{
		{"too short", ad, actSetPassword, ldapErr(19, adShort), identity.KindInvalid, identity.ErrPolicy,
			"The directory rejected the password: the password is too short. It should be equal or longer than 7 characters!"},
		{"complexity", ad, actSetPassword, ldapErr(19, adComplex), identity.KindInvalid, identity.ErrPolicy,
			"The directory rejected the password: the password does not meet the complexity criteria!"},
		{"windows policy", ad, actSetPassword, ldapErr(19, winPolicy), identity.KindInvalid, identity.ErrPolicy,
			"does not meet the password policy"},
		{"ppolicy quality", gen, actSetPassword, ldapErr(19, "Password fails quality checking policy"), identity.KindInvalid,
			identity.ErrPolicy, "rejected the password: password fails quality checking policy"},
		{"rights unlock", ad, actUnlock, ldapErr(50, adNoWrite), identity.KindForbidden, identity.ErrRights,
			"lacks the right to unlock this account; grant it write access to lockoutTime on the OU"},
		{"rights reset", ad, actSetPassword, ldapErr(50, "error in module acl: insufficient access rights during LDB_MODIFY (50)"),
			identity.KindForbidden, identity.ErrRights, "grant it Reset Password and write access to pwdLastSet"},
		{"rights ldap", gen, actSetPassword, ldapErr(50, ""), identity.KindForbidden, identity.ErrRights, "userPassword and pwdReset"},
		{"no such object", ad, actUnlock, ldapErr(32, adNoBase), identity.KindNotFound, identity.ErrNotFound, "not found"},
		{"strong auth", ad, actRead, ldapErr(8, adStrong), identity.KindForbidden, identity.ErrInsecure, "encrypted connection"},
		{"service bind 52e", ad, actRead, &bindError{err: ldapErr(49, adBind52e)}, identity.KindForbidden, identity.ErrRights,
			"The bot account cannot sign in to the directory (wrong password)"},
		{"service bind plain", ad, actRead, &bindError{err: ldapErr(8, adStrong)}, identity.KindForbidden, identity.ErrInsecure, "use ldaps://"},
		{"network", ad, actRead, ldapErr(ldap.ErrorNetwork, "ldap: connection closed"), identity.KindUnavailable, identity.ErrUnavailable, "cannot be reached"},
		{"busy", ad, actRead, ldapErr(ldap.LDAPResultBusy, ""), identity.KindUnavailable, identity.ErrUnavailable, "try again"},
		{"unexpected", ad, actRead, ldapErr(ldap.LDAPResultAliasProblem, ""), identity.KindInternal, nil, "LDAP code 33"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.d.classify("ldap.test", c.act, c.err)
			var ie *identity.Error
			if !errors.As(err, &ie) {
				t.Fatalf("not an *identity.Error: %v", err)
			}
			if ie.Kind != c.kind || ie.Op != "ldap.test" {
				t.Errorf("kind %s op %s, want %s", ie.Kind, ie.Op, c.kind)
			}
			if c.sentinel != nil && !errors.Is(err, c.sentinel) {
				t.Errorf("errors.Is(%v) = false", c.sentinel)
			}
			if !strings.Contains(ie.Safe, c.safe) {
				t.Errorf("safe = %q, want it to contain %q", ie.Safe, c.safe)
			}
			var le *ldap.Error
			if _, isBind := c.err.(*bindError); !isBind && !errors.As(err, &le) {
				t.Errorf("the LDAP error is lost from the chain: %v", err)
			}
		})
	}
}

func TestClassifyKeepsClassified(t *testing.T) {
	in := identity.E("ldap.inner", identity.KindConflict, "x", identity.ErrAmbiguous)
	if got := (&Directory{}).classify("ldap.outer", actRead, in); got != error(in) {
		t.Errorf("an already classified error was rewrapped: %v", got)
	}
}
