package bot

import "fmt"

// ticketSentence says what became of the ticket: done, pending (and that
// unlockbot keeps trying), or given up (and what to do by hand).
func ticketSentence(o *Org, r *Request) string {
	switch {
	case r.Steps.TicketGaveUp:
		return fmt.Sprintf("The ticket was not updated: %s unlockbot stopped trying; add the note in %s's ticket system by hand.", r.Steps.TicketError, o.Name)
	case r.Steps.TicketPending:
		return fmt.Sprintf("Ticket update pending: %s unlockbot keeps trying and says so in this thread.", r.Steps.TicketError)
	case r.Steps.TicketCreated:
		return fmt.Sprintf("Ticket #%s created and resolved.", r.Steps.TicketID)
	}
	return fmt.Sprintf("Internal note added to ticket #%s.", r.Steps.TicketID)
}

// ticketLateCard is the thread's news that a pending ticket update went
// through.
func ticketLateCard(o *Org, r *Request) Card {
	t := ticketSentence(o, r)
	if r.Steps.NotePasswordLost {
		t += " The new password is not in the note: unlockbot no longer held it."
	}
	return Card{Title: "Ticket updated", Text: t, Tone: ToneGood, Footer: "Request " + r.ID}
}

// ticketGaveUpCard is the thread's (and the requester's) news that the
// ticket update was given up; the reset itself stands.
func ticketGaveUpCard(r *Request) Card {
	return Card{Title: "Ticket not updated", Text: fmt.Sprintf("The reset of %s is done, but unlockbot gave up updating the ticket: %s Add the note in the ticket system by hand.",
		r.Account.Label(), r.Steps.TicketError), Tone: ToneWarning, Footer: "Request " + r.ID}
}
