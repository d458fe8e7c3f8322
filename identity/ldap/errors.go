package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// action says what the bot was doing, so a missing right can be named.
type action int

const (
	actRead action = iota
	actUnlock
	actSetPassword
	actLock // an intentional lock or its release
)

// LDAP result codes go-ldap does not name the way we need.
const (
	codeConstraintViolation = ldap.LDAPResultConstraintViolation // 19
	codeNoSuchAttribute     = ldap.LDAPResultNoSuchAttribute     // 16
)

// adDataRE finds the Win32 error in an AD bind diagnostic:
// "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 775, v1db1".
var adDataRE = regexp.MustCompile(`(?i)\bdata ([0-9a-f]{3,8})\b`)

// adBindCode returns AD's "data XXX" code of a bind failure, lower case, or "".
func adBindCode(msg string) string {
	m := adDataRE.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	return strings.ToLower(m[1])
}

// bindFailure maps a failed simple bind (result 49) to a sentinel and a
// phrase. AD says why in "data XXX"; OpenLDAP's ppolicy says "Account locked".
func bindFailure(err error) (sentinel error, reason string) {
	var le *ldap.Error
	if !errors.As(err, &le) || le.ResultCode != ldap.LDAPResultInvalidCredentials {
		return nil, ""
	}
	msg := ""
	if le.Err != nil {
		msg = le.Err.Error()
	}
	switch adBindCode(msg) {
	case "52e":
		return identity.ErrBadPassword, "wrong password"
	case "775":
		return identity.ErrLockedOut, "the account is locked out"
	case "773":
		return identity.ErrMustChange, "the password must be changed at next logon"
	case "533":
		return identity.ErrDisabled, "the account is disabled"
	case "701":
		return identity.ErrExpired, "the account has expired"
	case "532":
		return identity.ErrExpired, "the password has expired"
	case "525":
		return identity.ErrNotFound, "no such account"
	case "530", "531":
		return identity.ErrBadPassword, "sign-in is not permitted at this time or from this computer"
	}
	if strings.Contains(strings.ToLower(msg), "account locked") {
		return identity.ErrLockedOut, "the account is locked out"
	}
	return identity.ErrBadPassword, "wrong password"
}

// passwordReason extracts the policy reason from a constraint violation:
// Samba puts it after "check_password_restrictions: "; OpenLDAP's ppolicy
// sends a short sentence; Windows AD sends only "0000052D: ... CONSTRAINT_ATT_TYPE".
func passwordReason(msg string) string {
	msg = strings.TrimRight(strings.TrimSpace(msg), "\x00")
	if i := strings.Index(msg, "check_password_restrictions: "); i >= 0 {
		return strings.TrimSpace(msg[i+len("check_password_restrictions: "):])
	}
	if msg == "" || strings.Contains(msg, "0000052D") || strings.Contains(msg, "DSID-") {
		return "it does not meet the password policy (length, complexity, history or minimum age)"
	}
	return strings.ToLower(msg[:1]) + msg[1:]
}

// classify turns err into an *identity.Error with op, a kind and a sentence
// a technician can act on. Server diagnostics never contain the password;
// callers that hold one also run scrub.
func (d *Directory) classify(op string, act action, err error) error {
	if err == nil {
		return nil
	}
	var done *identity.Error
	if errors.As(err, &done) {
		return err
	}
	kind, sentinel, safe := d.explain(act, err)
	if sentinel != nil {
		err = fmt.Errorf("%w: %w", sentinel, err)
	}
	return identity.E(op, kind, safe, err)
}

