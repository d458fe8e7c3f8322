package bot

import (
	"context"
	"strconv"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// refusalWindow is how often one kind of platform refusal reaches the
// audit trail: once per platform, reason and minute.
const refusalWindow = time.Minute

// RecordRefusal audits a request an adapter refused before it reached the
// flow (a forged signature, another workspace, a bad token). A flood of
// such requests must not fill the trail or slow the bot, so at most one
// record per platform, reason and minute is written; the rest are counted
// in the adapter's log. It reports whether a record was written.
func (s *Service) RecordRefusal(ctx context.Context, platform, why string, detail map[string]string) bool {
	slot := s.now().UTC().Truncate(refusalWindow).Unix()
	first, err := s.repo.st.Mark(ctx, "refusal:"+platform+":"+why+":"+strconv.FormatInt(slot, 10), 2*refusalWindow)
	if err != nil || !first {
		return false
	}
	d := map[string]string{"why": why}
	for k, v := range detail {
		if k != "why" {
			d[k] = v
		}
	}
	return s.append(ctx, audit.Event{Time: s.now().UTC(), Type: "platform.refused", Outcome: audit.Refused, Actor: platform, Detail: d}) == nil
}
