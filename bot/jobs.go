package bot

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot/warm"
)

// Work that runs after a platform's acknowledgement. A chat platform wants
// an answer within seconds (Slack 3 s, a Teams invoke a few more), while an
// approval runs a whole reset. A Job is data, not a closure, so a queue
// shared by replicas (the scale-out work's Redis Streams) can carry it and
// any replica can run it; it never holds a password.

// Job is one decision to carry out after the ack.
type Job struct {
	Action    ActionID `json:"action"`
	RequestID string   `json:"request"`
	Actor     Actor    `json:"actor"`
	// Where is the conversation the click came from: if the job fails,
	// the clicker is told there (Notifier.Whisper).
	Where  string `json:"where,omitempty"`
	Reason string `json:"reason,omitempty"` // a denial's reason
	// Delivery is how many times a shared queue has handed this job out,
	// this time included (0 or 1: the first). A later delivery follows a
	// replica that took the job and stopped before finishing it, so
	// RunJob carries on with what that replica left instead of refusing
	// the click as already decided. Set by the queue, never carried in it.
	Delivery int `json:"-"`
}

// Jobs starts jobs after the ack and waits for them at shutdown. A job
// carries the clicker bare (no groups, no display name): a queue shared by
// replicas is not authenticated like a stored record, so roles are never
// taken from it; the job looks the clicker up when it runs.
type Jobs interface {
	// Start gives the runner the handler for every job (bot.New calls it
	// with Service.RunJob, once, before the first Enqueue).
	Start(run func(context.Context, Job))
	// Enqueue hands the job over to be run by the handler.
	Enqueue(ctx context.Context, j Job) error
	// Drain waits for started jobs to end, or for ctx.
	Drain(ctx context.Context) error
}

// jobTimeout bounds one job (a reset with its retries of the directory and
// the PSA), and detached work in general.
const jobTimeout = 2 * time.Minute

// InProcess runs jobs and detached work on goroutines of this process,
// each with its own budget, and recovers a panic so one bad job cannot stop
// the bot. It is the Jobs of a single replica.
type InProcess struct {
	run  func(context.Context, Job)
	log  zerolog.Logger
	wg   sync.WaitGroup
	n    atomic.Int64 // running now, for Running
	pool *warm.Pool   // goroutines whose stacks have grown already
}

// warmIdle is how long a goroutine that ran detached work waits for more.
const warmIdle = 30 * time.Second

// NewInProcess returns a runner for this process; Start gives it the jobs'
// handler.
func NewInProcess(log zerolog.Logger) *InProcess {
	return &InProcess{log: log, pool: warm.New(warmIdle)}
}

// Start implements Jobs.
func (p *InProcess) Start(run func(context.Context, Job)) { p.run = run }

// Enqueue implements Jobs.
func (p *InProcess) Enqueue(_ context.Context, j Job) error {
	p.Go(func(ctx context.Context) { p.run(ctx, j) })
	return nil
}

// Go runs fn detached from the caller's context: work that belongs to this
// process only (a form submission still running when the ack is due, a
// redraw, a sentence sent after the ack).
func (p *InProcess) Go(fn func(ctx context.Context)) {
	p.wg.Add(1)
	p.n.Add(1)
	p.pool.Go(func() {
		defer p.wg.Done()
		defer p.n.Add(-1)
		ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
		defer cancel()
		defer func() {
			if v := recover(); v != nil {
				p.log.Error().Interface("panic", v).Msg("background work panicked")
			}
		}()
		fn(ctx)
	})
}

// Running is how many jobs and pieces of detached work run now.
func (p *InProcess) Running() int { return int(p.n.Load()) }

// Drain implements Jobs.
func (p *InProcess) Drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
