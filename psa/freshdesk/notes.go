package freshdesk

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/unlockbot/unlockbot/psa"
)

// noteMarker lets HasNote find a note an earlier AddNote made.
func noteMarker(key string) string { return "[unlockbot note " + key + "]" }

// AddNote implements psa.Tickets. The note is private exactly when
// n.Internal, and never names notify_emails (that field e-mails the agents
// listed). The password is added here, last, and only to a private note.
func (c *Client) AddNote(ctx context.Context, ticketID string, n psa.Note) error {
	const op = "freshdesk.AddNote"
	if !n.Password.IsZero() && !n.Internal {
		return psa.ErrSecretInPublicNote
	}
	id, err := parseID("ticket", ticketID)
	if err != nil {
		return fmt.Errorf("%w: %w", err, psa.ErrNotFound)
	}
	if n.IdempotencyKey != "" {
		if done, err := c.HasNote(ctx, ticketID, n.IdempotencyKey); err != nil {
			return err
		} else if done {
			return nil
		}
	}
	path := "/tickets/" + strconv.FormatInt(id, 10) + "/notes"
	for attempt := 0; ; attempt++ {
		body := map[string]any{"body": noteHTML(n), "private": n.Internal}
		_, err := c.call(ctx, request{op: op, method: http.MethodPost, path: path, body: body, unsafe: true}, nil)
		clear(body) // drop the only reference to the password's HTML
		if err == nil {
			return nil
		}
		if !ambiguous(err) || n.IdempotencyKey == "" || attempt >= c.cfg.MaxRetries {
			return notFound(err, "Freshdesk ticket "+ticketID)
		}
		if done, herr := c.HasNote(ctx, ticketID, n.IdempotencyKey); herr != nil {
			return fmt.Errorf("%s: the note got no answer and the lookup failed: %w", op, herr)
		} else if done {
			return nil
		}
		if serr := c.cfg.Sleep(ctx, c.backoff(attempt)); serr != nil {
			return err
		}
	}
}

func noteHTML(n psa.Note) string {
	var b strings.Builder
	b.WriteString(textHTML(n.Text))
	if !n.Password.IsZero() {
		b.WriteString("<p>New password: <code>" + html.EscapeString(n.Password.Reveal()) + "</code></p>")
	}
	if n.IdempotencyKey != "" {
		b.WriteString("<p>" + html.EscapeString(noteMarker(n.IdempotencyKey)) + "</p>")
	}
	return b.String()
}

type wireConversation struct {
	Body     string `json:"body"`
	BodyText string `json:"body_text"`
}

// HasNote implements psa.Tickets from the ticket's conversations.
func (c *Client) HasNote(ctx context.Context, ticketID, key string) (bool, error) {
	const op = "freshdesk.HasNote"
	if key == "" {
		return false, nil
	}
	id, err := parseID("ticket", ticketID)
	if err != nil {
		return false, fmt.Errorf("%w: %w", err, psa.ErrNotFound)
	}
	marker := noteMarker(key)
	escaped := html.EscapeString(marker)
	path := "/tickets/" + strconv.FormatInt(id, 10) + "/conversations"
	q := url.Values{"per_page": {strconv.Itoa(perPage)}}
	for page := 0; page < maxPages && path != ""; page++ {
		var rows []wireConversation
		next, err := c.call(ctx, request{op: op, method: http.MethodGet, path: path, query: q}, &rows)
		if err != nil {
			return false, notFound(err, "Freshdesk ticket "+ticketID)
		}
		for _, r := range rows {
			if strings.Contains(r.BodyText, marker) || strings.Contains(r.Body, escaped) {
				return true, nil
			}
		}
		path, q = next, nil
	}
	return false, nil
}
