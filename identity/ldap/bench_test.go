package ldap_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// The two reset benchmarks send the same LDAP operations to the Samba DC,
// so their ratio is the cost of the Directory itself (pool, filters,
// paging control, classification, mapping):
//
//  1. subtree search for the account by sAMAccountName/UPN, with the
//     attributes Lookup reads (the lockout facts and replPropertyMetaData
//     included)
//  2. base read of tokenGroups, adminCount and the DACL (the guard; a raw
//     script would skip it, but the bot must not, so the floor includes it)
//  3. one modify: unicodePwd + pwdLastSet + lockoutTime=0 (the reset with
//     the unlock in the same write); "unlock" sends lockoutTime=0 alone
//  4. base read-back
//
// Modes: "unlock" sends the unlock alone (no password hashing, so the
// Directory's own overhead is visible), "reset" is the combined write,
// "reset+bind" adds the proof bind as the user to both, on a connection
// kept for it (the Directory keeps its proof connections too). In "reset" almost all the time is Samba hashing the new password.

type benchMode struct {
	name              string
	reset, bind, lock bool
}

// "locked+reset+bind" locks the account for real (three bad binds, outside
// the timer) before each round, so the unlock write has work to do: the
// floor for cmd/unlockbot BenchmarkServiceReset, which does the same.
var benchModes = []benchMode{{"unlock", false, false, false}, {"reset", true, false, false}, {"reset+bind", true, true, false}, {"locked+reset+bind", true, true, true}}

func BenchmarkRawReset(b *testing.B) {
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			s := ldaptest.AD(b)
			dn := s.DN(b, "carol")
			b.Cleanup(func() { s.Restore(b, dn) })
			c := s.Bot(b)        // one reused LDAPS connection bound as the bot
			proof := s.Prover(b) // and one for the binds as the user
			for b.Loop() {
				if m.lock {
					b.StopTimer()
					s.Lock(b, dn)
					b.StartTimer()
				}
				rawRound(b, c, proof, s, "carol", dn, newPassword(), m)
			}
		})
	}
}

// rawRound is the floor: the LDAP operations of one reset, done raw with
// go-ldap on the bot's reused connection, and the proof bind on its own
// reused one.
func rawRound(tb testing.TB, c, proof *goldap.Conn, s *ldaptest.Server, name, dn, pw string, m benchMode) {
	var utf16 []byte
	if m.reset {
		utf16 = ldaptest.UnicodePwd(pw)
	}
	if err := ldap.RawADReset(c, s.UsersDN, name, dn, utf16); err != nil {
		tb.Fatal(err)
	}
	if m.bind {
		if err := proof.Bind(dn, pw); err != nil {
			tb.Fatal(err)
		}
	}
}

func BenchmarkDirectoryReset(b *testing.B) {
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			s := ldaptest.AD(b)
			dn := s.DN(b, "carol")
			b.Cleanup(func() { s.Restore(b, dn) })
			d := newDir(b, s, func(c *ldap.Config) { c.MaxConns = 1 })
			ctx := ctxT(b)
			for b.Loop() {
				if m.lock {
					b.StopTimer()
					s.Lock(b, dn)
					b.StartTimer()
				}
				pw := identity.NewSecret(newPassword())
				acct, err := d.Lookup(ctx, "carol")
				if err != nil {
					b.Fatal(err)
				}
				if m.reset {
					if err := d.SetPassword(ctx, acct, identity.PasswordChange{Password: pw, Unlock: true}); err != nil {
						b.Fatal(err)
					}
				} else if err := d.Unlock(ctx, acct); err != nil {
					b.Fatal(err)
				}
				proof := identity.Secret{}
				if m.bind {
					proof = pw
				}
				v, err := d.Verify(ctx, acct, proof, false)
				if err != nil || !v.Unlocked || v.PasswordWorks != m.bind {
					b.Fatalf("%+v %v", v, err)
				}
			}
		})
	}
}

// Type-ahead over 10,000 accounts (UNLOCKBOT_BENCH_10K=1): creating them
// takes a while the first time; .ci/samba.sh --reset removes them again.

var typeAheadQueries = []string{"bulk-0", "bulk-00", "bulk-004", "bulk-0042", "bulk-09999", "Bulk User 05", "bulk-1",
	"bulk-123", "al", "a", "b", "zz", "bulk-00042@", ""}

func typeAheadSetup(tb testing.TB) (*ldap.Directory, []string) {
	if os.Getenv("UNLOCKBOT_BENCH_10K") != "1" {
		tb.Skip("set UNLOCKBOT_BENCH_10K=1 to create 10,000 users in OU=Bulk and measure type-ahead")
	}
	s := ldaptest.AD(tb)
	ou := s.BulkUsers(tb, "Bulk", 10000)
	locked := []string{"CN=bulk-00042," + ou, "CN=bulk-05000," + ou}
	for _, dn := range locked {
		s.Lock(tb, dn)
	}
	tb.Cleanup(func() {
		admin := s.Admin(tb)
		for _, dn := range locked {
			m := goldap.NewModifyRequest(dn, nil)
			m.Replace("lockoutTime", []string{"0"})
			_ = admin.Modify(m)
		}
	})
	// The whole domain: the 10,000 plus the fixtures.
	return newDir(tb, s, func(c *ldap.Config) { c.BaseDN = s.BaseDN }), locked
}

func TestTypeAhead10k(t *testing.T) {
	d, locked := typeAheadSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	got, err := d.Search(ctx, "bulk-0", 10)
	if err != nil || len(got) != 10 || got[0].ID != locked[0] || got[1].ID != locked[1] {
		t.Fatalf("locked accounts must come first among 10,000: %v, %v", labels(got), err)
	}
	var lat []time.Duration
	for i := range 5 * len(typeAheadQueries) {
		start := time.Now()
		if _, err := d.Search(ctx, typeAheadQueries[i%len(typeAheadQueries)], 10); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	p50, p99 := percentiles(lat)
	t.Logf("type-ahead over 10,000 users, %d searches (limit 10): p50 %v, p99 %v", len(lat), p50, p99)
	for _, q := range typeAheadQueries {
		start := time.Now()
		res, err := d.Search(ctx, q, 10)
		t.Logf("  %-14q %2d results in %v (%v)", q, len(res), time.Since(start).Round(time.Microsecond), err)
	}
}

func BenchmarkTypeAhead10k(b *testing.B) {
	d, _ := typeAheadSetup(b)
	ctx := context.Background()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		if _, err := d.Search(ctx, typeAheadQueries[i%len(typeAheadQueries)], 10); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	p50, p99 := percentiles(lat)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[len(s)*50/100], s[min(len(s)*99/100, len(s)-1)]
}
