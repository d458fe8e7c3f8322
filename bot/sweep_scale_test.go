package bot

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// TestSweepScale measures a sweep over a store holding many finished
// requests and a few open ones, on real Redis (UNLOCKBOT_SWEEP_SCALE=1;
// UNLOCKBOT_SWEEP_N finished, default 10,000). The finished ones are
// written as sealed records with no deadline, as a store upgraded from a
// version without the due-set holds them, so the first sweep pays the
// one-time backfill; the later sweeps are the steady state. It reports
// wall-clock times and asserts only that the open requests stay open.
func TestSweepScale(t *testing.T) {
	if os.Getenv("UNLOCKBOT_SWEEP_SCALE") != "1" {
		t.Skip("set UNLOCKBOT_SWEEP_SCALE=1 to time a sweep over 10,000 finished requests on Redis")
	}
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("UNLOCKBOT_SWEEP_N")); err == nil && v > 0 {
		n = v
	}
	h := newHarness(t, storetest.NewRedisStore(t))
	h.limits = Limits{OpenPerTechnician: 20, PerTechnicianPerHour: 20}
	h.svc = h.replica(h.st)
	ctx := context.Background()
	now := h.clock.now()
	for i := range n {
		r := Request{ID: "r" + base32ish(i), OrgID: "acme", Platform: "test", Requester: tech, State: StateDone,
			Account: AccountRef{ID: "CN=bob", Username: "bob"}, Steps: Steps{Notified: true, Audited: true},
			CreatedAt: now, UpdatedAt: now, DoneAt: now, ExpiresAt: now.Add(time.Hour)}
		b, _ := json.Marshal(r)
		b, _ = h.sealer.sealRecord(requestKey(r.ID), 1, b)
		if _, err := h.st.Create(ctx, requestKey(r.ID), b, requestTTL); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		h.mustSubmit("bob", "")
	}
	sweep := func() (time.Duration, SweepStats) {
		start := time.Now()
		if moved, err := h.svc.Sweep(ctx); err != nil || moved != 0 {
			t.Fatalf("sweep moved %d: %v", moved, err)
		}
		return time.Since(start), h.svc.LastSweep()
	}
	first, st := sweep()
	t.Logf("first sweep (%d finished + 10 open): %v, %d records read", n, first.Round(time.Millisecond), st.Read)
	var later []time.Duration
	for range 5 {
		d, st := sweep()
		later = append(later, d)
		if st.Open != 0 && st.Open != 10 {
			t.Fatalf("open figure %d", st.Open)
		}
		t.Logf("later sweep: %v, %d records read, %d open", d.Round(time.Microsecond), st.Read, st.Open)
	}
	slices.Sort(later)
	t.Logf("median of 5 later sweeps: %v", later[2].Round(time.Microsecond))
}

// base32ish makes the 16 characters of a valid request id from i.
func base32ish(i int) string {
	const digits = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, 16)
	for k := 15; k >= 0; k-- {
		b[k] = digits[i%32]
		i /= 32
	}
	return string(b)
}
