package main

import (
	"context"
	"crypto/rand"
	"os"
	"testing"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// BenchmarkServiceReset is one whole reset through the shared reset service
// against Samba AD, as `unlockbot reset` runs it: validate (lookup, guard,
// policy), then execute (fresh lookup and guard, daily limit, unlock of a
// user locked for real before each round, set
// password, read back and bind as the user, local ticket created, noted and
// resolved, eight fsynced audit events). Compare with
// identity/ldap BenchmarkRawReset/reset+bind: the same LDAP work done raw.
func BenchmarkServiceReset(b *testing.B) {
	lab := ldaptest.AD(b)
	cfg := labConfig(b, lab)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	f.WriteString("    policy: { max_resets_per_account_per_day: 50 }\n")
	f.Close()
	c, err := LoadConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	a, err := buildApp(context.Background(), c, discard{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	name, dn := newLabUser(b, lab)
	b.Cleanup(func() { lab.Restore(b, dn) })
	ctx := context.Background()
	op := bot.Actor{Platform: "cli", ID: "bench"}
	n := 0
	for b.Loop() {
		if n++; n > 50 {
			b.Skip("the daily limit allows 50 resets; run with -benchtime 40x")
		}
		b.StopTimer()
		lab.Lock(b, dn) // three bad binds: the service must unlock too, as the raw floor does
		b.StartTimer()
		r, err := a.svc.BreakGlass(ctx, bot.Submission{Requester: op, OrgID: "lab", Account: name,
			Password: identity.NewSecret("Bench-" + rand.Text()[:12] + "-9x"), Reason: "benchmark reset"})
		if err != nil || r.State != bot.StateDone {
			b.Fatalf("reset: %v", err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
