package superops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/psa"
)

// AddNote implements psa.Tickets. Internal notes are privacyType PRIVATE
// (technicians only; SuperOps sends requesters nothing for them); the
// password is appended here, at the last moment, and only to those.
func (c *Client) AddNote(ctx context.Context, ticketID string, n psa.Note) error {
	if !n.Password.IsZero() && !n.Internal {
		return psa.ErrSecretInPublicNote
	}
	if n.IdempotencyKey != "" {
		if ok, err := c.HasNote(ctx, ticketID, n.IdempotencyKey); err != nil || ok {
			return err
		}
	}
	privacy := "PUBLIC"
	if n.Internal {
		privacy = "PRIVATE"
	}
	var b strings.Builder
	b.WriteString(n.Text)
	if !n.Password.IsZero() {
		b.WriteString("\n\nNew password: ")
		b.WriteString(n.Password.Reveal())
	}
	if n.IdempotencyKey != "" {
		b.WriteString("\n\n")
		b.WriteString(marker(n.IdempotencyKey))
	}
	return c.createNote(ctx, ticketID, b.String(), privacy, n.IdempotencyKey)
}

// createNote posts a note; after a lost answer it checks for the note by
// its key before posting again (without a key it does not retry at all).
func (c *Client) createNote(ctx context.Context, ticketID, content, privacy, key string) error {
	in := map[string]any{"ticket": map[string]any{"ticketId": ticketID}, "content": content, "privacyType": privacy}
	for attempt := 0; ; attempt++ {
		err := c.do(ctx, mutation, "createTicketNote", mCreateNote, map[string]any{"input": in}, nil)
		if err == nil {
			return nil
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.Has("entity_does_not_exist") {
			return fmt.Errorf("superops ticket %s: %w", ticketID, psa.ErrNotFound)
		}
		if !errors.Is(err, ErrMaybeDone) || key == "" || attempt >= c.cfg.MaxRetries {
			return err
		}
		if err := c.cfg.Sleep(ctx, c.jitter(time.Duration(attempt+1)*time.Second)); err != nil {
			return err
		}
		if ok, herr := c.HasNote(ctx, ticketID, key); herr != nil || ok {
			return herr
		}
	}
}

// HasNote implements psa.Tickets.
func (c *Client) HasNote(ctx context.Context, ticketID, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	var out struct {
		List []struct {
			Content string `json:"content"`
		} `json:"getTicketNoteList"`
	}
	err := c.do(ctx, read, "getTicketNoteList", qNotes, map[string]any{"input": map[string]any{"ticketId": ticketID}}, &out)
	var ae *APIError
	if errors.As(err, &ae) && ae.Has("entity_does_not_exist") {
		return false, fmt.Errorf("superops ticket %s: %w", ticketID, psa.ErrNotFound)
	}
	if err != nil {
		return false, err
	}
	want := marker(key)
	for _, n := range out.List {
		if strings.Contains(n.Content, want) {
			return true, nil
		}
	}
	return false, nil
}

// Resolve implements psa.Tickets: the comment as a private note (once),
// then the tenant's resolved status. A ticket already resolved is left.
func (c *Client) Resolve(ctx context.Context, ticketID, comment string) error {
	t, err := c.Get(ctx, ticketID)
	if err != nil {
		return err
	}
	if strings.EqualFold(t.Status, c.cfg.ResolvedStatus) {
		return nil
	}
	if strings.TrimSpace(comment) != "" {
		if err := c.AddNote(ctx, ticketID, psa.Note{Text: comment, Internal: true, IdempotencyKey: "resolve-" + ticketID}); err != nil {
			return err
		}
	}
	in := map[string]any{"ticketId": ticketID, "status": c.cfg.ResolvedStatus}
	// Setting a status twice is harmless, so a lost answer is simply retried.
	for attempt := 0; ; attempt++ {
		err := c.do(ctx, mutation, "updateTicket", mUpdateTicket, map[string]any{"input": in}, nil)
		if err == nil || !errors.Is(err, ErrMaybeDone) || attempt >= c.cfg.MaxRetries {
			return err
		}
		if err := c.cfg.Sleep(ctx, c.jitter(time.Duration(attempt+1)*time.Second)); err != nil {
			return err
		}
	}
}
