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
	// SetPassword replaces the password; temporary means "must change at
	// next logon".
	SetPassword(ctx context.Context, acct Account, password Secret, temporary bool) error
	// Verify reads the account back and, when password is not zero, proves
	// it with a bind as the user.
	Verify(ctx context.Context, acct Account, password Secret, temporary bool) (Verification, error)
	// Ping checks that the directory answers with the configured credentials.
	Ping(ctx context.Context) error
}
