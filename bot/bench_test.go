package bot

import (
	"context"
	"testing"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// BenchmarkFullRequest is one request end to end through the service with
// the in-memory directory: submit, approve, every reset step recorded, done.
// It is the flow's own cost, which the directory's real cost adds to.
func BenchmarkFullRequest(b *testing.B) {
	for _, c := range []struct {
		name string
		st   func(b *testing.B) store.Store
	}{
		{"memory", func(*testing.B) store.Store { return memstore.New() }},
		{"redis", func(b *testing.B) store.Store { return storetest.NewRedisStore(b) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := newHarness(b, c.st(b))
			h.org.Policy.MaxResetsPerAccountPerDay = 50
			h.svc = h.replica(h.st)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				h.dir.Lock("alice")
				r, err := h.svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: "alice", Temporary: true, Reason: "verified by call-back"})
				if err != nil {
					b.Fatal(err)
				}
				if r, err = h.svc.Approve(ctx, r.ID, approver); err != nil || r.State != StateDone {
					b.Fatal(err)
				}
				h.clock.add(25 * 3600 * 1e9) // stay under the daily limit
			}
		})
	}
}

// BenchmarkDecide is one state transition as a click makes it (load,
// authority check, CAS, audit) on real Redis.
func BenchmarkDecide(b *testing.B) {
	h := newHarness(b, storetest.NewRedisStore(b))
	h.org.Policy.MaxResetsPerAccountPerDay = 50
	h.limits = Limits{OpenPerTechnician: 1000, PerTechnicianPerHour: 1 << 30} // 256 requests open at a time
	h.svc = h.replica(h.st)
	ctx := context.Background()
	ids := make([]string, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if len(ids) == 0 {
			for range 256 {
				r, err := h.svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: "bob", Reason: "verified by call-back"})
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, r.ID)
			}
		}
		id := ids[len(ids)-1]
		ids = ids[:len(ids)-1]
		b.StartTimer()
		if _, err := h.svc.decide(ctx, id, approver, StateDenied, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
