// Package identity holds the nouns and the one interface the reset flow needs
// from a directory (Active Directory, generic LDAP, later Entra ID). The flow
// in bot/ decides; a Directory only reports facts and performs writes.
package identity

import "time"

// Account is what the flow knows about a directory account. Facts that feed
// the privileged-account guard are reported as found; the decision to refuse
// is taken by the reset service, never by the directory.
type Account struct {
	// ID is the directory's own handle (the DN for LDAP). It always comes from
	// a search result, never from user input.
	ID          string `json:"id"`
	Username    string `json:"username"` // sAMAccountName or uid
	UPN         string `json:"upn,omitempty"`
	Mail        string `json:"mail,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	// Manager is the ID (DN) of the account's manager as the directory
	// names it (AD and inetOrgPerson "manager"), read by Lookup only: the
	// owner notice may copy them. Empty when none is set.
	Manager string `json:"manager,omitempty"`
	// Attributes are the extra directory values the org verifies a caller
	// against (mobile, otherMailbox, employeeID, ...), read by Lookup only,
	// for the attributes the directory was configured to read. They are
	// compared or sent to, never shown, logged or stored: hence no JSON.
	Attributes map[string]string `json:"-"`

	Lock     LockState `json:"lock"`
	Disabled bool      `json:"disabled"`
	// LockoutHidden means the directory neither reports nor clears
	// lockouts: Entra ID's smart lockout is kept by the sign-in service and
	// no admin API shows or resets it, so Lock is always "not locked" here
	// and the flow says so instead of trusting it.
	LockoutHidden bool `json:"lockout_hidden,omitempty"`
	// PasswordLastSet is zero when the password must change at next logon.
	PasswordLastSet time.Time `json:"pwd_last_set,omitempty"`
	// PasswordExpires is when the current password expires under the
	// domain policy or a fine-grained policy (AD's
	// msDS-UserPasswordExpiryTimeComputed); zero when it never expires or
	// the directory does not say.
	PasswordExpires time.Time `json:"pwd_expires,omitempty"`
	// LastLogon is the most recent logon the directory reports (AD:
	// lastLogonTimestamp or lastLogon, whichever is newer; ppolicy:
	// pwdLastSuccess); zero when unknown.
	LastLogon time.Time `json:"last_logon,omitempty"`
	// PasswordStamp changes whenever the password is written (AD: the
	// unicodePwd version in replPropertyMetaData; ppolicy: pwdChangedTime).
	// The reset service records it before a write, so a worker taking over
	// after a crash can tell whether the write already happened. Empty when
	// the directory does not expose it.
	PasswordStamp string `json:"pwd_stamp,omitempty"`

	// Hybrid identity (Entra ID): the account is synced from on-premises
	// AD (onPremisesSyncEnabled), so its password belongs there. The wiring
	// routes such an account to the org's AD directory by these names; the
	// cloud directory refuses to reset it (identity.ErrSynced).
	Synced        bool   `json:"synced,omitempty"`
	OnPremAccount string `json:"onprem_account,omitempty"` // onPremisesSamAccountName
	OnPremDomain  string `json:"onprem_domain,omitempty"`  // onPremisesDomainName (DNS name)

	// Guard facts.
	InScope          bool     `json:"in_scope"`                    // under the org's base DN / allowed OUs
	AdminCount       bool     `json:"admin_count,omitempty"`       // AD adminCount=1
	ProtectedGroups  []string `json:"protected_groups,omitempty"`  // built-in privileged groups it belongs to (nested, primary group included)
	DenyGroups       []string `json:"deny_groups,omitempty"`       // org-configured deny groups it belongs to
	IntentionalLock  bool     `json:"intentional_lock,omitempty"`  // member of the org's "locked on purpose" group
	GuardUnavailable bool     `json:"guard_unavailable,omitempty"` // the directory could not establish the facts above
}

// LockState is the directory's current answer, not a cached guess. For AD it
// comes from msDS-User-Account-Control-Computed, since lockoutTime stays set
// after the lockout duration has passed.
type LockState struct {
	Locked   bool      `json:"locked"`
	LockedAt time.Time `json:"locked_at,omitempty"`
	BadCount int       `json:"bad_count,omitempty"`
	// LastBadAt is the last failed logon (AD badPasswordTime; ppolicy the
	// newest pwdFailureTime); zero when unknown or never.
	LastBadAt time.Time `json:"last_bad_at,omitempty"`
}

// Label is how an account is shown to a technician: "Alice Smith (alice)".
func (a Account) Label() string {
	if a.DisplayName == "" || a.DisplayName == a.Username {
		return a.Username
	}
	return a.DisplayName + " (" + a.Username + ")"
}

// Verification is what reading the account back after a write proved.
type Verification struct {
	Unlocked          bool `json:"unlocked"`
	MustChange        bool `json:"must_change"`    // pwdLastSet=0 / pwdReset=TRUE read back
	PasswordWorks     bool `json:"password_works"` // a bind with the new password was accepted (or answered "must change")
	BadCountCleared   bool `json:"bad_count_cleared"`
	PasswordCheckSkip bool `json:"password_check_skip"` // the directory cannot prove the password by bind (reported, not hidden)
	// LockHidden: the directory exposes no lockout at all (Entra ID smart
	// lockout), so Unlocked only means none is shown, and a requested
	// unlock was not, and could not be, performed.
	LockHidden bool `json:"lock_hidden,omitempty"`
}
