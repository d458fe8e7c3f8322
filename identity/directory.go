package identity

import "context"

// Directory is the one interface the reset flow consumes. Each organization
// has its own; an implementation serves exactly one base DN.
type Directory interface {
	// Search is the type-ahead: accounts whose username, UPN, mail or display
	// name start with query, locked accounts first, at most limit results.
	// An empty query lists locked accounts.
	Search(ctx context.Context, query string, limit int) ([]Account, error)
	// Lookup finds exactly one account by username (sAMAccountName/uid), UPN
	// or ID and fills in every guard fact. ErrNotFound when there is none,
	// ErrAmbiguous when the name matches more than one.
	Lookup(ctx context.Context, name string) (Account, error)
	// Unlock clears the lockout. It never enables a disabled account.
	Unlock(ctx context.Context, acct Account) error
	// SetPassword replaces the password and, when c.Unlock is set, clears
	// the lockout in the same write, so a password the directory refuses
	// leaves the account exactly as it was (still locked, old password).
	SetPassword(ctx context.Context, acct Account, c PasswordChange) error
	// Verify reads the account back and, when password is not zero, proves
	// it with a bind as the user.
	Verify(ctx context.Context, acct Account, password Secret, temporary bool) (Verification, error)
	// Ping checks that the directory answers with the configured credentials.
	Ping(ctx context.Context) error
}

// PasswordChange is one password write.
type PasswordChange struct {
	Password Secret
	// Temporary means "must change at next logon".
	Temporary bool
	// Unlock clears the lockout in the same write: AD takes both in one
	// modify, which it applies entirely or not at all. OpenLDAP's ppolicy
	// clears the lockout on any administrative password change, so there a
	// reset unlocks even without it.
	Unlock bool
}
