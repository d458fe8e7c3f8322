package ldap_test

import (
	"io"
	"maps"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
	"github.com/unlockbot/unlockbot/psa/local"
)

// TestServiceAsksNoMoreThanTheFloor counts, on the wire, the LDAP requests
// one reset sends: the raw floor (RawADReset and the bind as the user), a
// break-glass reset through the service, and an approver's click to done
// (its submit not counted). Once the Directory's caches are warm (the
// bot's own SIDs, the group SIDs, the pooled connections), the service
// sends exactly what the floor sends: whatever it adds to the floor's time
// is not the directory's.
func TestServiceAsksNoMoreThanTheFloor(t *testing.T) {
	s := ldaptest.AD(t)
	dn := s.DN(t, "carol")
	t.Cleanup(func() { s.Restore(t, dn) })
	wire := newOpCounter(t, s)
	d := newDir(t, s, func(c *ldap.Config) { c.URL, c.CAFile, c.MaxConns = wire.URL, wire.CAFile, 1 })
	c, proof := wire.dial(t), wire.dial(t)
	if err := c.Bind(s.BotDN, s.BotPassword); err != nil {
		t.Fatal(err)
	}
	st, sealer := memstore.New(), bot.NewEphemeralSealer()
	tech, approver := bot.Actor{Platform: "test", ID: "T1"}, bot.Actor{Platform: "test", ID: "A1"}
	svc, err := bot.New(bot.Config{Store: st, Sealer: sealer, Audit: jsonl.New(io.Discard, nil), Log: zerolog.New(io.Discard), RunTries: 1,
		Orgs: []*bot.Org{{ID: "lab", Name: "Lab", Directory: d, Tickets: local.New(store.Values{Store: st}, "lab", sealer.SealBytes), PSACompanyID: "lab",
			Technicians: []string{tech.Key()}, Approvers: []string{approver.Key()}, ApprovalChannel: map[string]string{"test": "C1"},
			Policy: bot.Policy{MaxResetsPerAccountPerDay: 20, RequireApproval: true, ApprovalTTL: time.Hour}}}})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetNotifier("test", quietChat{})
	ctx := ctxT(t)
	breakGlass := func() {
		s.Lock(t, dn)
		r, err := svc.BreakGlass(ctx, bot.Submission{Requester: bot.Actor{Platform: "cli", ID: "count"}, OrgID: "lab", Account: "carol",
			Password: identity.NewSecret(newPassword()), Reason: "counting LDAP requests"})
		if err != nil || r.State != bot.StateDone {
			t.Fatalf("break-glass reset: %v", err)
		}
	}
	breakGlass() // warms the caches and the pool
	wire.take()

	s.Lock(t, dn)
	rawRound(t, c, proof, s, "carol", dn, newPassword(), benchMode{reset: true, bind: true})
	floor := wire.take()

	breakGlass()
	glass := wire.take()

	s.Lock(t, dn)
	r, err := svc.Submit(ctx, bot.Submission{Requester: tech, OrgID: "lab", Account: "carol",
		Password: identity.NewSecret(newPassword()), Reason: "counting LDAP requests"})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	wire.take()
	if r, err = svc.Approve(ctx, r.ID, approver); err != nil || r.State != bot.StateDone {
		t.Fatalf("approve: %v", err)
	}
	approved := wire.take()

	t.Logf("LDAP requests per reset: raw floor %v, break-glass %v, approve to done %v", floor, glass, approved)
	if floor["search"] != 3 || floor["modify"] != 1 || floor["bind"] != 1 {
		t.Fatalf("the relay counted the floor as %v, want 3 searches, 1 modify, 1 bind", floor)
	}
	for name, got := range map[string]map[string]int{"break-glass": glass, "approve to done": approved} {
		if !maps.Equal(got, floor) {
			t.Errorf("%s sent %v, the floor %v", name, got, floor)
		}
	}
}
