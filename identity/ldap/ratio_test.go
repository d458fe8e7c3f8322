package ldap_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
	"github.com/unlockbot/unlockbot/psa/local"
)

// TestServiceVsRawReset measures the shared reset service against the raw
// floor (UNLOCKBOT_BENCH_RATIO=1), alternating one round of each on the
// same account locked for real before every round, so Samba's drift between
// runs falls on all alike. A third round runs the service with its audit
// trail written to nothing, to show what the fsyncs cost. The service round is what `unlockbot
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

	d := newDir(t, s, func(c *ldap.Config) { c.MaxConns = 1 })
	st := memstore.New()
	sealer := bot.NewEphemeralSealer()
	sink, err := jsonl.Open(filepath.Join(t.TempDir(), "audit.jsonl"), audit.EphemeralKeyring())
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	service := func(sink *jsonl.Sink) *bot.Service {
		svc, err := bot.New(bot.Config{Store: st, Sealer: sealer, Audit: sink, Log: zerolog.New(io.Discard),
			Orgs: []*bot.Org{{ID: "lab", Name: "Lab", Directory: d, Tickets: local.New(store.Values{Store: st}, "lab", sealer.SealBytes), PSACompanyID: "lab",
				Policy: bot.Policy{MaxResetsPerAccountPerDay: 100}}}})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	// The second service writes its audit trail to nothing: the difference
	// between the two is the cost of the fsynced trail.
	withAudit, noAudit := service(sink), service(jsonl.New(io.Discard, nil))
	ctx := context.Background()
	op := bot.Actor{Platform: "cli", ID: "bench"}
	const rounds = 20
	var raw, audited, unaudited []time.Duration
	reset := func(svc *bot.Service) time.Duration {
		s.Lock(t, dn)
		start := time.Now()
		r, err := svc.BreakGlass(ctx, bot.Submission{Requester: op, OrgID: "lab", Account: "carol",
			Password: identity.NewSecret(newPassword()), Reason: "ratio measurement"})
		if err != nil || r.State != bot.StateDone {
			t.Fatalf("service reset: %v", err)
		}
		return time.Since(start)
	}
	for i := 0; i < rounds; i++ {
		s.Lock(t, dn)
		start := time.Now()
		rawRound(t, c, s, "carol", dn, newPassword(), benchMode{reset: true, bind: true})
		raw = append(raw, time.Since(start))
		audited = append(audited, reset(withAudit))
		unaudited = append(unaudited, reset(noAudit))
	}
	rp, _ := percentiles(raw)
	ap, _ := percentiles(audited)
	up, _ := percentiles(unaudited)
	t.Logf("%d alternating rounds, account locked for real before each: raw median %v; service %v (overhead %v, ratio %.2f); "+
		"service with the audit sink writing to nothing %v (overhead %v, ratio %.2f)", rounds, rp.Round(time.Microsecond),
		ap.Round(time.Microsecond), (ap - rp).Round(time.Microsecond), float64(ap)/float64(rp),
		up.Round(time.Microsecond), (up - rp).Round(time.Microsecond), float64(up)/float64(rp))
}
