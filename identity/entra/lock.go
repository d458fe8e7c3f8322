package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

var _ identity.Locker = (*Directory)(nil)

// LockOnPurpose implements identity.Locker for a cloud account. The group
// comes first: once the user is a member, the guard (checkMemberGroups)
// refuses every helpdesk unlock and reset, so a failure in a later step
// leaves the account safe, not half done. For identity.LockDisable it then
// sets accountEnabled false (only when the tenant says it is enabled, so
// Blocked means "this lock disabled it") and revokes the sign-in sessions:
// disabling stops new sign-ins, and the revoke ends the refresh tokens a
// session already holds, so a held account is signed out now.
//
// Privileged accounts are not refused here: the /lock flow refuses them
// for every directory (bot.lockGuard), from the roles Lookup reads.
//
// A synced (hybrid) account is refused before anything is sent: Entra
// Connect would overwrite accountEnabled from AD, and Graph refuses the
// write anyway; identity/hybrid routes its lock to the org's AD.
//
// Writes are retried only on 429 (Graph did nothing): a repeated add after
// a lost answer would say "already a member" and lose what this lock did.
func (d *Directory) LockOnPurpose(ctx context.Context, acct identity.Account, mode identity.LockMode) (identity.LockDone, error) {
	const op = "entra.(*Directory).LockOnPurpose"
	done := identity.LockDone{Mode: mode}
	path, group, err := d.lockTarget(op, acct)
	if err != nil {
		return done, err
	}
	if !mode.Valid() {
		return done, identity.E(op, identity.KindInvalid, "Choose how to lock: disable or group.", errors.New("unknown lock mode "+string(mode)))
	}
	ref := map[string]string{"@odata.id": d.cfg.GraphURL + "/directoryObjects/" + strings.TrimPrefix(path, "/users/")}
	err = d.do(ctx, call{method: http.MethodPost, path: group + "/members/$ref", body: ref}, nil)
	switch {
	case err == nil:
		done.Grouped = true
	case !alreadyMember(err):
		return done, classify(op, actLockGroup, err)
	}
	if mode != identity.LockDisable {
		return done, nil
	}
	enabled, err := d.enabled(ctx, path)
	if err != nil {
		return done, classify(op, actReadUsers, err)
	}
	if enabled {
		if err := d.setEnabled(ctx, path, false); err != nil {
			return done, classify(op, actDisable, err)
		}
		done.Blocked = true
	}
	if err := d.do(ctx, call{method: http.MethodPost, path: path + "/revokeSignInSessions"}, nil); err != nil {
		return done, identity.E(op, identity.KindPartial,
			acct.Username+" is locked and disabled, but signing it out of existing sessions failed: revoke them in Entra admin center → Users → "+acct.Username+" → Revoke sessions.",
			fmt.Errorf("%w: revokeSignInSessions: %w", identity.ErrPartial, classify(op, actRevoke, err)))
	}
	return done, nil
}

// ReleaseLock implements identity.Locker: the account is enabled again
// first, only when done.Blocked says the lock disabled it, and the
// membership goes last, so until the very end the guard still refuses the
// account. A user who is no longer a direct member (404) is fine: someone
// removed it by hand.
func (d *Directory) ReleaseLock(ctx context.Context, acct identity.Account, done identity.LockDone) error {
	const op = "entra.(*Directory).ReleaseLock"
	path, group, err := d.lockTarget(op, acct)
	if err != nil {
		return err
	}
	if done.Blocked {
		if err := d.setEnabled(ctx, path, true); err != nil {
			return classify(op, actDisable, err)
		}
	}
	id := strings.TrimPrefix(path, "/users/")
	err = d.do(ctx, call{method: http.MethodDelete, path: group + "/members/" + id + "/$ref"}, nil)
	if err != nil && graphStatus(err) != http.StatusNotFound {
		return classify(op, actLockGroup, err)
	}
	return nil
}

// lockTarget is target plus what every lock write needs: a group, and an
// account whose state lives in the tenant.
func (d *Directory) lockTarget(op string, acct identity.Account) (path, group string, err error) {
	if d.cfg.IntentionalLockGroup == "" {
		return "", "", identity.NoLockGroup(op)
	}
	if path, err = d.target(op, acct); err != nil {
		return "", "", err
	}
	if acct.Synced {
		return "", "", identity.E(op, identity.KindForbidden,
			acct.Username+" is synced from on-premises Active Directory: lock it in AD; a cloud disable would be overwritten by the next sync.",
			identity.ErrSynced)
	}
	g, _ := seg(d.cfg.IntentionalLockGroup) // validated by Config.Validate
	return path, "/groups/" + g, nil
}

// enabled reads accountEnabled now: the tenant's answer, not Lookup's.
func (d *Directory) enabled(ctx context.Context, path string) (bool, error) {
	var u user
	err := d.do(ctx, call{method: http.MethodGet, path: path, query: url.Values{"$select": {"id,accountEnabled"}}, idempotent: true}, &u)
	if err != nil {
		return false, err
	}
	if u.AccountEnabled == nil {
		return false, errors.New("graph: accountEnabled not returned")
	}
	return *u.AccountEnabled, nil
}

func (d *Directory) setEnabled(ctx context.Context, path string, on bool) error {
	return d.do(ctx, call{method: http.MethodPatch, path: path, body: map[string]bool{"accountEnabled": on}}, nil)
}

// alreadyMember: Graph answers a duplicate add with 400 and "One or more
// added object references already exist for the following modified
// properties: 'members'."
func alreadyMember(err error) bool {
	var ge *graphError
	return errors.As(err, &ge) && ge.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(ge.Message), "already exist")
}
