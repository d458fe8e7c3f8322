package kaseyabms

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/unlockbot/unlockbot/psa"
)

func noteMarker(key string) string { return "[unlockbot note " + key + "]" }

// noteInput is TicketNotePostInputDto. IsInternal has no omitempty: it is
// required, and false must be said. EmailNotification is left out, so BMS
// e-mails nobody about the note (the field only lists who to notify).
type noteInput struct {
	Details    string `json:"Details"`
	IsInternal bool   `json:"IsInternal"`
	NoteDate   string `json:"NoteDate"`
	TypeID     int    `json:"TypeId"`
}

// AddNote implements psa.Tickets. The password is appended here, last, and
// only to an internal note; every error and log line of the call is
// scrubbed of it.
func (c *Client) AddNote(ctx context.Context, ticketID string, n psa.Note) error {
	if !n.Password.IsZero() && !n.Internal {
		return psa.ErrSecretInPublicNote
	}
	id, err := ticketIDOf(ticketID)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(n.Text)
	if n.IdempotencyKey != "" {
		text = strings.TrimSpace(text + "\n\n" + noteMarker(n.IdempotencyKey))
	}
	secret := ""
	if !n.Password.IsZero() {
		secret = n.Password.Reveal()
		text += "\nNew password: " + secret
	}
	if text == "" {
		return errors.New("kaseyabms.AddNote: empty note")
	}
	r := request{op: "add a note to ticket " + ticketID, method: "POST", path: "/v2/servicedesk/tickets/" + id + "/notes",
		json:   noteInput{Details: text, IsInternal: n.Internal, NoteDate: wireTime(c.cfg.Now()), TypeID: c.cfg.NoteTypeID},
		unsafe: true, scrub: secret}
	if n.IdempotencyKey != "" {
		r.recheck = func(ctx context.Context) (bool, error) { return c.HasNote(ctx, ticketID, n.IdempotencyKey) }
	}
	if err := c.call(ctx, r); err != nil && !errors.Is(err, errDone) {
		return err
	}
	return nil
}

type noteDTO struct {
	ID         int    `json:"Id"`
	Details    string `json:"Details"`
	IsInternal bool   `json:"IsInternal"`
}

// HasNote implements psa.Tickets by reading the ticket's notes (bounded).
func (c *Client) HasNote(ctx context.Context, ticketID, key string) (bool, error) {
	id, err := ticketIDOf(ticketID)
	if err != nil || key == "" {
		return false, err
	}
	m := noteMarker(key)
	const size, pages = 100, 5
	for page := 1; page <= pages; page++ {
		var rows []noteDTO
		q := url.Values{"PageSize": {strconv.Itoa(size)}, "PageNumber": {strconv.Itoa(page)}}
		err := c.call(ctx, request{op: "read the notes of ticket " + ticketID, method: "GET", path: "/v2/servicedesk/tickets/" + id + "/notes", query: q, out: &rows})
		if err != nil {
			return false, err
		}
		for _, r := range rows {
			if strings.Contains(r.Details, m) {
				return true, nil
			}
		}
		if len(rows) < size {
			break
		}
	}
	return false, nil
}

// resolveInput is ResolveTicketDto; StatusId is left to BMS when not
// configured.
type resolveInput struct {
	Comment    string `json:"Comment"`
	StatusID   int    `json:"StatusId,omitempty"`
	IsInternal bool   `json:"IsInternal"`
}

// Resolve implements psa.Tickets with BMS's own resolve call. A ticket
// found completed after a failed or lost answer counts as resolved.
func (c *Client) Resolve(ctx context.Context, ticketID, comment string) error {
	id, err := ticketIDOf(ticketID)
	if err != nil {
		return err
	}
	if strings.TrimSpace(comment) == "" {
		comment = "Resolved by unlockbot."
	}
	closed := func(ctx context.Context) (bool, error) {
		d, err := c.get(ctx, ticketID)
		return err == nil && !d.CompletedDate.IsZero(), err
	}
	err = c.call(ctx, request{op: "resolve ticket " + ticketID, method: "POST", path: "/v2/servicedesk/tickets/" + id + "/resolve",
		json: resolveInput{Comment: comment, StatusID: c.cfg.ResolveStatusID, IsInternal: true}, unsafe: true, recheck: closed})
	if err == nil || errors.Is(err, errDone) {
		return nil
	}
	if !errors.Is(err, psa.ErrNotFound) {
		if done, cerr := closed(ctx); cerr == nil && done {
			return nil // already resolved: BMS refuses to resolve twice
		}
	}
	return err
}

func ticketIDOf(id string) (string, error) {
	n, err := ticketID(id)
	if err != nil {
		return "", err
	}
	return strconv.Itoa(n), nil
}
