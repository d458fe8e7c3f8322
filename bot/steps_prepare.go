package bot

import (
	"context"

	"github.com/unlockbot/unlockbot/identity"
)

// prepared is what a try needs from the store before it writes: the
// account's daily limit taken, the password loaded or generated and
// sealed, and whether this request already unlocked the account once (a
// replayed record).
type prepared struct {
	pw                  identity.Secret
	limitErr, pwErr     error
	replayed            bool
	replayErr           error
	replayAsked, needPw bool
}

// prepare asks the store for the three at once: each is one round trip,
// none depends on another, and none changes anything a refusal would have
// to undo (the limit's entry is this request's own and counts once
// however often it is taken; a sealed password is dropped or expires with
// a request that ends without it). Their answers are then taken in the
// order a try checks them: limit, password, replay. The limit is recorded
// with the write's intent rather than by a save of its own (see once).
//
// prepareSoon asks them while the caller reads the account again (run):
// none depends on the account's state, only on the request. A try the
// read refuses has then taken its place under the daily limit, as a try
// refused later does: the count errs towards fewer resets, never more.
// join waits for the answers and runs the step's test hook (on the
// caller's goroutine, where a hook may stop the worker). created says r is
// the copy this call created a moment ago (an automatic approval), which
// no replayed record can be: the replay is not asked about.
func (s *Service) prepareSoon(ctx context.Context, o *Org, r *Request, created bool) (join func() (prepared, error)) {
	var p prepared
	var err error
	done := make(chan struct{})
	go func() { defer close(done); p, err = s.prepare(ctx, o, r, created) }()
	return func() (prepared, error) {
		<-done
		if err == nil && s.afterStep != nil {
			err = s.afterStep("reserve")
		}
		return p, err
	}
}

func (s *Service) prepare(ctx context.Context, o *Org, r *Request, created bool) (prepared, error) {
	var p prepared
	if err := checkStop(ctx); err != nil {
		return p, err
	}
	p.needPw, p.replayAsked = needsPassword(r), !created && !writeDone(r) && !r.Steps.WriteIntent
	done := make(chan struct{}, 2)
	if p.needPw {
		go func() { p.pw, p.pwErr = s.password(ctx, o, r); done <- struct{}{} }()
	}
	if p.replayAsked {
		go func() { p.replayed, p.replayErr = s.alreadyUnlocked(ctx, o, r); done <- struct{}{} }()
	}
	if !r.Steps.Reserved {
		p.limitErr = s.reserve(ctx, o, r)
	}
	for range btoi(p.needPw) + btoi(p.replayAsked) {
		<-done
	}
	if p.limitErr != nil {
		return p, p.limitErr
	}
	r.Steps.Reserved = true
	if p.pwErr != nil {
		return p, p.pwErr
	}
	if p.needPw {
		// Recorded with the next save (the write's intent), as the limit:
		// a try that stops before it generates again, and storePassword
		// hands back the one already sealed.
		r.Steps.PasswordReady = true
	}
	return p, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
