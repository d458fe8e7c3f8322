package bot

import (
	"context"
	"fmt"

	"github.com/unlockbot/unlockbot/audit"
)

// JobDropped records a queued click that will never be carried out (its
// entry could not be read, or every replica that took it stopped before
// finishing): the trail says whose click it was, on which request, and
// why nothing came of it, so a person asking "I clicked Approve, nothing
// happened" finds the answer. The request itself is left as it is; the
// sweeper still resumes or expires it.
func (s *Service) JobDropped(ctx context.Context, j Job, delivery int, why string) {
	e := s.event("job.dropped", audit.Failed, nil, "system", map[string]string{
		"action": Truncate(string(j.Action), 40), "delivery": fmt.Sprint(delivery), "why": Truncate(why, 200)})
	if validID(j.RequestID) {
		e.RequestID = j.RequestID
	}
	if j.Actor.ID != "" {
		e.Actor = j.Actor.Key()
	}
	if err := s.append(ctx, e); err != nil {
		s.log.Error().Err(err).Str("request", e.RequestID).Msg("a dropped job could not be audited")
	}
}
