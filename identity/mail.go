package identity

import "context"

// MailFinder is optional on a Directory: it finds the one account whose
// mail attribute is addr. Lookup matches logon names only, so a person
// whose chat profile gives their mail (not their UPN) could not be mapped
// to their account for self-service without it. ErrNotFound when none
// has it, ErrAmbiguous when several do: a shared or reused address names
// nobody in particular.
type MailFinder interface {
	LookupByMail(ctx context.Context, addr string) (Account, error)
}
