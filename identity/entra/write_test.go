package entra_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/entra"
	"github.com/unlockbot/unlockbot/identity/entra/entratest"
)

const goodPW = "Correct-Horse-42"

func reset(d *entra.Directory, a identity.Account, pw string, temp bool) error {
	return d.SetPassword(context.Background(), a, identity.PasswordChange{Password: identity.NewSecret(pw), Temporary: temp, Unlock: true})
}

func TestResetTemporaryAndNot(t *testing.T) {
	for _, temp := range []bool{true, false} {
		s := tenant(t)
		d, _ := dir(t, s)
		a := lookup(t, d, "alice@contoso.com")
		s.Advance(time.Minute)
		if err := reset(d, a, goodPW, temp); err != nil {
			t.Fatal(err)
		}
		u := s.User(aliceID)
		if u.Password != goodPW || u.ForceChange != temp || u.ForceChangeMFA || u.Revoked != 1 {
			t.Fatalf("temp=%v: stored %+v", temp, u)
		}
		// Revoke after the write, never before.
		req := strings.Join(s.Requests, "|")
		if i, j := strings.Index(req, "PATCH /users/{id}"), strings.Index(req, "POST /users/{id}/revokeSignInSessions"); i < 0 || j < i {
			t.Fatalf("order: %s", req)
		}
		v, err := d.Verify(context.Background(), a, identity.NewSecret(goodPW), temp)
		if err != nil || !v.PasswordCheckSkip || v.PasswordWorks || v.MustChange != temp || !v.Unlocked || !v.LockHidden {
			t.Fatalf("Verify = %+v, %v", v, err)
		}
		// Read back against the new stamp: nothing moved since.
		now := lookup(t, d, "alice@contoso.com")
		if now.PasswordStamp == a.PasswordStamp {
			t.Fatal("password stamp did not move")
		}
		if v, _ := d.Verify(context.Background(), now, identity.NewSecret(goodPW), temp); v.PasswordCheckSkip {
			t.Fatal("Verify claims a write the stamp does not show")
		}
	}
}

func TestResetMFAVariantAndNoRevoke(t *testing.T) {
	s := tenant(t)
	off := false
	d, _ := dir(t, s, func(c *entra.Config) { c.ForceChangeWithMFA = true; c.RevokeSessions = &off })
	if err := reset(d, lookup(t, d, "alice"), goodPW, true); err != nil {
		t.Fatal(err)
	}
	if u := s.User(aliceID); !u.ForceChangeMFA || !u.ForceChange || u.Revoked != 0 {
		t.Fatalf("stored %+v", u)
	}
}

func TestRevokeFailureIsPartial(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	a := lookup(t, d, "alice")
	s.Fail("POST /users/{id}/revokeSignInSessions", 1, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", 0)
	err := reset(d, a, goodPW, true)
	if !errors.Is(err, identity.ErrPartial) || identity.KindOf(err) != identity.KindPartial {
		t.Fatalf("err = %v", err)
	}
	msg := safe(err)
	for _, want := range []string{"WAS set", "Do not reset again", "User.RevokeSessions.All", "Revoke sessions"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("sentence %q lacks %q", msg, want)
		}
	}
	if n := s.Calls("PATCH /users/{id}"); n != 1 || s.User(aliceID).Password != goodPW {
		t.Fatalf("password written %d times", n)
	}
}

func TestSyncedUserRefused(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	c := lookup(t, d, "carol@contoso.com")
	err := reset(d, c, goodPW, true)
	if !errors.Is(err, identity.ErrSynced) || s.Calls("PATCH /users/{id}") != 0 {
		t.Fatalf("err = %v, %d PATCH", err, s.Calls("PATCH /users/{id}"))
	}
	if want := "carol@contoso.com is synced from on-premises Active Directory: reset it in AD; a cloud reset would be overwritten or refused."; safe(err) != want {
		t.Fatalf("sentence %q", safe(err))
	}
	// An account read before it became synced: Graph refuses, same sentinel.
	c.Synced = false
	err = reset(d, c, goodPW, true)
	if !errors.Is(err, identity.ErrSynced) || identity.KindOf(err) != identity.KindForbidden || s.Calls("PATCH /users/{id}") != 1 {
		t.Fatalf("Graph's refusal: %v", err)
	}
}

func TestWeakPasswordIsPolicyNotRetried(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	weak := "alllowercase"
	err := reset(d, lookup(t, d, "alice"), weak, false)
	if !errors.Is(err, identity.ErrPolicy) || identity.KindOf(err) != identity.KindInvalid {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), weak) || strings.Contains(safe(err), weak) {
		t.Fatal("password in error")
	}
	if s.Calls("PATCH /users/{id}") != 1 || s.Calls("POST /users/{id}/revokeSignInSessions") != 0 {
		t.Fatal("weak password retried or followed by revoke")
	}
	if err := reset(d, lookup(t, d, "alice"), "bad\x00pw", false); !errors.Is(err, identity.ErrPolicy) || s.Calls("PATCH /users/{id}") != 1 {
		t.Fatalf("control character sent: %v", err)
	}
}

func TestResetRightsSentence(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	s.SetPermission("User-PasswordProfile.ReadWrite.All", false)
	err := reset(d, lookup(t, d, "alice"), goodPW, false)
	if !errors.Is(err, identity.ErrRights) || !strings.Contains(safe(err), "User-PasswordProfile.ReadWrite.All") ||
		!strings.Contains(safe(err), "admin consent") || !strings.Contains(safe(err), "request-id") {
		t.Fatalf("err = %v / %q", err, safe(err))
	}
}

func TestUnlockSentence(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	err := d.Unlock(context.Background(), lookup(t, d, "alice"))
	if !errors.Is(err, identity.ErrUnsupported) || identity.KindOf(err) != identity.KindInvalid {
		t.Fatalf("err = %v", err)
	}
	if want := "Entra ID does not let an admin clear a smart lockout. Reset the password (which also signs the user out everywhere), or wait: the lockout ends by itself after a minute, longer after repeated failures."; safe(err) != want {
		t.Fatalf("sentence %q", safe(err))
	}
}

func TestWriteRefusesForgedTarget(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	for _, id := range []string{"alice@contoso.com", "../organization", aliceID + "/x"} {
		err := reset(d, identity.Account{ID: id, UPN: "alice@contoso.com", Username: "alice@contoso.com"}, goodPW, false)
		if err == nil || s.Calls("PATCH /users/{id}") != 0 {
			t.Fatalf("ID %q accepted", id)
		}
	}
	_ = entratest.TenantID
}

// A server that echoes the password in its error text: the error is
// redacted and still classified.
func TestEchoedPasswordRedacted(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	a := lookup(t, d, "alice")
	s.Fail("PATCH /users/{id}", 1, http.StatusBadRequest, "Request_BadRequest", "password "+goodPW+" is in the banned list", 0)
	err := reset(d, a, goodPW, false)
	if strings.Contains(err.Error(), goodPW) || strings.Contains(safe(err), goodPW) || !errors.Is(err, identity.ErrPolicy) {
		t.Fatalf("err = %v", err)
	}
}
