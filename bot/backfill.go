package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// backfillKey is a record saying this store's requests are all in the
// due-set: written once the backfill has scheduled every one. Deleting it
// makes the next sweep backfill again (after a rolling upgrade from a
// version without the due-set: see README.md, Recovery).
const backfillKey = "sweep:backfilled"

// backfill puts every stored request that is still open in the due-set,
// due at now (the sweep's own now, so this sweep reads them), once per
// store: requests saved by a version without the set would otherwise
// never be swept. It is the one SCAN left (store.List), and reads each
// request once, as every sweep did before the set; a tampered one is
// alerted by the read and left out, a key no request of ours could have
// is audited. Due now rather than at its deadline: an early deadline only
// costs the sweep a read, while one computed from a copy a writer has
// since changed could be late. The marker is written after the last
// Schedule, so a backfill cut short runs again; two replicas backfilling
// at once only set requests due early.
func (s *Service) backfill(ctx context.Context, now time.Time) error {
	if s.backfilled.Load() {
		return nil
	}
	_, err := s.repo.st.Get(ctx, backfillKey)
	if err == nil {
		s.backfilled.Store(true)
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	keys, err := s.repo.st.List(ctx, "req:")
	if err != nil {
		return err
	}
	n := 0
	for _, k := range keys {
		id := strings.TrimPrefix(k, "req:")
		if !validID(id) {
			s.malformed(ctx, k, "malformed key")
			continue
		}
		r, err := s.load(ctx, id)
		if k := KindOf(err); k == KindNotFound || k == KindForbidden {
			continue // gone since the listing, or tampered (alerted)
		} else if err != nil {
			return err
		}
		if _, open := nextDeadline(r, s.lease); !open {
			continue
		}
		if _, err := s.repo.st.Schedule(ctx, dueSet, id, now); err != nil {
			return err
		}
		n++
	}
	_, err = s.repo.st.Create(ctx, backfillKey, []byte(now.UTC().Format(time.RFC3339)), 0)
	if err != nil && !errors.Is(err, store.ErrConflict) { // conflict: another replica finished first
		return err
	}
	s.backfilled.Store(true)
	s.log.Info().Int("read", len(keys)).Int("open", n).Msg("sweep: every open request is in the due-set now")
	return nil
}
