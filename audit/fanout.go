package audit

import (
	"context"
	"errors"
	"sync"
)

// Fanout writes every event to several sinks (a file, a Redis Stream, a
// syslog sender), each with its own chain. An event counts as written only
// when every sink took it: a sink that cannot take it fails the step, and
// the flow refuses to go on (fail closed). Sinks that can ride out an
// outage (syslog) buffer on their own and fail only when the buffer is
// full.
type Fanout []Sink

var _ Syncer = Fanout(nil)

// Write writes to every sink at once (a file's fsync and a stream's round
// trip overlap) and returns the first failure.
func (f Fanout) Write(ctx context.Context, e Event) error {
	if len(f) == 1 {
		return f[0].Write(ctx, e)
	}
	errs := make([]error, len(f))
	var wg sync.WaitGroup
	for i, s := range f {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Write(ctx, e)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Append appends where a sink can, and writes where it cannot.
func (f Fanout) Append(ctx context.Context, e Event) error {
	var errs []error
	for _, s := range f {
		var err error
		if a, ok := s.(Appender); ok {
			err = a.Append(ctx, e)
		} else {
			err = s.Write(ctx, e)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Sync makes every sink durable up to now, at once; a sink that is no
// Syncer already was when it took the events (its Append is its Write).
func (f Fanout) Sync(ctx context.Context) error {
	errs := make([]error, len(f))
	var wg sync.WaitGroup
	for i, s := range f {
		if y, ok := s.(Syncer); ok {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = y.Sync(ctx)
			}()
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}
