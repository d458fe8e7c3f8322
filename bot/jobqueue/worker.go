package jobqueue

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/bot"
)

// readBlock is how long one XREADGROUP waits for a job: a new job wakes it
// at once, so this only bounds how late the reader sees Drain.
const readBlock = time.Second

// reader fetches jobs while workers are free, until Drain: every tick it
// first takes over jobs other replicas abandoned, then reads new ones. It
// holds the free workers' slots while it waits, so taking over is its
// job too.
func (q *Queue) reader() {
	q.ensureGroup()
	block := min(readBlock, q.tick())
	var lastClaim time.Time
	for backoff := 100 * time.Millisecond; ; {
		n := q.takeSlots()
		if n == 0 {
			return // draining
		}
		if time.Since(lastClaim) >= q.tick() {
			lastClaim = time.Now()
			if n -= q.claim(n); n == 0 {
				continue
			}
		}
		streams, err := q.o.Client.XReadGroup(context.Background(), &redis.XReadGroupArgs{
			Group: q.o.Group, Consumer: q.o.Consumer, Streams: []string{q.o.Stream, ">"}, Count: int64(n), Block: block,
		}).Result()
		var got []redis.XMessage
		if len(streams) > 0 {
			got = streams[0].Messages
		}
		for range n - len(got) {
			<-q.slots
		}
		switch {
		case err == nil || errors.Is(err, redis.Nil):
			backoff = 100 * time.Millisecond
		case strings.HasPrefix(err.Error(), "NOGROUP"):
			q.ensureGroup() // the stream was deleted (FLUSHALL, a cleanup)
		default:
			q.log.Warn().Err(err).Dur("retry_in", backoff).Msg("could not read jobs from Redis; trying again")
			if !q.sleep(backoff) {
				return
			}
			backoff = min(2*backoff, 5*time.Second)
		}
		for _, m := range got {
			q.dispatch(m, 1)
		}
	}
}

// takeSlots waits for one free worker, then takes every other free one:
// a read fetches no more jobs than can start now, so none waits here while
// another replica is idle. 0 means Drain began.
func (q *Queue) takeSlots() int {
	select {
	case <-q.closed:
		return 0
	default:
	}
	select {
	case q.slots <- struct{}{}:
	case <-q.closed:
		return 0
	}
	return 1 + q.grab(q.o.Workers-1)
}

// grab takes up to limit free worker slots without waiting.
func (q *Queue) grab(limit int) int {
	for n := range limit {
		select {
		case q.slots <- struct{}{}:
		default:
			return n
		}
	}
	return limit
}

// sleep waits d unless Drain begins; it reports whether to go on.
func (q *Queue) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-q.closed:
		return false
	}
}

// ensureGroup creates the group (and the stream) if missing; every replica
// races to, and all but one are told BUSYGROUP.
func (q *Queue) ensureGroup() {
	ctx, cancel := q.opCtx()
	defer cancel()
	err := q.o.Client.XGroupCreateMkStream(ctx, q.o.Stream, q.o.Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		q.log.Warn().Err(err).Msg("could not create the job group in Redis; the reader tries again")
	}
}

// dispatch runs one entry on the slot the caller took for it. count is the
// delivery count Redis keeps for the entry; a job handed back at shutdown
// carries its earlier deliveries in field n.
func (q *Queue) dispatch(m redis.XMessage, count int) {
	raw, _ := m.Values["job"].(string)
	var j bot.Job
	if err := json.Unmarshal([]byte(raw), &j); err != nil || j.RequestID == "" {
		q.drop(m.ID, bot.Job{}, count, "the entry is not a job")
		return
	}
	prior, _ := strconv.Atoi(fmtValue(m.Values["n"]))
	h := &held{job: j, raw: raw, n: prior + count}
	if h.n > q.o.MaxDeliveries {
		q.drop(m.ID, j, h.n, "delivered too often: each replica that took it stopped before finishing it")
		return
	}
	q.mu.Lock()
	if q.draining {
		q.mu.Unlock()
		h.n-- // read as Drain began and not run: someone else starts it
		q.handBack(m.ID, h)
		<-q.slots
		return
	}
	q.inHand[m.ID] = h
	q.wg.Add(1)
	q.mu.Unlock()
	q.running.Add(1)
	go q.work(m.ID, h)
}

