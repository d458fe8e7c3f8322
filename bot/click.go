package bot

import (
	"context"
	"errors"

	"github.com/rs/zerolog"
)

// Click is a button press as an adapter read it: which button, on which
// request, by whom. The adapter knows nothing of what the button does.
type Click struct {
	Action    ActionID
	RequestID string
	Actor     Actor // bare: completed through People where a decision needs it
	// Where is the conversation the click came from, for sentences told to
	// the clicker after the ack.
	Where string
	// Show displays a card to the clicker alone, at once, in a window that
	// does not stay in the chat history (Slack: a modal on the click's
	// trigger). Reveal needs it; it may be nil for platforms without one.
	Show func(ctx context.Context, c Card) error
}

// Answer is what the adapter does for the clicker before it acknowledges
// the click. The zero Answer: nothing to show.
type Answer struct {
	// Form is opened for the clicker now (a reason before a denial): a
	// platform's trigger for opening one lasts seconds.
	Form *Form
	// Tell is a sentence for the clicker alone.
	Tell string
}

// Click answers a button press. Decisions that run a reset are jobs that
// run after the ack (their outcome reaches the clicker through the
// Notifier); Deny first asks for a reason; Reveal shows the password with
// c.Show, once. Who may do what is checked by the calls behind each button.
func (s *Service) Click(ctx context.Context, c Click) Answer {
	switch c.Action {
	case ActionApprove, ActionRetry:
		return s.enqueue(ctx, Job{Action: c.Action, RequestID: c.RequestID, Actor: c.Actor, Where: c.Where})
	case ActionDeny:
		// Ask for a reason only from someone who may deny now; Deny itself
		// checks again when the reason comes back.
		if err := s.CanDecide(ctx, c.RequestID, s.complete(ctx, c.Actor)); err != nil {
			s.clickLog(c.Actor, c.Action, c.RequestID).Info().Err(err).Msg("deny refused before the reason was asked")
			return Answer{Tell: UserSentence(err)}
		}
		f := DenyForm(c.RequestID)
		return Answer{Form: &f}
	case ActionVerifyEmail, ActionVerifyFacts, ActionVerifySMS, ActionVerifyConfirm:
		return s.clickVerify(ctx, c)
	case ActionConfirmYes, ActionConfirmNo:
		return s.clickConfirm(ctx, c)
	case ActionReveal:
		if c.Show == nil {
			return Answer{Tell: "The password cannot be shown here. Press Reveal in your private message from unlockbot."}
		}
		if err := s.Reveal(ctx, c.RequestID, c.Actor, c.Show); err != nil {
			s.clickLog(c.Actor, c.Action, c.RequestID).Info().Err(err).Str("kind", string(KindOf(err))).Msg("password not revealed")
			return Answer{Tell: UserSentence(err)}
		}
	}
	return Answer{}
}

// enqueue hands a decision to the job runner; if the runner refuses it,
// the clicker is told to click again.
func (s *Service) enqueue(ctx context.Context, j Job) Answer {
	if err := s.jobs.Enqueue(ctx, j); err != nil {
		s.clickLog(j.Actor, j.Action, j.RequestID).Error().Err(err).Msg("could not queue the click")
		return Answer{Tell: "unlockbot is busy and did not take your click. Click again in a minute."}
	}
	return Answer{}
}

// RunJob carries out a job: the decision the click asked for, by the
// clicker as their platform knows them now. A refusal or failure is told
// to the clicker, where they clicked.
func (s *Service) RunJob(ctx context.Context, j Job) {
	var err error
	who := s.complete(ctx, j.Actor)
	switch j.Action {
	case ActionApprove:
		_, err = s.Approve(ctx, j.RequestID, who)
	case ActionRetry:
		_, err = s.Retry(ctx, j.RequestID, who)
	case ActionDeny:
		_, err = s.Deny(ctx, j.RequestID, who, j.Reason)
	default:
		s.log.Warn().Str("action", string(j.Action)).Msg("job with an unknown action dropped")
		return
	}
	if j.Delivery > 1 && KindOf(err) == KindConflict {
		err = s.redelivered(ctx, j, who, err)
	}
	if errors.Is(err, ErrStopped) {
		return // handed back at shutdown: the reset is not over, nobody is told
	}
	if err != nil {
		s.clickLog(j.Actor, j.Action, j.RequestID).Info().Err(err).Str("kind", string(KindOf(err))).Msg("click did not go through")
		s.whisper(ctx, j.Actor, j.Where, UserSentence(err))
	}
}

func (s *Service) clickLog(a Actor, action ActionID, id string) *zerolog.Logger {
	l := s.log.With().Str("actor", a.Key()).Str("action", string(action)).Str("request", id).Logger()
	return &l
}

// UserSentence is what a chat user reads for err: its safe sentence, or,
// for a deadline, what to do about it. Never the error chain. Adapters
// use it for their own errors too (a form that would not open).
func UserSentence(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "That took too long. Try again in a minute."
	}
	return SafeMessage(err)
}
