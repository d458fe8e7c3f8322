// Package jobqueue runs the bot's jobs (bot.Jobs) through one Redis Stream
// shared by every replica, so a click acknowledged by one replica may run
// on any, and a job whose replica died runs on another.
//
// Each replica is one consumer of one consumer group. Enqueue is an XADD
// of the JSON bot.Job (which never holds a secret). A reader fetches as
// many entries as there are free workers (XREADGROUP, blocking) and runs
// each; the entry is acknowledged and deleted when the handler returns.
// While a job runs its entry is refreshed to this consumer well inside the
// visibility timeout, so nobody takes a live job; an entry left idle past
// it (its replica was killed) is taken over by another replica
// (XAUTOCLAIM) and run again. That is safe because the handler is
// idempotent: every state change of a request is a compare-and-swap and
// every side effect records that it is done, so a job delivered again
// carries on where the first delivery stopped (bot.Job.Delivery).
//
// A job delivered more than MaxDeliveries times, or one that cannot be
// decoded, is dropped (acknowledged and logged): it would otherwise come
// back forever.
//
// Drain is the graceful shutdown: it stops taking jobs, lets running ones
// finish until its context ends, then asks them to stop at a safe point
// (bot.WithStop) and hands them back to the stream at once, so another
// replica carries on without waiting for the visibility timeout.
//
// Everything happens on one key, so the queue works on Redis Cluster
// whatever the key is named.
package jobqueue

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
)

// Defaults of Options.
const (
	DefaultGroup         = "unlockbot"
	DefaultWorkers       = 16
	DefaultVisibility    = 2 * time.Minute
	DefaultJobTimeout    = 2 * time.Minute
	DefaultMaxDeliveries = 5
	DefaultMaxLen        = 10000
	DefaultHandBack      = 5 * time.Second
)

// opTimeout bounds one Redis call of the queue's own (not the blocking read).
const opTimeout = 5 * time.Second

// Options configures New.
type Options struct {
	// Client is any go-redis client; the queue does not close it.
	Client redis.UniversalClient
	// Stream is the stream's key (the store's prefix + "jobs", say).
	Stream string
	// Group is the consumer group every replica joins (DefaultGroup).
	Group string
	// Consumer names this replica in the group; empty: host, pid and a
	// random suffix, so a restarted process never inherits a dead one's
	// entries by name (they are taken over by idle time instead).
	Consumer string
	// Workers bounds the jobs this replica runs at once (DefaultWorkers).
	Workers int
	// Visibility is how long a job's entry may go unrefreshed before
	// another replica takes it over: the bot's lease, so a job and its
	// request are taken over after the same wait (DefaultVisibility).
	Visibility time.Duration
	// JobTimeout bounds one run of the handler (DefaultJobTimeout).
	JobTimeout time.Duration
	// MaxDeliveries: a job handed out more often is dropped, not run.
	MaxDeliveries int
	// MaxLen caps the stream (approximately) should replicas stop
	// consuming; acknowledged entries are deleted anyway.
	MaxLen int64
	// HandBack is how long, after Drain's deadline, running jobs get to
	// reach a safe point and stop before their entries are handed back
	// anyway (DefaultHandBack).
	HandBack time.Duration
	// OnDrop, when set, is told of each job dropped (after the log line):
	// serve audits it, so a click nobody carried out is in the trail.
	OnDrop func(j bot.Job, delivery int, why string)
	Log    zerolog.Logger
}

// Queue is a bot.Jobs on a Redis Stream. Enqueue works from New on;
// Listen starts this replica's workers; Drain stops them.
type Queue struct {
	o   Options
	run func(context.Context, bot.Job)
	log zerolog.Logger

	slots    chan struct{} // one per running job
	closed   chan struct{} // closed when Drain begins: no new jobs
	stop     chan struct{} // closed at Drain's deadline: jobs stop at a safe point
	finished chan struct{} // closed when Drain ends: the keeper stops
	readDone chan struct{} // closed when the reader has returned
	drain    sync.Once

	mu       sync.Mutex
	draining bool
	inHand   map[string]*held // by entry id
	wg       sync.WaitGroup   // running handlers

	depth, pending atomic.Int64 // sampled by the keeper, for the gauges
	dropped        atomic.Int64
	running        atomic.Int64
	listening      atomic.Bool
}

// held is a job running on this replica.
type held struct {
	job  bot.Job
	raw  string // the entry's job field, re-added as is on hand back
	n    int    // deliveries, this one included
	done bool   // acknowledged or handed back
}

var _ bot.Jobs = (*Queue)(nil)

// New checks the options; it does not contact Redis.
func New(o Options) (*Queue, error) {
	if o.Client == nil || o.Stream == "" {
		return nil, fmt.Errorf("jobqueue.New: a Redis client and a stream key are required")
	}
	if o.Group == "" {
		o.Group = DefaultGroup
	}
	if o.Consumer == "" {
		host, _ := os.Hostname()
		o.Consumer = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:8])
	}
	o.Workers = pick(o.Workers, DefaultWorkers)
	o.Visibility = pick(o.Visibility, DefaultVisibility)
	o.JobTimeout = pick(o.JobTimeout, DefaultJobTimeout)
	o.MaxDeliveries = pick(o.MaxDeliveries, DefaultMaxDeliveries)
	o.MaxLen = pick(o.MaxLen, DefaultMaxLen)
	o.HandBack = pick(o.HandBack, DefaultHandBack)
	return &Queue{
		o: o, log: o.Log.With().Str("component", "jobqueue").Str("consumer", o.Consumer).Logger(),
		slots: make(chan struct{}, o.Workers), closed: make(chan struct{}), stop: make(chan struct{}),
		finished: make(chan struct{}), readDone: make(chan struct{}), inHand: map[string]*held{},
	}, nil
}

func pick[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Consumer is this replica's name in the group.
func (q *Queue) Consumer() string { return q.o.Consumer }

// Start implements bot.Jobs.
func (q *Queue) Start(run func(context.Context, bot.Job)) { q.run = run }

// Enqueue implements bot.Jobs: the job is in Redis when it returns.
func (q *Queue) Enqueue(ctx context.Context, j bot.Job) error {
	b, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("jobqueue.Enqueue: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	err = q.o.Client.XAdd(ctx, &redis.XAddArgs{Stream: q.o.Stream, MaxLen: q.o.MaxLen, Approx: true, Values: []string{"job", string(b)}}).Err()
	if err != nil {
		return fmt.Errorf("jobqueue.Enqueue: %w", err)
	}
	return nil
}

// Listen starts this replica's reader and keeper; they run until Drain.
// Redis being down is not fatal: they log and try again.
func (q *Queue) Listen() {
	if !q.listening.CompareAndSwap(false, true) {
		return
	}
	go func() { defer close(q.readDone); q.reader() }()
	go q.keeper()
}

// Running is how many jobs run on this replica now.
func (q *Queue) Running() int { return int(q.running.Load()) }

// Stats is what the gauges show, sampled every few seconds.
type Stats struct {
	Depth   int64 // entries in the stream: waiting, or running somewhere
	Pending int64 // of those, handed to a replica and not yet done
	Dropped int64 // jobs this replica dropped (undecodable or redelivered too often)
}

// Stats returns the last sample.
func (q *Queue) Stats() Stats {
	return Stats{Depth: q.depth.Load(), Pending: q.pending.Load(), Dropped: q.dropped.Load()}
}

func (q *Queue) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}
