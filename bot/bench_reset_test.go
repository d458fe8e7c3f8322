package bot

import (
	"context"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity"
)

// labPace is how long the lab's Samba takes for the reads a reset makes
// (identity/ldap's ratio test: the lookup with the guard, the read-back
// with the bind); the write is left out, nothing overlaps it.
var labPace = map[string]time.Duration{"Lookup": 3 * time.Millisecond, "Verify": 7 * time.Millisecond}

// pacedDirectory takes labPace for each call, as the lab does.
type pacedDirectory struct{ identity.Directory }

func (d pacedDirectory) Lookup(ctx context.Context, name string) (identity.Account, error) {
	time.Sleep(labPace["Lookup"])
	return d.Directory.Lookup(ctx, name)
}

func (d pacedDirectory) Verify(ctx context.Context, a identity.Account, pw identity.Secret, temporary bool) (identity.Verification, error) {
	time.Sleep(labPace["Verify"])
	return d.Directory.Verify(ctx, a, pw, temporary)
}

// BenchmarkResetOverADirectory is the ratio test's service rounds without
// the lab's noise: a break-glass reset, and an approver's click to done
// (submit untimed), with a typed password, over a directory that takes the
// lab's time for its reads. overhead-ms is what the flow adds to those
// reads: the store's round trips and the work that does not overlap them.
func BenchmarkResetOverADirectory(b *testing.B) {
	for _, c := range []struct {
		name string
		st   func(b *testing.B) store.Store
	}{
		{"memory", func(*testing.B) store.Store { return memstore.New() }},
		{"redis", func(b *testing.B) store.Store { return storetest.NewRedisStore(b) }},
	} {
		for _, path := range []string{"break-glass", "approve-to-done"} {
			b.Run(c.name+"/"+path, func(b *testing.B) {
				h := newHarness(b, c.st(b))
				h.org.Policy.MaxResetsPerAccountPerDay = 1 << 20
				h.org.Directory = pacedDirectory{h.dir}
				h.limits = Limits{OpenPerTechnician: 1000, PerTechnicianPerHour: 1 << 30}
				svc := h.replica(h.st)
				ctx := context.Background()
				var timed time.Duration
				for b.Loop() {
					b.StopTimer()
					h.dir.Lock("alice")
					sub := Submission{Requester: tech, OrgID: "acme", Account: "alice", Password: identity.NewSecret("Typed-Passw0rd-Bench!"), Reason: "verified by call-back"}
					var r *Request
					var err error
					if path == "approve-to-done" {
						if r, err = svc.Submit(ctx, sub); err != nil {
							b.Fatal(err)
						}
					}
					start := time.Now()
					b.StartTimer()
					if path == "break-glass" {
						r, err = svc.BreakGlass(ctx, sub)
					} else {
						r, err = svc.Approve(ctx, r.ID, approver)
					}
					if err != nil || r.State != StateDone {
						b.Fatal(err)
					}
					timed += time.Since(start)
				}
				paced := labPace["Lookup"] + labPace["Verify"]
				b.ReportMetric(float64(timed-time.Duration(b.N)*paced)/float64(b.N)/1e6, "overhead-ms")
			})
		}
	}
}
