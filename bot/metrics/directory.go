package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/unlockbot/unlockbot/identity"
)

// call times one operation of one org's directory or PSA. Its series exist
// from the wrap on, at zero, so a dashboard's rate() has something to show
// before the first error.
type call struct {
	seconds prometheus.Observer
	errors  prometheus.Counter
}

func calls(h *prometheus.HistogramVec, c *prometheus.CounterVec, org string, ops ...string) map[string]call {
	m := make(map[string]call, len(ops))
	for _, op := range ops {
		m[op] = call{h.WithLabelValues(org, op), c.WithLabelValues(org, op)}
	}
	return m
}

// done records a call that began at start. An answer that is not a failure
// (no such account or ticket) and a caller that gave up (a closed picker)
// are timed but not counted as errors; a timeout is an error.
func (c call) done(start time.Time, err error, answer func(error) bool) {
	c.seconds.Observe(time.Since(start).Seconds())
	if err == nil || errors.Is(err, context.Canceled) || answer(err) {
		return
	}
	c.errors.Inc()
}

// dirAnswer: no such account, or more than one, is the directory
// answering, not failing.
func dirAnswer(err error) bool {
	return identity.KindOf(err) == identity.KindNotFound || errors.Is(err, identity.ErrNotFound) || errors.Is(err, identity.ErrAmbiguous)
}

// Optional interfaces a directory may have that the wiring relies on:
// typeahead.Wrap type-asserts Lister on what it wraps, and serve runs the
// snapshot refresher. The wrapper keeps each one its directory has.
type (
	lister interface {
		All(context.Context) ([]identity.Account, error)
	}
	refresher interface{ Run(ctx context.Context) }
)

// WrapDirectory times every call to org's directory. Wrap the directory
// itself, inside typeahead.Wrap, so the series measure the directory (the
// snapshot refresh shows as op="all") rather than the in-memory picker:
//
//	dir = typeahead.Wrap(m.WrapDirectory(oc.ID, dir), every, log)
//
// It keeps the directory's All and Run, and Unwrap returns the directory
// underneath (for `unlockbot check`).
func (m *M) WrapDirectory(org string, d identity.Directory) identity.Directory {
	m.addOrg(org)
	ops := []string{"search", "lookup", "unlock", "set_password", "verify", "ping"}
	l, isLister := d.(lister)
	if isLister {
		ops = append(ops, "all")
	}
	w := &timedDirectory{d: d, calls: calls(m.dirSeconds, m.dirErrors, org, ops...)}
	r, isRefresher := d.(refresher)
	switch {
	case isLister && isRefresher:
		return &listingRefresher{listing{w, l}, r}
	case isLister:
		return &listing{w, l}
	case isRefresher:
		return &refreshing{w, r}
	}
	return w
}

// timedDirectory is a timed identity.Directory (see WrapDirectory).
type timedDirectory struct {
	d     identity.Directory
	calls map[string]call
}

// Unwrap returns the directory underneath.
func (w *timedDirectory) Unwrap() identity.Directory { return w.d }

func (w *timedDirectory) Search(ctx context.Context, q string, limit int) ([]identity.Account, error) {
	start := time.Now()
	a, err := w.d.Search(ctx, q, limit)
	w.calls["search"].done(start, err, dirAnswer)
	return a, err
}

func (w *timedDirectory) Lookup(ctx context.Context, name string) (identity.Account, error) {
	start := time.Now()
	a, err := w.d.Lookup(ctx, name)
	w.calls["lookup"].done(start, err, dirAnswer)
	return a, err
}

func (w *timedDirectory) Unlock(ctx context.Context, acct identity.Account) error {
	start := time.Now()
	err := w.d.Unlock(ctx, acct)
	w.calls["unlock"].done(start, err, dirAnswer)
	return err
}

func (w *timedDirectory) SetPassword(ctx context.Context, acct identity.Account, c identity.PasswordChange) error {
	start := time.Now()
	err := w.d.SetPassword(ctx, acct, c)
	w.calls["set_password"].done(start, err, dirAnswer)
	return err
}

func (w *timedDirectory) Verify(ctx context.Context, acct identity.Account, pw identity.Secret, temporary bool) (identity.Verification, error) {
	start := time.Now()
	v, err := w.d.Verify(ctx, acct, pw, temporary)
	w.calls["verify"].done(start, err, dirAnswer)
	return v, err
}

func (w *timedDirectory) Ping(ctx context.Context) error {
	start := time.Now()
	err := w.d.Ping(ctx)
	w.calls["ping"].done(start, err, dirAnswer)
	return err
}

type listing struct {
	*timedDirectory
	l lister
}

func (w *listing) All(ctx context.Context) ([]identity.Account, error) {
	start := time.Now()
	a, err := w.l.All(ctx)
	w.calls["all"].done(start, err, dirAnswer)
	return a, err
}

type refreshing struct {
	*timedDirectory
	r refresher
}

func (w *refreshing) Run(ctx context.Context) { w.r.Run(ctx) }

type listingRefresher struct {
	listing
	r refresher
}

func (w *listingRefresher) Run(ctx context.Context) { w.r.Run(ctx) }
