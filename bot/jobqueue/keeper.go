package jobqueue

import (
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// staleConsumer is how long a consumer with nothing pending may sit idle in
// the group before a replica removes it: killed replicas leave their
// names behind, and a live replica reads every second.
var staleConsumer = time.Hour // a var so a test can shorten it

// tick is how often the keeper runs: a quarter of the visibility timeout,
// so a running job's entry is refreshed three times before anyone may take
// it, and at most 5 s, so the gauges stay fresh.
func (q *Queue) tick() time.Duration {
	return max(min(q.o.Visibility/4, 5*time.Second), 10*time.Millisecond)
}

// keeper refreshes the jobs running here and samples the gauges, until
// Drain ends.
func (q *Queue) keeper() {
	q.reap()
	t := time.NewTicker(q.tick())
	defer t.Stop()
	for {
		select {
		case <-q.finished:
			return
		case <-t.C:
		}
		q.keep()
		q.sample()
	}
}

// keep refreshes every entry running here.
func (q *Queue) keep() {
	q.mu.Lock()
	ids := make([]any, 0, 2+len(q.inHand))
	ids = append(ids, q.o.Group, q.o.Consumer)
	for id := range q.inHand {
		ids = append(ids, id)
	}
	q.mu.Unlock()
	if len(ids) == 2 {
		return
	}
	ctx, cancel := q.opCtx()
	defer cancel()
	lost, err := keepScript.Run(ctx, q.o.Client, []string{q.o.Stream}, ids...).StringSlice()
	if err != nil {
		q.log.Warn().Err(err).Msg("could not refresh the running jobs; another replica may take one over if this lasts")
		return
	}
	for _, id := range lost {
		q.log.Warn().Str("entry", id).Msg("a running job was taken over by another replica (this one stalled); the request's lease decides who goes on")
	}
}

// claim takes over up to n abandoned jobs on the n slots the reader holds
// and says how many it took; their slots are theirs now.
func (q *Queue) claim(n int) int {
	ctx, cancel := q.opCtx()
	defer cancel()
	res, err := claimScript.Run(ctx, q.o.Client, []string{q.o.Stream}, q.o.Group, q.o.Consumer, q.o.Visibility.Milliseconds(), n).Slice()
	if err != nil && !errors.Is(err, redis.Nil) {
		q.log.Warn().Err(err).Msg("could not look for abandoned jobs")
	}
	var got []claimed
	for _, e := range res {
		if c, ok := parseClaimed(e); ok {
			got = append(got, c)
		}
	}
	for _, c := range got {
		q.log.Warn().Str("entry", c.m.ID).Int("count", c.count).Msg("taking over a job whose replica stopped")
		q.dispatch(c.m, c.count)
	}
	return len(got)
}

type claimed struct {
	m     redis.XMessage
	count int
}

// parseClaimed reads one {id, {field, value, ...}, count} of claimScript.
func parseClaimed(e any) (claimed, bool) {
	a, ok := e.([]any)
	if !ok || len(a) != 3 {
		return claimed{}, false
	}
	id, _ := a[0].(string)
	kv, _ := a[1].([]any)
	n, _ := a[2].(int64)
	m := redis.XMessage{ID: id, Values: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m.Values[k] = kv[i+1]
		}
	}
	return claimed{m: m, count: int(n)}, id != ""
}

// sample reads the stream's length and pending count for the gauges.
func (q *Queue) sample() {
	ctx, cancel := q.opCtx()
	defer cancel()
	if n, err := q.o.Client.XLen(ctx, q.o.Stream).Result(); err == nil {
		q.depth.Store(n)
	}
	if p, err := q.o.Client.XPending(ctx, q.o.Stream, q.o.Group).Result(); err == nil {
		q.pending.Store(p.Count)
	}
}

// reap removes consumers of killed replicas that have nothing pending.
func (q *Queue) reap() {
	ctx, cancel := q.opCtx()
	defer cancel()
	cs, err := q.o.Client.XInfoConsumers(ctx, q.o.Stream, q.o.Group).Result()
	if err != nil {
		return
	}
	for _, c := range cs {
		if c.Name != q.o.Consumer && c.Pending == 0 && c.Idle > staleConsumer {
			_ = dropConsumerScript.Run(ctx, q.o.Client, []string{q.o.Stream}, q.o.Group, c.Name).Err()
		}
	}
}