func (d *Directory) explain(act action, err error) (identity.Kind, error, string) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return identity.KindUnavailable, identity.ErrUnavailable, "The directory did not answer in time; try again in a minute."
	case errors.Is(err, context.Canceled):
		return identity.KindUnavailable, identity.ErrUnavailable, "The request was cancelled before the directory answered."
	}
	if isTLSVerify(err) {
		return identity.KindForbidden, identity.ErrInsecure,
			"The directory's TLS certificate could not be verified; check ca_file and the host name in url."
	}
	var be *bindError
	if errors.As(err, &be) {
		if ldap.IsErrorWithCode(be.err, ldap.LDAPResultStrongAuthRequired) {
			return identity.KindForbidden, identity.ErrInsecure,
				"The directory requires an encrypted connection for the bot to sign in; use ldaps:// or start_tls."
		}
		if _, reason := bindFailure(be.err); reason != "" {
			return identity.KindForbidden, identity.ErrRights,
				"The bot account cannot sign in to the directory (" + reason + "); check bind_dn and bind_password."
		}
	}
	var le *ldap.Error
	if !errors.As(err, &le) {
		var ne net.Error
		if errors.As(err, &ne) {
			return identity.KindUnavailable, identity.ErrUnavailable, "The directory cannot be reached right now; try again in a minute."
		}
		return identity.KindInternal, nil, "Unexpected error while talking to the directory."
	}
	msg := ""
	if le.Err != nil {
		msg = le.Err.Error()
	}
	switch le.ResultCode {
	case ldap.ErrorNetwork, ldap.LDAPResultServerDown, ldap.LDAPResultBusy, ldap.LDAPResultUnavailable,
		ldap.LDAPResultTimeLimitExceeded, ldap.LDAPResultConnectError:
		return identity.KindUnavailable, identity.ErrUnavailable, "The directory cannot be reached right now; try again in a minute."
	case ldap.LDAPResultInvalidCredentials:
		sentinel, reason := bindFailure(le)
		return identity.KindInvalid, sentinel, "The directory refused the sign-in: " + reason + "."
	case codeConstraintViolation:
		if act == actSetPassword || strings.Contains(msg, "0000052D") {
			return identity.KindInvalid, identity.ErrPolicy, "The directory rejected the password: " + passwordReason(msg)
		}
		return identity.KindInvalid, nil, "The directory refused the change (constraint violation)."
	case ldap.LDAPResultInsufficientAccessRights:
		return identity.KindForbidden, identity.ErrRights, d.rightsSentence(act)
	case ldap.LDAPResultNoSuchObject:
		if act == actRead && le.MatchedDN == "" && strings.Contains(msg, "Base DN") {
			return identity.KindNotFound, identity.ErrNotFound, "The configured base DN does not exist in the directory (check base_dn)."
		}
		return identity.KindNotFound, identity.ErrNotFound, "The account was not found in the directory (it may have been moved or deleted)."
	case ldap.LDAPResultStrongAuthRequired, ldap.LDAPResultConfidentialityRequired:
		return identity.KindForbidden, identity.ErrInsecure, "The directory requires an encrypted connection; use ldaps:// or start_tls."
	case ldap.LDAPResultUnwillingToPerform:
		if act == actSetPassword {
			return identity.KindForbidden, identity.ErrPolicy,
				"The directory refused to set the password (unwilling to perform); it may require an encrypted connection or forbid this change."
		}
		return identity.KindForbidden, nil, "The directory refused the operation (unwilling to perform)."
	case ldap.LDAPResultOperationsError:
		return identity.KindInternal, nil, "The directory reported an operations error (is the bot account signed in?)."
	case ldap.LDAPResultReferral:
		return identity.KindNotFound, identity.ErrNotFound, "That name belongs to another domain (referral); it is outside this directory."
	case ldap.LDAPResultInvalidDNSyntax, ldap.ErrorFilterCompile:
		return identity.KindInvalid, nil, "The account name is not valid."
	}
	return identity.KindInternal, nil, fmt.Sprintf("The directory answered with an unexpected error (LDAP code %d, %s).",
		le.ResultCode, ldap.LDAPResultCodeMap[le.ResultCode])
}

// rightsSentence names the right the bot lacks, in the directory's terms.
func (d *Directory) rightsSentence(act action) string {
	switch {
	case act == actUnlock && d.cfg.Kind == KindAD:
		return "The bot account lacks the right to unlock this account; grant it write access to lockoutTime on the OU."
	case act == actUnlock:
		return "The bot account lacks the right to unlock this account; grant it write access to pwdAccountLockedTime under the base DN."
	case act == actSetPassword && d.cfg.Kind == KindAD:
		return "The bot account lacks the right to reset the password of this account; grant it Reset Password and write access to pwdLastSet on the OU."
	case act == actLock && d.cfg.Kind == KindAD:
		return "The bot account lacks the right to lock this account on purpose; grant it write access to member on the intentional-lock group and to userAccountControl on the OU."
	case act == actLock:
		return "The bot account lacks the right to lock this account on purpose; grant it write access to member on the intentional-lock group and to pwdAccountLockedTime under the base DN."
	case act == actSetPassword:
		return "The bot account lacks the right to reset the password of this account; grant it write access to userPassword and pwdReset under the base DN."
	}
	return "The bot account lacks the right to read this part of the directory."
}

func isTLSVerify(err error) bool {
	var (
		ua *x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
		cv *tls.CertificateVerificationError
	)
	return errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &cv)
}
