package bot

import (
	"context"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// ticket creates the ticket when the technician picked none. The create
// records its intent first, unless no worker can have made it before
// (onceKeyed); a worker taking over asks the PSA for the ticket made with
// this request's key before creating another. ahead, when not nil, is the
// create ticketSoon started: its answer is taken instead of a create.
func (s *Service) ticket(ctx context.Context, o *Org, r *Request, ahead func() (psa.Ticket, error)) error {
	if r.Steps.TicketID == "" && r.TicketID != "" {
		r.Steps.TicketID = r.TicketID // an existing ticket: nothing to create, nothing to save yet
		return s.stepped("ticket")
	}
	var made psa.Ticket
	happened := func() (bool, error) {
		t, found, err := o.Tickets.FindCreated(ctx, o.PSACompanyID, r.ID)
		if err != nil {
			return false, psaFailed(errorf("bot.ticket", KindUnavailable, err, "%s's ticket system did not answer: %s", o.Name, SafeMessage(err)))
		}
		made = t
		return found, nil
	}
	do := func() error {
		var t psa.Ticket
		var err error
		if ahead != nil {
			t, err = ahead()
		} else {
			t, err = o.Tickets.Create(ctx, s.newTicket(o, r))
		}
		if err != nil {
			return psaFailed(errorf("bot.ticket", KindUnavailable, err, "The ticket could not be created in %s's ticket system: %s", o.Name, SafeMessage(err)))
		}
		made = t
		return nil
	}
	record := func(recovered bool) error {
		r.Steps.TicketID, r.Steps.TicketCreated = made.ID, true
		return s.recordAfter(ctx, "ticket.created", audit.OK, r, "system", recoveredDetail(recovered, map[string]string{"ticket": made.ID}))
	}
	return s.onceKeyed(ctx, r, "ticket", &r.Steps.TicketIntent, r.Steps.TicketID != "", happened, do, record)
}

// ticketSoon starts the ticket's create while the caller reads the account
// back (run), when the ticket step would run it with no save before it
// (onceKeyed): the write is done, so the ticket is owed whatever the
// read-back finds, and its description (the outcome) is known. The
// returned join waits for the PSA's answer, which the ticket step takes
// on the caller's goroutine (the hooks between an effect and its record
// run there); nil when the ticket step is to run the usual way.
func (s *Service) ticketSoon(ctx context.Context, o *Org, r *Request) (join func() (psa.Ticket, error)) {
	if r.Steps.TicketID != "" || r.TicketID != "" || r.Steps.TicketIntent || !r.firstTry || !s.leaseFresh(r) {
		return nil
	}
	nt := s.newTicket(o, r)
	var t psa.Ticket
	var err error
	done := make(chan struct{})
	go func() { defer close(done); t, err = o.Tickets.Create(ctx, nt) }()
	return func() (psa.Ticket, error) { <-done; return t, err }
}

// newTicket is the ticket a request without one gets, keyed by the
// request so a worker taking over finds it (FindCreated).
func (s *Service) newTicket(o *Org, r *Request) psa.NewTicket {
	return psa.NewTicket{
		CompanyID:      o.PSACompanyID,
		Summary:        Truncate(ticketSummary(r), 100),
		Description:    ticketDescription(r, s.now()),
		IdempotencyKey: r.ID,
		ContactEmail:   r.Account.Mail,
	}
}

// note adds the internal note; a worker taking over asks whether the
// ticket already carries it (by this request's key) before adding it. On
// a ticket this request made, a ticket system that can (psa.Finisher)
// resolves it in the same change: a note found then means the resolution
// is there too.
func (s *Service) note(ctx context.Context, o *Org, r *Request, pw identity.Secret) error {
	finish, _ := o.Tickets.(psa.Finisher)
	closing := finish != nil && r.Steps.TicketCreated && !r.Steps.TicketResolved
	key := r.ID + ":note"
	happened := func() (bool, error) {
		has, err := o.Tickets.HasNote(ctx, r.Steps.TicketID, key)
		if err != nil {
			return false, psaFailed(errorf("bot.note", KindUnavailable, err, "%s's ticket system did not answer: %s", o.Name, SafeMessage(err)))
		}
		return has, nil
	}
	do := func() error {
		if err := s.stillOurs(ctx, o, r); err != nil {
			return err
		}
		n := psa.Note{Text: ticketText(r, s.now()), Internal: true, IdempotencyKey: key}
		if r.NoteToPSA && r.setsPassword() {
			n.Password = pw
		}
		var err error
		if closing {
			err = finish.NoteAndResolve(ctx, r.Steps.TicketID, n, resolution(r))
		} else {
			err = o.Tickets.AddNote(ctx, r.Steps.TicketID, n)
		}
		if err != nil {
			return psaFailed(errorf("bot.note", KindUnavailable, err, "The note could not be added to ticket %s: %s", r.Steps.TicketID, SafeMessage(err)))
		}
		return nil
	}
	record := func(recovered bool) error {
		r.Steps.TicketNoted = true
		if err := s.recordAfter(ctx, "ticket.noted", audit.OK, r, "system", recoveredDetail(recovered, map[string]string{
			"ticket": r.Steps.TicketID, "internal": "true", "with_password": boolStr(r.NoteToPSA && r.setsPassword())})); err != nil || !closing || recovered {
			return err // a note found is left to the resolve step, which finds a resolved ticket as it is
		}
		r.Steps.TicketResolved = true
		return s.recordAfter(ctx, "ticket.resolved", audit.OK, r, "system", map[string]string{"ticket": r.Steps.TicketID})
	}
	return s.onceKeyed(ctx, r, "note", &r.Steps.NoteIntent, r.Steps.TicketNoted, happened, do, record)
}

func (s *Service) resolve(ctx context.Context, o *Org, r *Request) error {
	if !r.Steps.TicketCreated {
		return nil // an existing ticket stays as the technician left it
	}
	if err := o.Tickets.Resolve(ctx, r.Steps.TicketID, resolution(r)); err != nil {
		return psaFailed(errorf("bot.resolve", KindUnavailable, err, "Ticket %s could not be resolved: %s", r.Steps.TicketID, SafeMessage(err)))
	}
	return s.recordAfter(ctx, "ticket.resolved", audit.OK, r, "system", map[string]string{"ticket": r.Steps.TicketID})
}

// resolution is the comment a ticket this request made is resolved with.
func resolution(r *Request) string { return "Resolved by unlockbot: " + r.Outcome() + "." }

func recoveredDetail(recovered bool, d map[string]string) map[string]string {
	if recovered {
		d["recovered"] = "true"
	}
	return d
}

// stillOurs checks, right before the note, that a ticket the technician
// picked still belongs to the org's company: it was checked at submit, but
// a ticket can be moved while the request waits for approval, and the note
// may carry the password.
func (s *Service) stillOurs(ctx context.Context, o *Org, r *Request) error {
	if r.Steps.TicketCreated {
		return nil
	}
	t, err := o.Tickets.Get(ctx, r.Steps.TicketID)
	if err != nil {
		return psaFailed(errorf("bot.note", KindUnavailable, err, "%s's ticket system did not answer: %s", o.Name, SafeMessage(err)))
	}
	if t.CompanyID != o.PSACompanyID {
		return &psaFailure{final: true, err: errorf("bot.note", KindForbidden, nil,
			"Ticket #%s no longer belongs to %s, so unlockbot added no note to it.", r.Steps.TicketID, o.Name)}
	}
	return nil
}
