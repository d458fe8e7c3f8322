package ldap_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
	"github.com/unlockbot/unlockbot/psa/local"
)

// TestServiceVsRawReset measures the shared reset service against the raw
// floor (UNLOCKBOT_BENCH_RATIO=1), alternating one round of each on the
// same account locked for real before every round, so Samba's drift (±10 ms
// between runs) falls on both alike. The service round is what `unlockbot
// reset` does: lookup with the guard, policy, the daily limit, unlock, set
// password, read back and bind as the user, a local ticket created, noted
// and resolved, fsynced audit events. It reports; it asserts no speed.
func TestServiceVsRawReset(t *testing.T) {
	if os.Getenv("UNLOCKBOT_BENCH_RATIO") != "1" {
		t.Skip("set UNLOCKBOT_BENCH_RATIO=1 to measure the service against the raw floor")
	}
	s := ldaptest.AD(t)
	dn := s.DN(t, "carol")
	t.Cleanup(func() { s.Restore(t, dn) })
	c := s.Bot(t)
	filter := "(&(objectClass=user)(!(objectClass=computer))(|(sAMAccountName=carol)(userPrincipalName=carol)))"

	d := newDir(t, s, func(c *ldap.Config) { c.MaxConns = 1 })
	st := memstore.New()
	sealer := bot.NewEphemeralSealer()
	sink, err := jsonl.Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	svc, err := bot.New(bot.Config{Store: st, Sealer: sealer, Audit: sink, Log: zerolog.New(io.Discard),
		Orgs: []*bot.Org{{ID: "lab", Name: "Lab", Directory: d, Tickets: local.New(st, "lab", sealer.SealBytes), PSACompanyID: "lab",
			Policy: bot.Policy{MaxResetsPerAccountPerDay: 50}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	op := bot.Actor{Platform: "cli", ID: "bench"}
	const rounds = 20
	var raw, service []time.Duration
	for i := 0; i < rounds; i++ {
		s.Lock(t, dn)
		start := time.Now()
		rawRound(t, c, s, dn, filter, newPassword(), benchMode{reset: true, bind: true})
		raw = append(raw, time.Since(start))

		s.Lock(t, dn)
		start = time.Now()
		r, err := svc.BreakGlass(ctx, bot.Submission{Requester: op, OrgID: "lab", Account: "carol",
			Password: identity.NewSecret(newPassword()), Reason: "ratio measurement"})
		if err != nil || r.State != bot.StateDone {
			t.Fatalf("service reset: %v", err)
		}
		service = append(service, time.Since(start))
	}
	rp, _ := percentiles(raw)
	sp, _ := percentiles(service)
	t.Logf("%d alternating rounds, account locked for real before each: raw median %v, service median %v, overhead %v, ratio %.2f",
		rounds, rp.Round(time.Microsecond), sp.Round(time.Microsecond), (sp - rp).Round(time.Microsecond), float64(sp)/float64(rp))
}
