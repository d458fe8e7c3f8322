package main

import (
	"context"
	"errors"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/jobqueue"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
)

// jobQueue is serve's job runner when the replicas share Redis: a click
// acknowledged by one replica is carried out by whichever has a free
// worker, and a job whose replica died is taken over by another. Its
// visibility timeout is the lease, so the job and its request become
// another replica's after the same wait. One stream key under the store's
// prefix.
func (a *app) jobQueue(rs *redisstore.Store) (*jobqueue.Queue, error) {
	return jobqueue.New(jobqueue.Options{
		Client: rs.Client(), Stream: rs.Prefix() + "jobs",
		Workers: a.cfg.Recovery.JobWorkers, Visibility: a.cfg.Recovery.Lease, Log: a.log,
		OnDrop: func(j bot.Job, delivery int, why string) { a.svc.JobDropped(context.Background(), j, delivery, why) },
	})
}

// watchQueue exposes the shared queue's depth on /metrics (sampled by the
// queue every few seconds, so a scrape costs Redis nothing).
func (a *app) watchQueue() error {
	if a.queue == nil {
		return nil
	}
	q := a.queue
	return errors.Join(
		a.metrics.Gauge("unlockbot_job_queue_depth", "Jobs in the shared Redis queue: waiting, or running on some replica.",
			func() float64 { return float64(q.Stats().Depth) }),
		a.metrics.Gauge("unlockbot_job_queue_pending", "Jobs of the shared Redis queue handed to a replica and not yet done.",
			func() float64 { return float64(q.Stats().Pending) }),
	)
}
