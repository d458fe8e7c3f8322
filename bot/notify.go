package bot

import (
	"context"

	"github.com/unlockbot/unlockbot/audit"
)

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

// notifyDone updates the card, confirms in the thread and tells the
// requester, then records that it did (the sweeper finishes the job for a
// worker that died between "done" and here).
func (s *Service) notifyDone(ctx context.Context, o *Org, r *Request) {
	s.updateCard(ctx, r)
	thread := s.thread(ctx, r, doneCard(o, r))
	private := s.tell(ctx, r, r.Requester, privateDoneCard(o, r))
	s.notifyOwner(ctx, o, r)
	r.Steps.Notified = true
	_ = s.repo.save(ctx, r)
	outcome := audit.OK
	if thread == "failed" || private == "failed" {
		outcome = audit.Failed
	}
	_ = s.recordAfter(ctx, "request.delivered", outcome, r, "system", map[string]string{"thread": thread, "requester": private})
}

func (s *Service) updateCard(ctx context.Context, r *Request) {
	n := s.notifier(r)
	if n == nil || r.ApprovalMsg == nil {
		return
	}
	o := s.orgs[r.OrgID]
	if err := n.UpdateApproval(ctx, *r.ApprovalMsg, approvalCard(o, r)); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("could not update the approval message")
	}
}

// thread and tell say what became of the message, for the delivered
// event: "sent", "failed", or "none" where there is nowhere to send it.
func (s *Service) thread(ctx context.Context, r *Request, c Card) string {
	n := s.notifier(r)
	if n == nil || r.ApprovalMsg == nil {
		return "none"
	}
	if err := n.ReplyInThread(ctx, *r.ApprovalMsg, c); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("could not reply in the thread")
		return "failed"
	}
	return "sent"
}

func (s *Service) tell(ctx context.Context, r *Request, to Actor, c Card) string {
	n := s.notifier(r)
	if n == nil {
		return "none"
	}
	if err := n.Notify(ctx, to, c); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("could not notify privately")
		return "failed"
	}
	return "sent"
}

// whisper tells one person a sentence where they are.
func (s *Service) whisper(ctx context.Context, to Actor, where, text string) {
	n := s.notifiers[to.Platform]
	if n == nil {
		return
	}
	if err := n.Whisper(ctx, where, to, text); err != nil {
		s.log.Warn().Err(err).Str("actor", to.Key()).Msg("could not tell the clicker")
	}
}
