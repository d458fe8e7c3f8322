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
// version without the due-set: see docs/operations.md).
const backfillKey = "sweep:backfilled"

// backfill puts every stored request in the due-set, due at now (the
// sweep's own now, so this sweep reads them), once per store: requests saved by a version without the set would otherwise
// never be swept. It is the one SCAN left (store.List); the first sweep
// then reads each request once and sets its real deadline or drops it.
// The record is written after the last Schedule, so a backfill cut short
// runs again; two replicas backfilling at once only set requests due early.
// A key no request of ours could have is audited here, as sweeps did
// before the due-set.
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
	s.log.Info().Int("requests", n).Msg("sweep: every stored request is in the due-set now")
	return nil
}
