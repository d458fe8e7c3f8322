package bot

import (
	"bytes"
	"context"
	"sync"
)

// viewMemo remembers, per request, the last record ViewApproval opened and
// the card drawn from it. Teams sends every approver a refresh each time
// an approval card changes, and every refresh still reads the record from
// the store, since another replica may have changed it; but a record whose
// version and bytes are those opened before is not checked, decoded and
// drawn again: the same bytes under the same key and version are the same
// request and the same card (the card depends on the record and the org's
// config alone, which is read at start). Nothing here is trusted that the
// store did not just hand back.
type viewMemo struct {
	mu sync.Mutex
	m  map[string]viewEntry
}

type viewEntry struct {
	version int64
	value   []byte
	req     *Request // shared: read, never changed
	card    Card     // approvalCard(org, req); its slices are shared, read-only
}

// maxViews bounds the memo: a card is refreshed while people look at it,
// so a few hundred recent ones cover a lockout storm; beyond, it starts
// over.
const maxViews = 256

// viewed returns request id as stored now and its approval card, opening
// and drawing it only when the record changed since the last view. The
// request is shared with other viewers: the caller must not change it.
func (s *Service) viewed(ctx context.Context, id string) (*Request, *Org, Card, error) {
	const op = "bot.ViewApproval"
	if !validID(id) {
		return nil, nil, Card{}, errorf("bot.load", KindNotFound, nil, "This request does not exist. Start a new one with /unlock.")
	}
	rec, err := s.repo.get(ctx, id)
	if err != nil {
		return nil, nil, Card{}, err
	}
	s.views.mu.Lock()
	e, ok := s.views.m[id]
	s.views.mu.Unlock()
	if !ok || e.version != rec.Version || !bytes.Equal(e.value, rec.Value) {
		r, err := s.repo.open(id, rec)
		if err != nil {
			return nil, nil, Card{}, s.untampered(ctx, err)
		}
		o, err := s.orgOf(op, r)
		if err != nil {
			return nil, nil, Card{}, err
		}
		e = viewEntry{version: rec.Version, value: bytes.Clone(rec.Value), req: r, card: approvalCard(o, r)}
		s.views.mu.Lock()
		if s.views.m == nil || len(s.views.m) >= maxViews {
			s.views.m = map[string]viewEntry{}
		}
		s.views.m[id] = e
		s.views.mu.Unlock()
	}
	o, err := s.orgOf(op, e.req)
	if err != nil {
		return nil, nil, Card{}, err
	}
	return e.req, o, e.card, nil
}
