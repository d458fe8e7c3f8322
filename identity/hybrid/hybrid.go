// Package hybrid serves an Entra ID tenant whose accounts may be synced
// from an on-premises Active Directory. A synced account's password
// belongs to AD: Entra ID either refuses a cloud reset or lets the next
// sync overwrite it. So a synced account is read, guarded and reset in the
// org's AD, with the cloud's guard facts (directory roles, deny groups)
// kept on top; a cloud-only account stays in Entra ID. Nothing ever
// changes only one side silently.
package hybrid

import (
	"context"
	"errors"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// Directory routes each account to where its password lives.
type Directory struct {
	cloud, onPrem identity.Directory // onPrem may be nil: synced accounts are then refused
}

var _ identity.Directory = (*Directory)(nil)

// New combines the tenant with the org's AD (nil when it has none).
func New(cloud, onPrem identity.Directory) *Directory {
	return &Directory{cloud: cloud, onPrem: onPrem}
}

// Search is the tenant's: it holds synced and cloud-only people alike.
func (d *Directory) Search(ctx context.Context, q string, limit int) ([]identity.Account, error) {
	return d.cloud.Search(ctx, q, limit)
}

// Lookup reads the account in the tenant and, when it is synced, in AD:
// the AD account (its real lockout, its DN, AD's guard facts) under the
// cloud's user principal name, with the cloud's roles and deny groups.
func (d *Directory) Lookup(ctx context.Context, name string) (identity.Account, error) {
	c, err := d.cloud.Lookup(ctx, name)
	return d.route(ctx, "hybrid.Lookup", c, err)
}

var _ identity.MailFinder = (*Directory)(nil)

// LookupByMail is the tenant's, routed to AD for a synced account as
// Lookup is. A tenant that cannot find by mail finds nobody by it.
func (d *Directory) LookupByMail(ctx context.Context, addr string) (identity.Account, error) {
	mf, ok := identity.Find[identity.MailFinder](d.cloud)
	if !ok {
		return identity.Account{}, identity.E("hybrid.LookupByMail", identity.KindNotFound, "No account has this e-mail address.", identity.ErrNotFound)
	}
	c, err := mf.LookupByMail(ctx, addr)
	return d.route(ctx, "hybrid.LookupByMail", c, err)
}

// route turns the tenant's account c into the one to act on: c itself
// when cloud-only, else the AD account under the cloud's names.
func (d *Directory) route(ctx context.Context, op string, c identity.Account, err error) (identity.Account, error) {
	if err != nil || !c.Synced {
		return c, err
	}
	if d.onPrem == nil {
		return identity.Account{}, identity.E(op, identity.KindInvalid,
			c.UPN+" is synced from on-premises Active Directory, and this organization has no on_premises directory in unlockbot's config: "+
				"reset it in AD, or ask an admin to add the AD. A reset in Entra ID alone would be refused or overwritten by the next sync.", identity.ErrSynced)
	}
	if c.OnPremAccount == "" {
		return identity.Account{}, identity.E(op, identity.KindInvalid,
			c.UPN+" is synced from on-premises AD but Entra ID does not say its AD account name, so unlockbot cannot find it there. Reset it in AD.", identity.ErrSynced)
	}
	a, err := d.onPrem.Lookup(ctx, c.OnPremAccount)
	if errors.Is(err, identity.ErrNotFound) {
		return identity.Account{}, identity.E(op, identity.KindInvalid,
			c.UPN+" is synced from AD account "+c.OnPremAccount+", which is not under this organization's on_premises base DN. Reset it in AD, or ask an admin to check the base DN.", err)
	}
	if err != nil {
		return identity.Account{}, err
	}
	a.Username, a.UPN, a.Mail = c.UPN, c.UPN, firstOf(c.Mail, a.Mail)
	// The person's facts are the tenant's: the org's verification
	// properties are Graph's (Entra Connect synced them from AD), and the
	// manager must be an id this directory's Lookup can read back; AD's
	// manager DN is not one.
	a.Attributes, a.Manager = c.Attributes, c.Manager
	a.Synced, a.OnPremAccount, a.OnPremDomain = true, c.OnPremAccount, c.OnPremDomain
	a.ProtectedGroups = append(a.ProtectedGroups, c.ProtectedGroups...)
	a.DenyGroups = append(a.DenyGroups, c.DenyGroups...)
	a.IntentionalLock = a.IntentionalLock || c.IntentionalLock // held on either side: refused
	a.Disabled = a.Disabled || c.Disabled
	a.GuardUnavailable = a.GuardUnavailable || c.GuardUnavailable
	a.InScope = a.InScope && c.InScope
	return a, nil
}

// side is where an account read by Lookup lives.
func (d *Directory) side(a identity.Account) (identity.Directory, error) {
	if !a.Synced && !strings.Contains(a.ID, "=") { // an Entra object id, never a DN
		return d.cloud, nil
	}
	if d.onPrem == nil {
		return nil, identity.E("hybrid", identity.KindInvalid, a.Username+" is synced from on-premises Active Directory: reset it in AD.", identity.ErrSynced)
	}
	return d.onPrem, nil
}

// Unlock clears an AD lockout; Entra ID's own answer for a cloud account.
func (d *Directory) Unlock(ctx context.Context, a identity.Account) error {
	s, err := d.side(a)
	if err != nil {
		return err
	}
	return s.Unlock(ctx, a)
}

// SetPassword writes where the password lives.
func (d *Directory) SetPassword(ctx context.Context, a identity.Account, c identity.PasswordChange) error {
	s, err := d.side(a)
	if err != nil {
		return err
	}
	return s.SetPassword(ctx, a, c)
}

// Verify reads back where the password was written.
func (d *Directory) Verify(ctx context.Context, a identity.Account, pw identity.Secret, temporary bool) (identity.Verification, error) {
	s, err := d.side(a)
	if err != nil {
		return identity.Verification{}, err
	}
	return s.Verify(ctx, a, pw, temporary)
}

// Ping checks both sides: a reset may need either.
func (d *Directory) Ping(ctx context.Context) error {
	if err := d.cloud.Ping(ctx); err != nil {
		return err
	}
	if d.onPrem != nil {
		return d.onPrem.Ping(ctx)
	}
	return nil
}

// Cloud and OnPrem are the two sides, for `unlockbot check`.
func (d *Directory) Cloud() identity.Directory  { return d.cloud }
func (d *Directory) OnPrem() identity.Directory { return d.onPrem }

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
