package jobqueue

import (
	"context"
	"time"
)

// Drain implements bot.Jobs: the graceful shutdown of this replica. It
// stops taking jobs at once and waits for the running ones until ctx ends
// (serve's shutdown grace). At that deadline it asks them to stop at a
// safe point (bot.WithStop: a reset saves its progress and ends its lease)
// and gives them HandBack to do so; each one that stops, and each one
// still running after that, is handed back to the stream's end, where a
// replica blocked on the group takes it at once. One still running here
// is then run on by both, and the request's lease lets only one act: the
// other replica resumes it when this process has exited and the lease has
// run out, as after a crash. Drain returns nil once every job has ended
// or been handed back.
func (q *Queue) Drain(ctx context.Context) error {
	q.drain.Do(func() { q.drainOnce(ctx) })
	return nil
}

func (q *Queue) drainOnce(ctx context.Context) {
	q.mu.Lock()
	q.draining = true
	q.mu.Unlock()
	close(q.closed)
	q.waitReader(ctx)
	idle := make(chan struct{})
	go func() { q.wg.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-ctx.Done():
		close(q.stop)
		q.log.Warn().Int("running", q.Running()).Msg("shutdown grace is over: running jobs stop at their next safe point and go to another replica")
		t := time.NewTimer(q.o.HandBack)
		defer t.Stop()
		select {
		case <-idle:
		case <-t.C:
			q.mu.Lock()
			left := make(map[string]*held, len(q.inHand))
			for id, h := range q.inHand {
				left[id] = h
			}
			q.mu.Unlock()
			for id, h := range left {
				q.log.Warn().Str("request", h.job.RequestID).Msg("job did not stop in time; handed back while it runs, its request's lease keeps it from running twice")
				q.handBack(id, h)
			}
		}
	}
	close(q.finished)
	q.waitReader(context.Background())
	c, cancel := q.opCtx()
	defer cancel()
	// Leave the group if nothing is pending here; a name with pending
	// entries stays until they are taken over.
	_ = dropConsumerScript.Run(c, q.o.Client, []string{q.o.Stream}, q.o.Group, q.o.Consumer).Err()
}

// waitReader waits for a read under way when Drain began (what it got is
// handed back), at most one blocking read's time, or until ctx ends.
func (q *Queue) waitReader(ctx context.Context) {
	if !q.listening.Load() {
		return
	}
	t := time.NewTimer(readBlock + opTimeout)
	defer t.Stop()
	select {
	case <-q.readDone:
	case <-t.C:
	case <-ctx.Done():
	}
}
