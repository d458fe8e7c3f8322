package bot

import "context"

// Notifier is all the flow needs from a chat platform. An adapter implements
// it; the flow picks the one registered for the request's platform.
type Notifier interface {
	// PostApproval posts the approval card to a channel and returns where it
	// landed; the thread under it carries progress.
	PostApproval(ctx context.Context, channel string, c Card) (MessageRef, error)
	// UpdateApproval replaces the approval card (buttons gone, outcome shown).
	UpdateApproval(ctx context.Context, ref MessageRef, c Card) error
	// ReplyInThread posts under the approval card.
	ReplyInThread(ctx context.Context, ref MessageRef, c Card) error
	// Notify tells one person privately (a DM, an ephemeral message).
	Notify(ctx context.Context, to Actor, c Card) error
	// Whisper tells one person a sentence where they are (where: the
	// conversation they clicked in; empty: privately), visible to them
	// alone: why their click did not go through.
	Whisper(ctx context.Context, where string, to Actor, text string) error
}
