package freshdesk

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/psa"
)

// wireTicket is the part of Freshdesk's ticket we read
// (https://developers.freshdesk.com/api/#tickets).
type wireTicket struct {
	ID              int64     `json:"id"`
	Subject         string    `json:"subject"`
	Status          int       `json:"status"`
	CompanyID       *int64    `json:"company_id"`
	Description     string    `json:"description"`
	DescriptionText string    `json:"description_text"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

var statusNames = map[int]string{2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}

func (c *Client) ticket(w wireTicket) psa.Ticket {
	t := psa.Ticket{ID: strconv.FormatInt(w.ID, 10), Summary: w.Subject, Updated: w.UpdatedAt}
	if w.CompanyID != nil {
		t.CompanyID = strconv.FormatInt(*w.CompanyID, 10)
	}
	t.Status = statusNames[w.Status]
	if t.Status == "" {
		t.Status = "Status " + strconv.Itoa(w.Status)
	}
	t.Closed = w.Status == 4 || w.Status == 5 || w.Status == c.cfg.ResolvedStatus
	return t
}

const (
	maxListLimit = 50
	perPage      = 100 // Freshdesk's maximum
	maxPages     = 10
)

// listQuery lists a company's tickets updated within Lookback, newest
// first. updated_since is always sent: without it Freshdesk returns only
// tickets created in the last 30 days.
func (c *Client) listQuery(company int64, orderBy string, withDescription bool) url.Values {
	q := url.Values{}
	q.Set("company_id", strconv.FormatInt(company, 10))
	q.Set("updated_since", c.cfg.Now().Add(-c.cfg.Lookback).UTC().Format(time.RFC3339))
	q.Set("order_by", orderBy)
	q.Set("order_type", "desc")
	q.Set("per_page", strconv.Itoa(perPage))
	if withDescription {
		q.Set("include", "description")
	}
	return q
}

// eachTicket walks the pages of a list, stopping when fn says so.
func (c *Client) eachTicket(ctx context.Context, op string, q url.Values, fn func(wireTicket) bool) error {
	path := "/tickets"
	for page := 0; page < maxPages && path != ""; page++ {
		var rows []wireTicket
		next, err := c.call(ctx, request{op: op, method: http.MethodGet, path: path, query: q}, &rows)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if !fn(r) {
				return nil
			}
		}
		path, q = next, nil // the next link carries its own query
	}
	return nil
}

// ListOpen implements psa.Tickets. The list call has no status filter, so
// the open statuses are kept here, as is the type-ahead query.
func (c *Client) ListOpen(ctx context.Context, companyID, query string, limit int) ([]psa.Ticket, error) {
	const op = "freshdesk.ListOpen"
	company, err := parseID("company", companyID)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > maxListLimit {
		limit = maxListLimit
	}
	open := map[int]bool{}
	for _, s := range c.cfg.OpenStatuses {
		open[s] = true
	}
	var out []psa.Ticket
	err = c.eachTicket(ctx, op, c.listQuery(company, "updated_at", false), func(w wireTicket) bool {
		if !open[w.Status] || w.CompanyID == nil || *w.CompanyID != company {
			return true
		}
		t := c.ticket(w)
		if matches(t, query) {
			out = append(out, t)
		}
		return len(out) < limit
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// matches is the type-ahead: the number contains the query, or the
// summary contains every word of it.
func matches(t psa.Ticket, query string) bool {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return true
	}
	if strings.Contains(t.ID, strings.TrimPrefix(q, "#")) {
		return true
	}
	s := strings.ToLower(t.Summary)
	for _, w := range strings.Fields(q) {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// Get implements psa.Tickets.
func (c *Client) Get(ctx context.Context, id string) (psa.Ticket, error) {
	const op = "freshdesk.Get"
	n, err := parseID("ticket", id)
	if err != nil {
		return psa.Ticket{}, fmt.Errorf("%w: %w", err, psa.ErrNotFound)
	}
	var w wireTicket
	if _, err := c.call(ctx, request{op: op, method: http.MethodGet, path: "/tickets/" + strconv.FormatInt(n, 10)}, &w); err != nil {
		return psa.Ticket{}, notFound(err, "Freshdesk ticket "+id)
	}
	return c.ticket(w), nil
}

func notFound(err error, what string) error {
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return fmt.Errorf("%s: %w", what, psa.ErrNotFound)
	}
	return err
}

// requestMarker is written into the description so FindCreated can find
// the ticket an earlier, unanswered create made. The brackets end the key.
func requestMarker(key string) string { return "[unlockbot request " + key + "]" }

const maxSubject = 255

// Create implements psa.Tickets. A create whose answer is lost (no answer
// or a 5xx) is looked up by its marker before it is sent again.
func (c *Client) Create(ctx context.Context, nt psa.NewTicket) (psa.Ticket, error) {
	const op = "freshdesk.Create"
	company, err := parseID("company", nt.CompanyID)
	if err != nil {
		return psa.Ticket{}, err
	}
	if strings.TrimSpace(nt.Summary) == "" {
		return psa.Ticket{}, errors.New("freshdesk: a ticket needs a summary")
	}
	body := map[string]any{
		"subject":     truncate(nt.Summary, maxSubject),
		"description": c.descriptionHTML(nt),
		"company_id":  company,
		"status":      c.cfg.Status,
		"priority":    c.cfg.Priority,
		"source":      c.cfg.Source,
	}
	if c.cfg.GroupID > 0 {
		body["group_id"] = c.cfg.GroupID
	}
	rid, err := c.contactOf(ctx, company, nt.ContactEmail)
	if err != nil {
		return psa.Ticket{}, err
	}
	if rid > 0 {
		body["requester_id"] = rid
	} else {
		body["email"] = c.cfg.FallbackRequesterEmail
	}
	for attempt := 0; ; attempt++ {
		var w wireTicket
		_, err := c.call(ctx, request{op: op, method: http.MethodPost, path: "/tickets", body: body, unsafe: true}, &w)
		if err == nil {
			c.cfg.Log.Info().Int64("ticket", w.ID).Int64("company", company).Msg("freshdesk: ticket created")
			return c.ticket(w), nil
		}
		// Without a key there is no marker to look for: never repeat.
		if !ambiguous(err) || nt.IdempotencyKey == "" || attempt >= c.cfg.MaxRetries {
			return psa.Ticket{}, err
		}
		// The ticket may exist: look before creating again.
		if t, ok, ferr := c.FindCreated(ctx, nt.CompanyID, nt.IdempotencyKey); ferr == nil && ok {
			c.cfg.Log.Info().Str("ticket", t.ID).Msg("freshdesk: create had been done; answer was lost")
			return t, nil
		} else if ferr != nil {
			return psa.Ticket{}, fmt.Errorf("%s: the create got no answer and the lookup failed: %w", op, ferr)
		}
		if serr := c.cfg.Sleep(ctx, c.backoff(attempt)); serr != nil {
			return psa.Ticket{}, err
		}
	}
}

// ambiguous is a failure after which the request may have been carried out.
func ambiguous(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500
	}
	return errors.Is(err, errNoAnswer)
}

func (c *Client) descriptionHTML(nt psa.NewTicket) string {
	var b strings.Builder
	b.WriteString(textHTML(nt.Description))
	if nt.IdempotencyKey != "" {
		b.WriteString("<p>" + html.EscapeString(requestMarker(nt.IdempotencyKey)) + "</p>")
	}
	return b.String()
}

// textHTML turns plain text into the HTML Freshdesk stores, escaped.
func textHTML(s string) string {
	if s == "" {
		return ""
	}
	return "<div>" + strings.ReplaceAll(html.EscapeString(s), "\n", "<br>") + "</div>"
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// wireContact is the part of a contact we read.
type wireContact struct {
	ID        int64  `json:"id"`
	Email     string `json:"email"`
	CompanyID *int64 `json:"company_id"`
}

// contactOf is the id of the company's contact with that e-mail, or 0: a
// contact of another company is never made the requester.
func (c *Client) contactOf(ctx context.Context, company int64, email string) (int64, error) {
	if email == "" {
		return 0, nil
	}
	var rows []wireContact
	q := url.Values{"email": {email}}
	if _, err := c.call(ctx, request{op: "freshdesk.contacts", method: http.MethodGet, path: "/contacts", query: q}, &rows); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
			return 0, nil // not an address Freshdesk accepts: no contact
		}
		return 0, err
	}
	for _, r := range rows {
		if r.CompanyID != nil && *r.CompanyID == company && strings.EqualFold(r.Email, email) {
			return r.ID, nil
		}
	}
	return 0, nil
}

// FindCreated implements psa.Tickets by the marker in the description of
// the company's recent tickets.
func (c *Client) FindCreated(ctx context.Context, companyID, key string) (psa.Ticket, bool, error) {
	const op = "freshdesk.FindCreated"
	if key == "" {
		return psa.Ticket{}, false, nil
	}
	company, err := parseID("company", companyID)
	if err != nil {
		return psa.Ticket{}, false, err
	}
	marker := requestMarker(key)
	escaped := html.EscapeString(marker)
	var found *wireTicket
	err = c.eachTicket(ctx, op, c.listQuery(company, "created_at", true), func(w wireTicket) bool {
		if w.CompanyID != nil && *w.CompanyID == company &&
			(strings.Contains(w.DescriptionText, marker) || strings.Contains(w.Description, escaped)) {
			found = &w
			return false
		}
		return true
	})
	if err != nil || found == nil {
		return psa.Ticket{}, false, err
	}
	return c.ticket(*found), true, nil
}

// Resolve implements psa.Tickets: the comment as a private note (once),
// then the configured resolved status. A ticket already resolved or
// closed is left as it is.
func (c *Client) Resolve(ctx context.Context, ticketID, comment string) error {
	const op = "freshdesk.Resolve"
	n, err := parseID("ticket", ticketID)
	if err != nil {
		return fmt.Errorf("%w: %w", err, psa.ErrNotFound)
	}
	var w wireTicket
	path := "/tickets/" + strconv.FormatInt(n, 10)
	if _, err := c.call(ctx, request{op: op, method: http.MethodGet, path: path}, &w); err != nil {
		return notFound(err, "Freshdesk ticket "+ticketID)
	}
	if w.Status == c.cfg.ResolvedStatus || w.Status == 5 {
		return nil
	}
	if strings.TrimSpace(comment) != "" {
		if err := c.AddNote(ctx, ticketID, psa.Note{Text: comment, Internal: true, IdempotencyKey: "resolve-" + ticketID}); err != nil {
			return err
		}
	}
	// PUT with the same status is idempotent: safe to retry.
	_, err = c.call(ctx, request{op: op, method: http.MethodPut, path: path, body: map[string]any{"status": c.cfg.ResolvedStatus}}, nil)
	return notFound(err, "Freshdesk ticket "+ticketID)
}
