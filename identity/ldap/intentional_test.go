package ldap_test

import (
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// labs runs fn against the Samba AD lab and the slapd lab.
func labs(t *testing.T, fn func(t *testing.T, s *ldaptest.Server)) {
	t.Run("ad", func(t *testing.T) { fn(t, ldaptest.AD(t)) })
	t.Run("slapd", func(t *testing.T) { fn(t, ldaptest.Slapd(t)) })
}

// lockFixture is bob as the fixtures made him, put back after the test
// whatever it left.
func lockFixture(t *testing.T, s *ldaptest.Server) (*ldap.Directory, identity.Account) {
	t.Helper()
	dn := s.DN(t, "bob")
	t.Cleanup(func() {
		s.SetMember(t, s.IntentionalLockDN, dn, false)
		s.SetDisabled(t, dn, false)
		s.Restore(t, dn)
	})
	d := newDir(t, s)
	acct, err := d.Lookup(ctxT(t), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if acct.IntentionalLock || acct.Disabled || s.Disabled(t, dn) {
		t.Fatalf("fixture bob is not clean: %+v", acct)
	}
	return d, acct
}

func TestIntentionalLockDisableAndRelease(t *testing.T) {
	labs(t, func(t *testing.T, s *ldaptest.Server) {
		d, acct := lockFixture(t, s)
		ctx := ctxT(t)
		done, err := d.LockOnPurpose(ctx, acct, identity.LockDisable)
		if err != nil {
			t.Fatalf("LockOnPurpose as the delegated bot: %v", err)
		}
		if done != (identity.LockDone{Mode: identity.LockDisable, Grouped: true, Blocked: true}) {
			t.Fatalf("done = %+v", done)
		}
		if !s.IsMember(t, s.IntentionalLockDN, acct.ID) || !s.Disabled(t, acct.ID) {
			t.Fatal("the directory does not show bob in the group and disabled")
		}
		got, err := d.Lookup(ctx, "bob")
		if err != nil || !got.IntentionalLock {
			t.Fatalf("Lookup after the lock: intentional=%v err=%v", got.IntentionalLock, err)
		}
		if err := s.Bind(acct.ID, s.UserPassword); err == nil {
			t.Fatal("bob still signs in after a disabling lock")
		}
		var uacWrites int
		if s.Kind == "ad" {
			uacWrites = s.MetaVersion(t, acct.ID, ldaptest.AttUserAccountControl)
		}
		again, err := d.LockOnPurpose(ctx, acct, identity.LockDisable)
		if err != nil || again.Grouped || again.Blocked {
			t.Fatalf("a repeated lock changed something: %+v, %v", again, err)
		}
		if s.Kind == "ad" && s.MetaVersion(t, acct.ID, ldaptest.AttUserAccountControl) != uacWrites {
			t.Fatal("a repeated lock wrote userAccountControl again")
		}
		if err := d.ReleaseLock(ctx, acct, done); err != nil {
			t.Fatalf("ReleaseLock: %v", err)
		}
		if s.IsMember(t, s.IntentionalLockDN, acct.ID) || s.Disabled(t, acct.ID) {
			t.Fatal("after the release bob is still in the group or disabled")
		}
		if err := s.Bind(acct.ID, s.UserPassword); err != nil {
			t.Fatalf("bob cannot sign in after the release: %v", err)
		}
		if err := d.ReleaseLock(ctx, acct, done); err != nil {
			t.Fatalf("a repeated release: %v", err)
		}
	})
}

// An account disabled before the lock stays disabled after the release,
// and a release that lost the lock's record enables nothing.
func TestIntentionalLockNeverEnablesWhatItDidNotDisable(t *testing.T) {
	labs(t, func(t *testing.T, s *ldaptest.Server) {
		d, acct := lockFixture(t, s)
		ctx := ctxT(t)
		s.SetDisabled(t, acct.ID, true)
		done, err := d.LockOnPurpose(ctx, acct, identity.LockDisable)
		if err != nil || !done.Grouped || done.Blocked {
			t.Fatalf("lock of a disabled account: %+v, %v", done, err)
		}
		if err := d.ReleaseLock(ctx, acct, done); err != nil {
			t.Fatal(err)
		}
		if !s.Disabled(t, acct.ID) || s.IsMember(t, s.IntentionalLockDN, acct.ID) {
			t.Fatal("the release enabled an account disabled before the lock, or kept it in the group")
		}
		s.SetDisabled(t, acct.ID, false)
		if _, err := d.LockOnPurpose(ctx, acct, identity.LockDisable); err != nil {
			t.Fatal(err)
		}
		if err := d.ReleaseLock(ctx, acct, identity.LockDone{}); err != nil {
			t.Fatal(err)
		}
		if !s.Disabled(t, acct.ID) || s.IsMember(t, s.IntentionalLockDN, acct.ID) {
			t.Fatal("a release without the lock's record enabled the account, or kept it in the group")
		}
	})
}

func TestIntentionalLockGroupOnly(t *testing.T) {
	labs(t, func(t *testing.T, s *ldaptest.Server) {
		d, acct := lockFixture(t, s)
		var uacWrites int
		if s.Kind == "ad" {
			uacWrites = s.MetaVersion(t, acct.ID, ldaptest.AttUserAccountControl)
		}
		done, err := d.LockOnPurpose(ctxT(t), acct, identity.LockGroup)
		if err != nil || done != (identity.LockDone{Mode: identity.LockGroup, Grouped: true}) {
			t.Fatalf("group lock: %+v, %v", done, err)
		}
		if !s.IsMember(t, s.IntentionalLockDN, acct.ID) || s.Disabled(t, acct.ID) {
			t.Fatal("a group lock must add the member and leave sign-in alone")
		}
		if s.Kind == "ad" && s.MetaVersion(t, acct.ID, ldaptest.AttUserAccountControl) != uacWrites {
			t.Fatal("a group lock wrote userAccountControl")
		}
		if err := s.Bind(acct.ID, s.UserPassword); err != nil {
			t.Fatalf("a group lock stopped sign-in: %v", err)
		}
	})
}

func TestIntentionalLockRefusals(t *testing.T) {
	labs(t, func(t *testing.T, s *ldaptest.Server) {
		d, acct := lockFixture(t, s)
		ctx := ctxT(t)
		noGroup := newDir(t, s, func(c *ldap.Config) { c.IntentionalLockGroup = "" })
		_, err := noGroup.LockOnPurpose(ctx, acct, identity.LockDisable)
		wantKind(t, err, identity.KindInvalid, nil)
		_, err = d.LockOnPurpose(ctx, acct, identity.LockMode("freeze"))
		wantKind(t, err, identity.KindInvalid, nil)
		outside := identity.Account{ID: s.DN(t, "outsider")}
		_, err = d.LockOnPurpose(ctx, outside, identity.LockDisable)
		wantKind(t, err, identity.KindForbidden, nil)
		if s.IsMember(t, s.IntentionalLockDN, acct.ID) || s.IsMember(t, s.IntentionalLockDN, outside.ID) {
			t.Fatal("a refused lock changed the group")
		}
		plain := newDir(t, s, func(c *ldap.Config) { c.URL, c.DevMode = s.PlainURL, true })
		_, err = plain.LockOnPurpose(ctx, acct, identity.LockDisable)
		wantKind(t, err, identity.KindForbidden, identity.ErrInsecure)
		err = plain.ReleaseLock(ctx, acct, identity.LockDone{})
		wantKind(t, err, identity.KindForbidden, identity.ErrInsecure)
	})
}
