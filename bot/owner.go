package bot

import (
	"context"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// The owner notice: after every unlock or reset the account's owner (and,
// where the org wants it, their manager) is told what happened, by whom and
// when, and whom to call if they did not ask for it. A technician talked
// into resetting someone else's account is found out by the one person who
// knows: the owner. It goes out whatever the requester chose, to addresses
// the directory holds (never one typed in the form), and never carries the
// password.

// Mail is one plain-text e-mail. The mailer adds From, Date, Message-ID and
// the MIME headers; a header value holding a line break is refused there.
type Mail struct {
	To      []string
	Subject string
	Text    string // UTF-8, lines separated by "\n"
}

// Mailer sends e-mail (bot/mailer over SMTP with STARTTLS). Send returns
// once the submission server accepted the message.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// PersonFinder is optional on a Notifier: it finds the chat user who holds
// a directory e-mail address (Slack users.lookupByEmail), so the owner can
// get a DM. found is false when nobody on the platform has it.
type PersonFinder interface {
	FindByEmail(ctx context.Context, email string) (a Actor, found bool, err error)
}

// OwnerNotice is an org's policy.notify_owner.
type OwnerNotice struct {
	Chat    bool // a DM on the request's platform, found by the directory's mail/UPN
	Email   bool // an e-mail to the directory's mail
	Manager bool // the same to the manager the directory names
	// Contact ends the message: what to do if it was not them ("call the
	// service desk at +1 555 0100").
	Contact string
}

// On reports whether anyone is to be told.
func (p OwnerNotice) On() bool { return p.Chat || p.Email }

// ownerNoticeTimeout bounds the whole notice: the reset is done, and a
// mail server that hangs must not hold the worker.
const ownerNoticeTimeout = 45 * time.Second

// notifyOwner tells the owner (and manager) once: the start is saved with a
// compare-and-swap first, so of two workers finishing the same request only
// one sends; a start older than the lease without its finish is a worker
// that died mid-send, and the sweeper sends again (ownerPending). A channel
// that fails is audited as failed and does not touch the reset.
func (s *Service) notifyOwner(ctx context.Context, o *Org, r *Request) {
	p := o.Policy.NotifyOwner
	if !p.On() || r.Steps.OwnerNotified {
		return
	}
	if at := r.Steps.OwnerNoticeAt; !at.IsZero() && s.now().Sub(at) <= s.lease {
		return // another worker is sending it now
	}
	r.Steps.OwnerNoticeAt = s.now()
	if err := s.repo.save(ctx, r); err != nil {
		s.reqLog(r).Info().Err(err).Msg("owner notice: another worker has the request")
		return
	}
	send, cancel := context.WithTimeout(ctx, ownerNoticeTimeout)
	defer cancel()
	owner := contact{mail: r.Account.Mail, upn: r.Account.UPN}
	detail := map[string]string{}
	s.deliver(send, r, p, owner, ownerCard(o, r), "", detail)
	if p.Manager {
		s.deliver(send, r, p, s.manager(send, o, r), managerCard(o, r), "manager_", detail)
	}
	r.Steps.OwnerNotified = true
	if err := s.repo.save(ctx, r); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("owner notice sent but not recorded")
	}
	outcome := audit.OK
	for _, v := range detail {
		if v == "failed" {
			outcome = audit.Failed
		}
	}
	_ = s.recordAfter(ctx, "owner.notified", outcome, r, "system", detail)
}

// ownerPending: the notice was started by a worker that stopped before it
// finished (the sweeper's case).
func (s *Service) ownerPending(r *Request) bool {
	at := r.Steps.OwnerNoticeAt
	return r.State == StateDone && r.Steps.Notified && !r.Steps.OwnerNotified && !at.IsZero() && s.now().Sub(at) > s.lease
}

// contact is where a person can be reached, as the directory says.
type contact struct{ mail, upn string }

// manager reads the manager the directory names (by its ID, a DN).
func (s *Service) manager(ctx context.Context, o *Org, r *Request) contact {
	if r.Account.Manager == "" {
		return contact{}
	}
	m, err := o.Directory.Lookup(ctx, r.Account.Manager)
	if err != nil {
		s.reqLog(r).Info().Err(err).Msg("owner notice: the manager could not be read")
		return contact{}
	}
	return contact{mail: m.Mail, upn: m.UPN}
}

// deliver sends c to one person by each channel the policy enables and
// notes what became of each in detail (prefix+"chat", prefix+"email"):
// sent, failed, none (nowhere to send it) or off.
func (s *Service) deliver(ctx context.Context, r *Request, p OwnerNotice, to contact, c Card, prefix string, detail map[string]string) {
	detail[prefix+"chat"], detail[prefix+"email"] = "off", "off"
	if p.Chat {
		detail[prefix+"chat"] = s.dmByMail(ctx, r, to, c)
	}
	if p.Email {
		detail[prefix+"email"] = s.mailTo(ctx, r, to.mail, c)
	}
}

func (s *Service) dmByMail(ctx context.Context, r *Request, to contact, c Card) string {
	f, ok := s.notifier(r).(PersonFinder)
	if !ok {
		return "none"
	}
	for _, addr := range []string{to.mail, to.upn} {
		if addr == "" || (addr == to.upn && strings.EqualFold(to.upn, to.mail)) {
			continue
		}
		a, found, err := f.FindByEmail(ctx, addr)
		if err != nil {
			s.reqLog(r).Warn().Err(err).Msg("owner notice: chat user lookup failed")
			return "failed"
		}
		if !found {
			continue
		}
		if err := s.notifier(r).Notify(ctx, a, c); err != nil {
			s.reqLog(r).Warn().Err(err).Msg("owner notice: DM failed")
			return "failed"
		}
		return "sent"
	}
	return "none"
}

func (s *Service) mailTo(ctx context.Context, r *Request, addr string, c Card) string {
	if addr == "" || s.mailer == nil {
		return "none"
	}
	if err := s.mailer.Send(ctx, Mail{To: []string{addr}, Subject: c.Title, Text: c.Text + "\n\n" + c.Footer + "\n"}); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("owner notice: e-mail failed")
		return "failed"
	}
	return "sent"
}
