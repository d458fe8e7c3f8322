package bot

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// Burst is when the approvers hear of unusual volume: one technician, or
// one org, submitting more requests in Window than its threshold. A
// password-spray victim list or a talked-into technician shows up as a
// burst long before the daily limits stop it; the alert asks a person
// to look. Zero thresholds alert on nothing.
type Burst struct {
	Technician int           // requests by one technician in Window, all orgs
	Org        int           // requests for one org in Window, all technicians
	Window     time.Duration // default 10m
}

func (b Burst) withDefaults() Burst {
	if b.Window <= 0 {
		b.Window = 10 * time.Minute
	}
	return b
}

// watchBurst counts r in its technician's and its org's windows and, the
// first time in a window that one passes its threshold, tells the org's
// approval channel and audits it. The counts and the "already told"
// marker live in the store, so every replica counts the same requests
// and one alert goes out per window. Best effort: a store or chat failure
// never stops the request.
func (s *Service) watchBurst(ctx context.Context, o *Org, r *Request) {
	b := s.limits.Burst
	s.burstOver(ctx, o, r, "technician", "burst:tech:"+r.Requester.Key(), b.Technician)
	s.burstOver(ctx, o, r, "org", "burst:org:"+o.ID, b.Org)
}

func (s *Service) burstOver(ctx context.Context, o *Org, r *Request, scope, key string, threshold int) {
	if threshold <= 0 {
		return
	}
	window := s.limits.Burst.Window
	// The window is only counted: a limit no burst reaches never refuses.
	_, n, err := s.repo.st.Reserve(ctx, key, r.ID, s.now(), window, 1<<30)
	if err != nil || n <= threshold {
		return
	}
	if first, err := s.repo.st.Mark(ctx, key+":alerted", window); err != nil || !first {
		return
	}
	who := o.Name
	if scope == "technician" {
		who = r.Requester.Label()
	}
	_ = s.recordAfter(ctx, "alert.burst", audit.OK, r, "system", map[string]string{
		"scope": scope, "count": strconv.Itoa(n), "threshold": strconv.Itoa(threshold), "window": window.String()})
	s.reqLog(r).Warn().Str("scope", scope).Int("count", n).Msg("burst of requests: approvers alerted")
	if nt, ch := s.notifier(r), o.ApprovalChannel[r.Platform]; nt != nil && ch != "" {
		_, _ = nt.PostApproval(ctx, ch, burstCard(scope, who, n, threshold, window))
	}
}

// burstCard is the alert: what was seen and what to do about it.
func burstCard(scope, who string, count, threshold int, window time.Duration) Card {
	text := fmt.Sprintf("%s submitted %d requests in the last %s (alert above %d).", who, count, window, threshold)
	if scope == "org" {
		text = fmt.Sprintf("%d requests for %s in the last %s (alert above %d).", count, who, window, threshold)
	}
	return Card{Title: "⚠️ Unusual number of requests", Tone: ToneWarning,
		Text: text + " Check with the technicians that each one is genuine before you approve more; this alert comes once per " + window.String() + "."}
}
