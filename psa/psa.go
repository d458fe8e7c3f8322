// Package psa holds the ticketing nouns and the one interface the reset flow
// needs from a PSA (ConnectWise, Kaseya BMS, Freshdesk, SuperOps, or the
// built-in local tickets). Implementations live one level down.
package psa

import (
	"context"
	"errors"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// Ticket is the part of a PSA ticket the flow shows and checks.
type Ticket struct {
	ID        string    `json:"id"`
	Number    string    `json:"number,omitempty"` // human-facing number when it differs from ID
	Summary   string    `json:"summary"`
	Status    string    `json:"status"`
	CompanyID string    `json:"company_id"` // the PSA's id of the client organization
	Closed    bool      `json:"closed"`
	Updated   time.Time `json:"updated"`
}

// NewTicket is what the flow asks a PSA to create. IdempotencyKey is the
// request id: an implementation must not create a second ticket for the same
// key (retries after a crash between "created" and "recorded").
type NewTicket struct {
	CompanyID      string
	Summary        string
	Description    string
	IdempotencyKey string
	// ContactEmail is the account's e-mail from the directory; a PSA that
	// finds a contact of the company with it makes them the ticket's
	// contact (requester), and goes without one otherwise.
	ContactEmail string
}

// Note is added to a ticket. Password, when set, is appended by the
// implementation at the last moment and only to an internal note; Text never
// holds a secret.
type Note struct {
	Text     string
	Internal bool
	Password identity.Secret
	// IdempotencyKey lets an implementation skip a note it already added.
	IdempotencyKey string
}

// Tickets is one organization's PSA.
type Tickets interface {
	// ListOpen lists open tickets of the company, newest first, whose
	// summary or number contains query (case-insensitive), at most limit.
	ListOpen(ctx context.Context, companyID, query string, limit int) ([]Ticket, error)
	Get(ctx context.Context, id string) (Ticket, error)
	Create(ctx context.Context, t NewTicket) (Ticket, error)
	AddNote(ctx context.Context, ticketID string, n Note) error
	Resolve(ctx context.Context, ticketID, comment string) error
	// FindCreated returns the ticket an earlier Create made with this
	// idempotency key, if any. The reset service asks before repeating a
	// create whose worker died between the call and its record.
	FindCreated(ctx context.Context, companyID, key string) (Ticket, bool, error)
	// HasNote reports whether the ticket already carries a note added with
	// this idempotency key (the same question, for AddNote).
	HasNote(ctx context.Context, ticketID, key string) (bool, error)
	Health(ctx context.Context) error
}

// Finisher is a ticket system that adds a ticket's closing note and
// resolves it in one change (the local tickets: one write of the ticket
// record instead of two). The reset service uses it for a ticket it made
// itself; a ticket system without it gets AddNote, then Resolve. Like
// AddNote it keeps the note's idempotency key, so HasNote answers for
// both: a note found means the ticket was resolved with it.
type Finisher interface {
	NoteAndResolve(ctx context.Context, ticketID string, n Note, comment string) error
}

var (
	ErrNotFound = errors.New("ticket not found")
	// ErrSecretInPublicNote guards the rule that a password only ever goes
	// into an internal note.
	ErrSecretInPublicNote = errors.New("a password may only be added to an internal note")
)
