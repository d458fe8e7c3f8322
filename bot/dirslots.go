package bot

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// slotWait is how long a reset waits for a free directory slot before it
// stops with a retry offered; the wait doubles from slotFirst to slotMax.
var (
	slotWait  = 30 * time.Second
	slotFirst = 10 * time.Millisecond
	slotMax   = 500 * time.Millisecond
)

// takeSlot holds one of the org's directory slots for this request. A slot
// is a member of a window in the shared store, keyed by the request, so
// every replica counts the same slots, a retry of the same request keeps
// its own, and a worker that died frees its slot when its lease runs out.
// The returned release may be called more than once.
func (s *Service) takeSlot(ctx context.Context, o *Org, r *Request) (func(), error) {
	if o.MaxConcurrentWrites <= 0 {
		return func() {}, nil
	}
	key := "dirslots:" + o.ID
	wait, give := slotFirst, time.Now().Add(slotWait)
	for {
		ok, n, err := s.repo.st.Reserve(ctx, key, r.ID, s.now(), s.lease, o.MaxConcurrentWrites)
		if err != nil {
			return nil, errorf("bot.slot", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
		}
		if ok {
			var once sync.Once
			return func() {
				once.Do(func() { _ = s.repo.st.Release(context.WithoutCancel(ctx), key, r.ID) })
			}, nil
		}
		if err := checkStop(ctx); err != nil {
			return nil, err // waiting for a slot is a safe point too
		}
		if time.Now().After(give) {
			return nil, errorf("bot.slot", KindUnavailable, nil, "%s's directory is taking %d resets at once, its limit, and this one waited %s. Retry in a minute.", o.Name, n, slotWait)
		}
		t := time.NewTimer(wait/2 + rand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errorf("bot.slot", KindUnavailable, ctx.Err(), "The reset was stopped while it waited for the directory. Retry in a minute.")
		case <-t.C:
		}
		wait = min(wait*2, slotMax)
	}
}
