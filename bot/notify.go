package bot

import (
	"context"
	"sync"
	"time"

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

// notifyTries is how many times the confirmations are attempted (the
// first by the worker, then by the sweeper each lease) before unlockbot
// gives up on one that never goes out; notifyWait bounds each message's
// wait for its channel's pace, so a storm's backlog hands the rest to the
// sweeper instead of holding the worker.
const (
	notifyTries = 5
	notifyWait  = 30 * time.Second
	// notifyLease covers both waits and the owner notice.
	notifyLease = 2*notifyWait + ownerNoticeTimeout + 15*time.Second
)

// notifyDone updates the card, confirms in the thread and tells the
// requester. Each confirmation is recorded as soon as the platform took
// it, and only then: one a worker died before sending, or that the
// platform did not take, is sent by the sweeper later, and one already
// sent is never sent again (at most one duplicate, for a worker killed
// between the platform's answer and the record).
func (s *Service) notifyDone(ctx context.Context, o *Org, r *Request) {
	if s.now().Before(r.Steps.NotifyUntil) {
		return // another worker is sending them
	}
	r.Steps.NotifyUntil = s.now().Add(notifyLease)
	if s.repo.save(ctx, r) != nil {
		return // another worker has the request
	}
	s.sendDone(ctx, o, r)
}

// sendDone sends the confirmations under the lease r.Steps.NotifyUntil,
// which the caller saved. The thread's confirmation and the requester's
// message go out side by side (each waits on its own platform call and
// pace, so a busy approval channel does not hold the DM back), and each
// is recorded as soon as the platform took it, and only then: a worker
// killed between an answer and its record sends that one again (at most
// one duplicate), so the record must not wait for the other message. One
// that had nowhere to go ("none": no thread, no chat for a terminal's
// request) has nothing a crash could send twice and rides with the next
// save.
//
// The last message to go out is recorded by the save that follows at once
// (the owner notice's start, or the one that ends the confirmations): a
// crash between it and that save sends it again, as for any other
// message.
func (s *Service) sendDone(ctx context.Context, o *Org, r *Request) {
	s.updateCard(ctx, r)
	thread, private := "sent", "sent"
	var mu sync.Mutex // one save of r at a time
	lost := false     // another worker has the request
	pending := btoi(!r.Steps.ThreadSent) + btoi(!r.Steps.PrivateSent)
	took := func(sent *bool, outcome string) {
		mu.Lock()
		defer mu.Unlock()
		pending--
		if outcome == "failed" {
			return
		}
		*sent = true
		last := pending == 0
		if outcome == "sent" && !lost && !last && s.repo.save(ctx, r) != nil {
			lost = true
		}
	}
	var wg sync.WaitGroup
	if !r.Steps.ThreadSent {
		c := doneCard(o, r)
		wg.Go(func() {
			thread = s.within(ctx, func(ctx context.Context) string { return s.thread(ctx, r, c) })
			took(&r.Steps.ThreadSent, thread)
		})
	}
	if !r.Steps.PrivateSent {
		c := privateDoneCard(o, r)
		wg.Go(func() {
			private = s.within(ctx, func(ctx context.Context) string { return s.tell(ctx, r, r.Requester, c) })
			took(&r.Steps.PrivateSent, private)
		})
	}
	wg.Wait()
	if lost {
		return
	}
	s.notifyOwner(ctx, o, r)
	r.Steps.NotifyTries++
	missing := !r.Steps.ThreadSent || !r.Steps.PrivateSent
	r.Steps.NotifyUntil = time.Time{} // done with it: the sweeper may retry what is missing
	if missing && r.Steps.NotifyTries < notifyTries {
		_ = s.repo.save(ctx, r) // the sweeper tries again after the lease
		return
	}
	r.Steps.Notified = true
	if s.repo.save(ctx, r) != nil {
		return // another worker has the request (or the store failed): it is not ours to record
	}
	outcome := audit.OK
	if missing {
		outcome = audit.Failed
	}
	_ = s.recordAfter(ctx, "request.delivered", outcome, r, "system", map[string]string{"thread": thread, "requester": private})
}

// within runs send with at most notifyWait of ctx.
func (s *Service) within(ctx context.Context, send func(context.Context) string) string {
	ctx, cancel := context.WithTimeout(ctx, notifyWait)
	defer cancel()
	return send(ctx)
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
