package teams

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/unlockbot/unlockbot/bot"
)

// PostApproval implements bot.Notifier: the card starts a thread in the
// approval channel. The channel sees the request and its status; the
// people who may act on it get the buttons through the card's refresh.
func (a *Adapter) PostApproval(ctx context.Context, channel string, c bot.Card) (bot.MessageRef, error) {
	svcURL := a.refs.serviceURL(ctx)
	card := approvalCard(c, a.deciders(ctx, requestOf(c), channel))
	conv, id, err := a.startThread(ctx, svcURL, channel, Outgoing{Summary: c.Title, Card: card})
	if err != nil {
		return bot.MessageRef{}, err
	}
	if err := a.refs.sawChannel(ctx, channel); err != nil { // for FindByEmail
		a.log.Warn().Err(err).Msg("could not record the approval channel")
	}
	return bot.MessageRef{Channel: conv, ID: id, ServiceURL: svcURL, Link: messageLink(channel, id, a.cfg.TenantID)}, nil
}

// messageLink is Teams' deep link to a channel message, for the ticket
// note.
func messageLink(channel, id, tenant string) string {
	return "https://teams.microsoft.com/l/message/" + url.PathEscape(channel) + "/" + url.PathEscape(id) +
		"?" + url.Values{"tenantId": {tenant}, "parentMessageId": {id}}.Encode()
}

// UpdateApproval implements bot.Notifier: the card for everyone, which
// sends each listed person's client for their own view again.
func (a *Adapter) UpdateApproval(ctx context.Context, ref bot.MessageRef, c bot.Card) error {
	card := approvalCard(c, a.deciders(ctx, requestOf(c), channelOf(ref.Channel)))
	return a.update(ctx, ref.ServiceURL, ref.Channel, ref.ID, Outgoing{Summary: c.Title, Card: card})
}

// ReplyInThread implements bot.Notifier.
func (a *Adapter) ReplyInThread(ctx context.Context, ref bot.MessageRef, c bot.Card) error {
	// Not detached: the flow records a confirmation as sent only once
	// Teams took it, and a reply held in this process's queue would be
	// lost with the process.
	_, err := a.send(ctx, ref.ServiceURL, ref.Channel, "", Outgoing{Summary: c.Title, Card: messageCard(c)}, false)
	return err
}

// Notify implements bot.Notifier with a message in the person's personal
// chat with the bot.
func (a *Adapter) Notify(ctx context.Context, to bot.Actor, c bot.Card) error {
	if to.Platform != Platform || to.Tenant != a.cfg.TenantID {
		return nil // not ours to tell
	}
	conv, svcURL, err := a.personal(ctx, to.ID)
	if err != nil {
		return err
	}
	_, err = a.send(ctx, svcURL, conv, "", Outgoing{Summary: c.Title, Card: messageCard(c)}, false) // waits, as ReplyInThread
	return err
}

// Whisper implements bot.Notifier. Teams has no message only one person
// sees in a channel, so the sentence goes to their personal chat.
func (a *Adapter) Whisper(ctx context.Context, _ string, to bot.Actor, text string) error {
	if to.Platform != Platform || to.Tenant != a.cfg.TenantID {
		return nil
	}
	conv, svcURL, err := a.personal(ctx, to.ID)
	if err != nil {
		return err
	}
	_, err = a.send(ctx, svcURL, conv, "", Outgoing{Text: text, Card: sentenceCard(text)}, true)
	return err
}

// personal is the person's 1:1 conversation with the bot and its service
// URL, created (and remembered) the first time.
func (a *Adapter) personal(ctx context.Context, objectID string) (conv, svcURL string, err error) {
	u, _ := a.refs.user(ctx, objectID)
	svcURL = u.ServiceURL
	if svcURL == "" {
		svcURL = a.refs.serviceURL(ctx)
	}
	if u.Personal != "" {
		return u.Personal, svcURL, nil
	}
	member := u.MRI
	if member == "" {
		member = objectID // Teams takes the Entra object id too
	}
	conv, err = a.conn.CreatePersonal(ctx, svcURL, a.cfg.TenantID, member)
	if err != nil {
		return "", "", fmt.Errorf("teams: could not open a personal chat: %w", err)
	}
	if err := a.refs.saw(ctx, objectID, userRef{Personal: conv, ServiceURL: svcURL}); err != nil {
		a.log.Warn().Err(err).Msg("could not record the personal chat")
	}
	return conv, svcURL, nil
}

// deciders are the Bot Framework ids of the people who may act on the
// request, for the card's refresh: bot/ names them by object id; the
// channel's member list (or what the store remembers) gives their ids.
// One that cannot be found is left out: they still see the status, and
// their click would be checked like anyone's.
func (a *Adapter) deciders(ctx context.Context, requestID, channel string) []string {
	if requestID == "" {
		return nil
	}
	if mris, ok := a.seen.get(requestID, a.now()); ok {
		return mris
	}
	ids, err := a.svc.Deciders(ctx, requestID, Platform)
	if err != nil {
		a.log.Warn().Err(err).Str("request", requestID).Msg("could not list who may act on the request")
		return nil
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if mri := a.mriOf(ctx, id, channel); mri != "" {
			out = append(out, mri)
		}
	}
	if len(out) == len(ids) { // a miss is looked up again next time
		a.seen.put(requestID, out, a.now())
	}
	return out
}

func (a *Adapter) mriOf(ctx context.Context, objectID, channel string) string {
	u, _ := a.refs.user(ctx, objectID)
	if u.MRI != "" || channel == "" {
		return u.MRI
	}
	svcURL := u.ServiceURL
	if svcURL == "" {
		svcURL = a.refs.serviceURL(ctx)
	}
	m, err := a.conn.Member(ctx, svcURL, channel, objectID)
	if err != nil || m.ID == "" {
		a.log.Info().Err(err).Str("object_id", objectID).Msg("approver not found in the approval channel")
		return ""
	}
	if err := a.refs.saw(ctx, objectID, userRef{MRI: m.ID}); err != nil {
		a.log.Warn().Err(err).Msg("could not record the approver's id")
	}
	return m.ID
}

// requestOf is the request a card's buttons act on.
func requestOf(c bot.Card) string {
	for _, act := range c.Actions {
		if act.RequestID != "" {
			return act.RequestID
		}
	}
	return ""
}

// channelOf is the channel of a thread's conversation id.
func channelOf(conv string) string {
	root, _, _ := strings.Cut(conv, ";messageid=")
	return root
}
