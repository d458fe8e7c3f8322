package teams

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/unlockbot/unlockbot/bot/outbox"
	"github.com/unlockbot/unlockbot/bot/store"
)

// Microsoft's "per bot per thread" limit (learn.microsoft.com/microsoftteams/
// platform/bots/how-to/rate-limit) allows 7 sends to one conversation in
// 1 s, 8 in 2 s, 60 in 30 s and 1800 in an hour; a conversation is a
// personal chat, a group chat, or a channel with all its threads. The
// hour binds: one message per 2 s. The pace lets Burst + t/Interval go
// in any span t, so the interval is a little over 2 s (6 + 3600/2.1 =
// 1720 an hour, 20 in 30 s) and the burst one under the 7 a second, for
// the network's jitter. Every send, reply, update and new thread counts,
// shared by every replica through the store: a storm of approvals
// queues instead of drawing 429s. Opening a personal chat and member
// lookups are counted apart by Teams, at other rates, and are not paced.
const (
	DefaultConversationInterval = 2100 * time.Millisecond
	DefaultConversationBurst    = 6
)

func newOutbox(cfg Config) (*outbox.Outbox, error) {
	p := store.Pacing{ // zero: the defaults; a negative interval is refused by outbox.New
		Interval: cmp.Or(cfg.ConversationInterval, DefaultConversationInterval),
		Burst:    cmp.Or(cfg.ConversationBurst, DefaultConversationBurst),
	}
	return outbox.New(outbox.Config{Store: cfg.Store, Prefix: "pace:teams:" + cfg.TenantID + ":", Pacing: p, Log: cfg.Log})
}

// paced makes one connector call through the outbox line of conv's
// conversation (a thread counts as its channel). A call whose answer the
// caller needs (detach false) waits for its slot as long as the caller
// can and is withdrawn past that; a detached one is delivered even after
// the caller has gone on. A 429 holds the conversation on every replica
// for its Retry-After, then the call is made again.
func (a *Adapter) paced(ctx context.Context, op, conv, coalesce string, detach bool, call func(context.Context) error) error {
	err := a.out.Send(ctx, outbox.Msg{Line: channelOf(conv), Coalesce: coalesce, Detach: detach, Send: call})
	if errors.Is(err, outbox.ErrWithdrawn) {
		return &APIError{Op: op, Status: http.StatusTooManyRequests, Code: CodeThrottled, Err: err}
	}
	return err
}

// startThread posts m as a new thread in a channel and waits for where
// it landed (the approval card: its reference is kept).
func (a *Adapter) startThread(ctx context.Context, svcURL, channel string, m Outgoing) (conv, id string, err error) {
	err = a.paced(ctx, opCreateThread, channel, "", false, func(ctx context.Context) error {
		var cerr error
		conv, id, cerr = a.pconn.CreateChannelThread(ctx, svcURL, a.cfg.TenantID, channel, m)
		return cerr
	})
	return conv, id, err
}

// send posts m to conv, as a reply to replyTo when it is set. Detached,
// it returns no id (the message may go out after send returned).
func (a *Adapter) send(ctx context.Context, svcURL, conv, replyTo string, m Outgoing, detach bool) (string, error) {
	op := opSend
	if replyTo != "" {
		op = opReply
	}
	var id string
	err := a.paced(ctx, op, conv, "", detach, func(ctx context.Context) error {
		var cerr error
		var got string
		if replyTo != "" {
			got, cerr = a.pconn.Reply(ctx, svcURL, conv, replyTo, m)
		} else {
			got, cerr = a.pconn.Send(ctx, svcURL, conv, m)
		}
		if !detach {
			id = got // read by the caller only once the call is done
		}
		return cerr
	})
	return id, err
}

// update replaces activityID in conv with m, detached: updates of one
// activity still waiting for their slot collapse into the newest, which
// carries the whole card.
func (a *Adapter) update(ctx context.Context, svcURL, conv, activityID string, m Outgoing) error {
	return a.paced(ctx, opUpdate, conv, activityID, true, func(ctx context.Context) error {
		return a.pconn.Update(ctx, svcURL, conv, activityID, m)
	})
}

// Drain waits for the messages still queued behind a conversation's pace.
func (a *Adapter) Drain(ctx context.Context) error { return a.out.Drain(ctx) }
