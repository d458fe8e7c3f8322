package hybrid

import (
	"context"
	"fmt"

	"github.com/unlockbot/unlockbot/identity"
)

var (
	_ identity.Locker = (*Directory)(nil)
	_ identity.Self   = (*Directory)(nil)
)

// LockOnPurpose locks where the account is mastered, as writes are
// routed: a cloud-only account in the tenant (its intentional-lock group,
// accountEnabled), a synced one in the org's AD (AD's group and
// ACCOUNTDISABLE). A cloud disable of a synced account would be
// overwritten by the next Entra Connect sync, and AD's disable reaches the
// tenant through that same sync. The guard refuses the account when
// either side holds it (route).
func (d *Directory) LockOnPurpose(ctx context.Context, a identity.Account, mode identity.LockMode) (identity.LockDone, error) {
	l, err := d.locker(a)
	if err != nil {
		return identity.LockDone{Mode: mode}, err
	}
	return l.LockOnPurpose(ctx, a, mode)
}

// ReleaseLock releases where LockOnPurpose locked.
func (d *Directory) ReleaseLock(ctx context.Context, a identity.Account, done identity.LockDone) error {
	l, err := d.locker(a)
	if err != nil {
		return err
	}
	return l.ReleaseLock(ctx, a, done)
}

func (d *Directory) locker(a identity.Account) (identity.Locker, error) {
	s, err := d.side(a)
	if err != nil {
		return nil, err
	}
	l, ok := identity.Find[identity.Locker](s)
	if !ok {
		return nil, identity.E("hybrid.locker", identity.KindInvalid, "This directory cannot lock "+a.Username+" on purpose; lock it by hand.",
			fmt.Errorf("no Locker for %s: %w", a.Username, identity.ErrUnsupported))
	}
	return l, nil
}

// IsBotAccount asks the side the account lives on: the AD account the bot
// binds as may be synced to the tenant. The tenant side has no such
// account (the bot signs in there as an app).
func (d *Directory) IsBotAccount(a identity.Account) bool {
	s, err := d.side(a)
	if err != nil {
		return false
	}
	self, ok := identity.Find[identity.Self](s)
	return ok && self.IsBotAccount(a)
}
