package connectwise

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/unlockbot/unlockbot/psa"
)

// noteBody is a ServiceNote as unlockbot posts it. processNotifications is
// always false: nothing the bot writes e-mails the customer or resources.
// ConnectWise needs one of the three flags true: internalAnalysisFlag for
// internal notes, detailDescriptionFlag for public ones, resolutionFlag
// for the resolution.
type noteBody struct {
	Text                  string `json:"text"`
	DetailDescriptionFlag bool   `json:"detailDescriptionFlag"`
	InternalAnalysisFlag  bool   `json:"internalAnalysisFlag"`
	ResolutionFlag        bool   `json:"resolutionFlag"`
	ProcessNotifications  bool   `json:"processNotifications"`
}

func noteMarker(key string) string { return "[unlockbot note " + key + "]" }

// AddNote implements psa.Tickets. The password goes in only now, only into
// an internal note, after the marker line.
func (c *Client) AddNote(ctx context.Context, ticket string, n psa.Note) error {
	if !n.Password.IsZero() && !n.Internal {
		return psa.ErrSecretInPublicNote
	}
	if _, ok := ticketID(ticket); !ok {
		return fmt.Errorf("connectwise: ticket %q: %w", ticket, psa.ErrNotFound)
	}
	b := noteBody{Text: n.Text, InternalAnalysisFlag: n.Internal, DetailDescriptionFlag: !n.Internal}
	secret := ""
	if !n.Password.IsZero() {
		secret = n.Password.Reveal()
	}
	return c.addNote(ctx, ticket, b, n.IdempotencyKey, secret)
}

// addNote posts once per key: a lost answer is followed by HasNote before
// any second POST; without a key a lost answer is not repeated.
func (c *Client) addNote(ctx context.Context, ticket string, b noteBody, key, password string) error {
	if key != "" {
		b.Text += "\n\n" + noteMarker(key)
	}
	if password != "" {
		b.Text += "\nNew password: " + password
	}
	b.ProcessNotifications = false
	path := "/service/tickets/" + ticket + "/notes"
	for attempt := 0; ; attempt++ {
		err := c.do(ctx, call{method: http.MethodPost, path: path, body: b, secret: password})
		if err == nil {
			return nil
		}
		if statusOf(err) == http.StatusNotFound {
			return fmt.Errorf("connectwise: ticket %s: %w", ticket, psa.ErrNotFound)
		}
		if !errors.Is(err, errAmbiguous) || key == "" || attempt >= c.cfg.MaxRetries {
			return c.explain("add a note to ticket "+ticket, err)
		}
		has, herr := c.HasNote(ctx, ticket, key)
		if herr != nil {
			return herr
		}
		if has {
			return nil
		}
		if err := c.cfg.Sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
}

// HasNote implements psa.Tickets by scanning the ticket's notes for the
// marker (at most 1,000 notes; a reset ticket has a handful).
func (c *Client) HasNote(ctx context.Context, ticket, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	if _, ok := ticketID(ticket); !ok {
		return false, fmt.Errorf("connectwise: ticket %q: %w", ticket, psa.ErrNotFound)
	}
	m := noteMarker(key)
	for page := 1; page <= 10; page++ {
		var rows []struct {
			Text string `json:"text"`
		}
		var next string
		err := c.do(ctx, call{method: http.MethodGet, path: "/service/tickets/" + ticket + "/notes", idempotent: true, out: &rows, next: &next,
			query: url.Values{"fields": {"id,text"}, "orderBy": {"id desc"}, "page": {strconv.Itoa(page)}, "pageSize": {"100"}}})
		if statusOf(err) == http.StatusNotFound {
			return false, fmt.Errorf("connectwise: ticket %s: %w", ticket, psa.ErrNotFound)
		}
		if err != nil {
			return false, c.explain("read the notes of ticket "+ticket, err)
		}
		for _, r := range rows {
			if strings.Contains(r.Text, m) {
				return true, nil
			}
		}
		if next == "" {
			break
		}
	}
	return false, nil
}
