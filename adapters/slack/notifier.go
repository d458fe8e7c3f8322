package slack

import (
	"context"
	"net/url"

	"github.com/slack-go/slack"

	"github.com/unlockbot/unlockbot/bot"
)

// message is the JSON body of chat.postMessage / chat.update /
// chat.postEphemeral.
type message struct {
	Channel     string        `json:"channel"`
	TS          string        `json:"ts,omitempty"`
	ThreadTS    string        `json:"thread_ts,omitempty"`
	User        string        `json:"user,omitempty"`
	Text        string        `json:"text"`
	Blocks      []slack.Block `json:"blocks,omitempty"`
	UnfurlLinks bool          `json:"unfurl_links"`
}

type postAnswer struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// post posts a message and waits for where it landed.
func (a *Adapter) post(ctx context.Context, m message) (bot.MessageRef, error) {
	var out postAnswer
	if err := a.send(ctx, "chat.postMessage", m, &out); err != nil {
		return bot.MessageRef{}, err
	}
	return bot.MessageRef{Channel: out.Channel, ID: out.TS}, nil
}

// postDetached posts a message nobody needs the ts of (pace.go: it may be
// delivered after the caller has gone on).
func (a *Adapter) postDetached(ctx context.Context, m message) error {
	return a.send(ctx, "chat.postMessage", m, nil)
}

// PostApproval implements bot.Notifier. The reference carries a link to
// the card's thread in Slack's client, for the ticket note.
func (a *Adapter) PostApproval(ctx context.Context, channel string, c bot.Card) (bot.MessageRef, error) {
	ref, err := a.post(ctx, message{Channel: channel, Text: fallback(c), Blocks: renderCard(c)})
	if err == nil {
		ref.Link = "https://app.slack.com/client/" + url.PathEscape(a.ws.team) + "/" + url.PathEscape(ref.Channel) + "/thread/" + url.PathEscape(ref.Channel+"-"+ref.ID)
	}
	return ref, err
}

// UpdateApproval implements bot.Notifier. A card without actions replaces
// the buttons, so nobody can click a decided request (the service refuses
// such clicks anyway).
func (a *Adapter) UpdateApproval(ctx context.Context, ref bot.MessageRef, c bot.Card) error {
	m := message{Channel: ref.Channel, TS: ref.ID, Text: fallback(c), Blocks: renderCard(c)}
	return a.send(ctx, "chat.update", m, nil)
}

// ReplyInThread implements bot.Notifier. It waits until Slack took the
// reply (or the caller's deadline withdrew it): the flow records a
// confirmation as sent only then, and a message held in this process's
// queue would be lost with the process.
func (a *Adapter) ReplyInThread(ctx context.Context, ref bot.MessageRef, c bot.Card) error {
	_, err := a.post(ctx, message{Channel: ref.Channel, ThreadTS: ref.ID, Text: fallback(c), Blocks: renderCard(c)})
	return err
}

// Notify implements bot.Notifier with a direct message from the app
// (chat.postMessage to a user id opens the DM; scope im:write).
func (a *Adapter) Notify(ctx context.Context, to bot.Actor, c bot.Card) error {
	if to.Platform != Platform {
		return nil // not ours to tell
	}
	_, err := a.post(ctx, message{Channel: to.ID, Text: fallback(c), Blocks: renderCard(c)})
	return err // waits, as ReplyInThread does
}

// Whisper implements bot.Notifier: an ephemeral message in the channel
// the person clicked in, or a DM from the app when no channel is known.
func (a *Adapter) Whisper(ctx context.Context, channel string, to bot.Actor, text string) error {
	if to.Platform != Platform {
		return nil // not ours to tell
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(esc(text), maxSectionText), nil, nil)}
	if channel == "" {
		return a.postDetached(ctx, message{Channel: to.ID, Text: esc(text), Blocks: blocks})
	}
	m := message{Channel: channel, User: to.ID, Text: esc(text), Blocks: blocks}
	return a.send(ctx, "chat.postEphemeral", m, nil)
}

// openView calls views.open.
func (a *Adapter) openView(ctx context.Context, triggerID string, v slack.ModalViewRequest) error {
	_, err := a.openViewRef(ctx, triggerID, v)
	return err
}

// viewRef is an open modal: its id and the hash that makes an update fail
// if the view changed since (the person picked something else meanwhile).
type viewRef struct {
	ID   string `json:"id"`
	Hash string `json:"hash"`
}

// openViewRef calls views.open and returns where the modal is.
func (a *Adapter) openViewRef(ctx context.Context, triggerID string, v slack.ModalViewRequest) (viewRef, error) {
	body := struct {
		TriggerID string                 `json:"trigger_id"`
		View      slack.ModalViewRequest `json:"view"`
	}{triggerID, v}
	var out struct {
		View viewRef `json:"view"`
	}
	err := a.api.callJSON(ctx, "views.open", "", body, &out)
	return out.View, err
}

// updateView calls views.update, guarded by the view's hash.
func (a *Adapter) updateView(ctx context.Context, ref viewRef, v slack.ModalViewRequest) error {
	body := struct {
		ViewID string                 `json:"view_id"`
		Hash   string                 `json:"hash,omitempty"`
		View   slack.ModalViewRequest `json:"view"`
	}{ref.ID, ref.Hash, v}
	return a.api.callJSON(ctx, "views.update", "", body, nil)
}
