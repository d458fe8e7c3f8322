package slack

import (
	"context"
	"time"

	"github.com/unlockbot/unlockbot/bot/outbox"
	"github.com/unlockbot/unlockbot/bot/store"
)

// Slack allows about one message per second per channel ("short bursts
// >1 allowed", docs.slack.dev/apis/web-api/rate-limits). Every chat.*
// call of ours counts against its channel here, ephemeral messages and
// DMs (the DM is its own channel) included, shared by every replica
// through the store: a storm of approvals queues instead of drawing 429s.
const (
	DefaultChannelInterval = time.Second
	DefaultChannelBurst    = 3
)

func newOutbox(cfg Config, ws workspace) (*outbox.Outbox, error) {
	p := store.Pacing{Interval: cfg.ChannelInterval, Burst: cfg.ChannelBurst}
	if p.Interval <= 0 {
		p.Interval = DefaultChannelInterval
	}
	if p.Burst <= 0 {
		p.Burst = DefaultChannelBurst
	}
	return outbox.New(outbox.Config{Store: cfg.Store, Prefix: "pace:slack:" + ws.team + ":", Pacing: p, Log: cfg.Log})
}

// send makes one chat.* call through the channel's outbox line. A post
// whose ts the caller needs (the approval card: out set) waits for its
// slot as long as the caller can and is withdrawn past that; everything
// else is detached: delivered even after the caller's budget (a job's
// 2 min) is spent, with no answer read back. Updates of one message
// waiting for their slot collapse into the newest, which carries the whole
// card.
func (a *Adapter) send(ctx context.Context, method string, m message, out any) error {
	msg := outbox.Msg{Line: m.Channel, Detach: out == nil, Send: func(ctx context.Context) error {
		return a.api.callJSONOnce(ctx, method, m.Channel, m, out)
	}}
	if method == "chat.update" {
		msg.Coalesce = m.TS
	}
	err := a.out.Send(ctx, msg)
	if err != nil && !a.isAPIError(err) {
		// Withdrawn: the channel had no slot before the caller's deadline.
		return &APIError{Method: method, Code: "ratelimited", Channel: m.Channel, Err: err}
	}
	return err
}

func (a *Adapter) isAPIError(err error) bool { return errCode(err) != "" }

// Drain waits for the messages still queued behind a channel's pace.
func (a *Adapter) Drain(ctx context.Context) error { return a.out.Drain(ctx) }