// work runs the handler, then acknowledges the entry, or hands it back if
// Drain asked the job to stop (the job may have stopped half way).
func (q *Queue) work(id string, h *held) {
	defer q.wg.Done()
	defer func() { <-q.slots }()
	defer q.running.Add(-1)
	ctx, cancel := context.WithTimeout(bot.WithStop(context.Background(), q.stop), q.o.JobTimeout)
	func() {
		defer cancel()
		defer func() {
			if v := recover(); v != nil {
				q.log.Error().Interface("panic", v).Str("request", h.job.RequestID).Msg("job panicked; dropped")
				if q.o.OnDrop != nil {
					q.o.OnDrop(h.job, h.n, "the job stopped with an internal error")
				}
			}
		}()
		j := h.job
		j.Delivery = h.n
		q.run(ctx, j)
	}()
	select {
	case <-q.stop:
		q.handBack(id, h)
	default:
		q.ack(id, h)
	}
}

// ack ends a job for good.
func (q *Queue) ack(id string, h *held) {
	if !q.settle(id, h) {
		return
	}
	ctx, cancel := q.opCtx()
	defer cancel()
	n, err := ackScript.Run(ctx, q.o.Client, []string{q.o.Stream}, q.o.Group, q.o.Consumer, id).Int()
	switch {
	case err != nil:
		// Left pending: another replica takes it after the visibility
		// timeout and finds its work done.
		q.log.Warn().Err(err).Str("request", h.job.RequestID).Msg("could not acknowledge a finished job; another replica will find it done")
	case n == 0:
		q.log.Warn().Str("request", h.job.RequestID).Msg("a finished job had been taken over by another replica, which will find it done")
	}
}

// handBack puts a job back at the stream's end for another replica.
func (q *Queue) handBack(id string, h *held) {
	if !q.settle(id, h) {
		return
	}
	ctx, cancel := q.opCtx()
	defer cancel()
	err := releaseScript.Run(ctx, q.o.Client, []string{q.o.Stream}, q.o.Group, q.o.Consumer, id, h.raw, h.n, q.o.MaxLen).Err()
	switch {
	case errors.Is(err, redis.Nil):
		// Already another replica's.
	case err != nil:
		q.log.Warn().Err(err).Str("request", h.job.RequestID).Msg("could not hand a job back; another replica takes it after the visibility timeout")
	default:
		q.log.Info().Str("request", h.job.RequestID).Int("delivery", h.n).Msg("job handed back to the other replicas at shutdown")
	}
}

// settle marks a job done here once (acked or handed back) and forgets it;
// false if that already happened.
func (q *Queue) settle(id string, h *held) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if h.done {
		return false
	}
	h.done = true
	delete(q.inHand, id)
	return true
}

// drop acknowledges an entry that must not run: it would come back forever.
// The log names the request and the action, never the entry's content.
func (q *Queue) drop(id string, j bot.Job, n int, why string) {
	defer func() { <-q.slots }()
	q.dropped.Add(1)
	q.log.Error().Str("entry", id).Str("request", j.RequestID).Str("action", string(j.Action)).Int("delivery", n).
		Str("event", "job.dropped").Msg("job dropped: " + why)
	if q.o.OnDrop != nil {
		q.o.OnDrop(j, n, why)
	}
	ctx, cancel := q.opCtx()
	defer cancel()
	if err := ackScript.Run(ctx, q.o.Client, []string{q.o.Stream}, q.o.Group, q.o.Consumer, id).Err(); err != nil {
		q.log.Warn().Err(err).Str("entry", id).Msg("could not acknowledge a dropped job")
	}
}

func fmtValue(v any) string {
	s, _ := v.(string)
	return s
}
