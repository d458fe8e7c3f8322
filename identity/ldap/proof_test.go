package ldap_test

import (
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestProofBindsReuseOneConnection: a storm of resets would cost the DC a
// TLS handshake per password proof; Verify keeps its proof connections
// apart from the bot's and reuses them, after a refused bind too, and
// dials again when the kept one has died.
func TestProofBindsReuseOneConnection(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	dn := s.DN(t, "carol")
	s.Restore(t, dn)
	t.Cleanup(func() { s.Restore(t, dn) })
	d := newDir(t, s)
	acct, err := d.Lookup(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	prove := func(pw string) bool {
		t.Helper()
		v, err := d.Verify(ctx, acct, identity.NewSecret(pw), false)
		if err != nil {
			t.Fatal(err)
		}
		return v.PasswordWorks
	}
	if !prove(s.UserPassword) {
		t.Fatal("the right password does not bind")
	}
	first := ldap.IdleProof(d)
	if first == nil {
		t.Fatal("the proof connection was not kept")
	}
	if prove("wrong-" + s.UserPassword) {
		t.Fatal("a wrong password binds")
	}
	if ldap.IdleProof(d) != first {
		t.Fatal("a refused bind did not keep (or did not reuse) the proof connection")
	}
	if !prove(s.UserPassword) || ldap.IdleProof(d) != first {
		t.Fatal("the second proof did not reuse the connection")
	}
	first.Close() // the DC dropped it while idle
	if !prove(s.UserPassword) {
		t.Fatal("a dead kept connection failed the proof instead of a fresh dial")
	}
	if c := ldap.IdleProof(d); c == nil || c == first {
		t.Fatal("the dead connection was kept")
	}
}
