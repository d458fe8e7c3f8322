package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/unlockbot/unlockbot/psa"
)

// WrapTickets times every call to org's PSA. Unwrap returns the PSA
// underneath, for code that needs the implementation itself.
// A PSA that is a psa.Finisher stays one, timed as note_and_resolve.
func (m *M) WrapTickets(org string, t psa.Tickets) psa.Tickets {
	m.addOrg(org)
	w := &timedTickets{t: t, calls: calls(m.psaSeconds, m.psaErrors, org,
		"list_open", "get", "create", "add_note", "resolve", "find_created", "has_note", "health", "ping", "note_and_resolve")}
	if f, ok := t.(psa.Finisher); ok {
		return &timedFinisher{timedTickets: w, f: f}
	}
	return w
}

// timedFinisher is timedTickets for a PSA that is a psa.Finisher.
type timedFinisher struct {
	*timedTickets
	f psa.Finisher
}

func (w *timedFinisher) NoteAndResolve(ctx context.Context, ticketID string, n psa.Note, comment string) error {
	start := time.Now()
	err := w.f.NoteAndResolve(ctx, ticketID, n, comment)
	w.calls["note_and_resolve"].done(start, err, psaAnswer)
	return err
}

type timedTickets struct {
	t     psa.Tickets
	calls map[string]call
}

// psaAnswer: no such ticket is the PSA answering, not failing.
func psaAnswer(err error) bool { return errors.Is(err, psa.ErrNotFound) }

// Unwrap returns the PSA underneath.
func (w *timedTickets) Unwrap() psa.Tickets { return w.t }

func (w *timedTickets) ListOpen(ctx context.Context, companyID, query string, limit int) ([]psa.Ticket, error) {
	start := time.Now()
	ts, err := w.t.ListOpen(ctx, companyID, query, limit)
	w.calls["list_open"].done(start, err, psaAnswer)
	return ts, err
}

func (w *timedTickets) Get(ctx context.Context, id string) (psa.Ticket, error) {
	start := time.Now()
	t, err := w.t.Get(ctx, id)
	w.calls["get"].done(start, err, psaAnswer)
	return t, err
}

func (w *timedTickets) Create(ctx context.Context, nt psa.NewTicket) (psa.Ticket, error) {
	start := time.Now()
	t, err := w.t.Create(ctx, nt)
	w.calls["create"].done(start, err, psaAnswer)
	return t, err
}

func (w *timedTickets) AddNote(ctx context.Context, ticketID string, n psa.Note) error {
	start := time.Now()
	err := w.t.AddNote(ctx, ticketID, n)
	w.calls["add_note"].done(start, err, psaAnswer)
	return err
}

func (w *timedTickets) Resolve(ctx context.Context, ticketID, comment string) error {
	start := time.Now()
	err := w.t.Resolve(ctx, ticketID, comment)
	w.calls["resolve"].done(start, err, psaAnswer)
	return err
}

func (w *timedTickets) FindCreated(ctx context.Context, companyID, key string) (psa.Ticket, bool, error) {
	start := time.Now()
	t, ok, err := w.t.FindCreated(ctx, companyID, key)
	w.calls["find_created"].done(start, err, psaAnswer)
	return t, ok, err
}

func (w *timedTickets) HasNote(ctx context.Context, ticketID, key string) (bool, error) {
	start := time.Now()
	ok, err := w.t.HasNote(ctx, ticketID, key)
	w.calls["has_note"].done(start, err, psaAnswer)
	return ok, err
}

func (w *timedTickets) Health(ctx context.Context) error {
	start := time.Now()
	err := w.t.Health(ctx)
	w.calls["health"].done(start, err, psaAnswer)
	return err
}

// Ping forwards the readiness probe's cheap call; a PSA without one
// answers errors.ErrUnsupported, so the probe says "not checked".
func (w *timedTickets) Ping(ctx context.Context) error {
	p, ok := w.t.(interface{ Ping(context.Context) error })
	if !ok {
		return errors.ErrUnsupported
	}
	start := time.Now()
	err := p.Ping(ctx)
	w.calls["ping"].done(start, err, psaAnswer)
	return err
}
