package connectwise

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unlockbot/unlockbot/psa"
)

type ref struct {
	ID   int    `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// cwTicket is the part of ConnectWise's Ticket we read.
type cwTicket struct {
	ID         int               `json:"id"`
	Summary    string            `json:"summary"`
	Status     ref               `json:"status"`
	Company    ref               `json:"company"`
	ClosedFlag bool              `json:"closedFlag"`
	Info       map[string]string `json:"_info"`
}

func (t cwTicket) toPSA() psa.Ticket {
	up, _ := time.Parse(time.RFC3339, t.Info["lastUpdated"])
	return psa.Ticket{
		ID: strconv.Itoa(t.ID), Summary: t.Summary, Status: t.Status.Name,
		CompanyID: strconv.Itoa(t.Company.ID), Closed: t.ClosedFlag, Updated: up,
	}
}

// ticketFields keeps list answers small.
const ticketFields = "id,summary,status,company,closedFlag,_info"

// maxScan bounds how many recent open tickets a type-ahead looks through.
const maxScan = 200

// ListOpen implements psa.Tickets: the company's open tickets, newest (by
// id) first. ConnectWise's conditions cannot match "number or words"
// safely for every query, so the words are matched here on the most
// recent maxScan tickets.
func (c *Client) ListOpen(ctx context.Context, company, query string, limit int) ([]psa.Ticket, error) {
	cid, err := companyID(company)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 50 {
		limit = min(max(limit, 25), 50)
	}
	q := strings.ToLower(strings.TrimSpace(query))
	size := limit
	if q != "" {
		size = 50
	}
	var out []psa.Ticket
	for page := 1; (page-1)*size < maxScan; page++ {
		var rows []cwTicket
		var next string
		err := c.do(ctx, call{method: http.MethodGet, path: "/service/tickets", idempotent: true, out: &rows, next: &next,
			query: url.Values{
				"conditions": {fmt.Sprintf("company/id=%d and closedFlag=false", cid)},
				"orderBy":    {"id desc"}, "fields": {ticketFields},
				"page": {strconv.Itoa(page)}, "pageSize": {strconv.Itoa(size)},
			}})
		if err != nil {
			return nil, c.explain("list the open tickets", err)
		}
		for _, r := range rows {
			t := r.toPSA()
			if q == "" || strings.Contains(strings.ToLower(t.Summary), q) || strings.Contains(t.ID, q) {
				out = append(out, t)
				if len(out) == limit {
					return out, nil
				}
			}
		}
		if next == "" || q == "" {
			break
		}
	}
	return out, nil
}

// Get implements psa.Tickets.
func (c *Client) Get(ctx context.Context, id string) (psa.Ticket, error) {
	n, ok := ticketID(id)
	if !ok {
		return psa.Ticket{}, fmt.Errorf("connectwise: ticket %q: %w", id, psa.ErrNotFound)
	}
	var t cwTicket
	err := c.do(ctx, call{method: http.MethodGet, path: "/service/tickets/" + strconv.Itoa(n), idempotent: true, out: &t})
	if statusOf(err) == http.StatusNotFound {
		return psa.Ticket{}, fmt.Errorf("connectwise: ticket %d: %w", n, psa.ErrNotFound)
	}
	if err != nil {
		return psa.Ticket{}, c.explain("read ticket "+strconv.Itoa(n), err)
	}
	return t.toPSA(), nil
}

// marker is what Create puts in externalXRef (at most 100 characters, a
// field the API returns and filters on, unlike initialDescription) so
// FindCreated can find the ticket again.
func marker(key string) string {
	m := "unlockbot:" + key
	if len(m) > 100 {
		h := sha256.Sum256([]byte(key))
		m = "unlockbot:" + hex.EncodeToString(h[:20])
	}
	return m
}

type newTicketBody struct {
	Summary                 string `json:"summary"`
	Company                 ref    `json:"company"`
	Board                   ref    `json:"board"`
	Status                  *ref   `json:"status,omitempty"`
	Type                    *ref   `json:"type,omitempty"`
	Priority                *ref   `json:"priority,omitempty"`
	Contact                 *ref   `json:"contact,omitempty"`
	ExternalXRef            string `json:"externalXRef,omitempty"`
	InitialDescription      string `json:"initialDescription,omitempty"`
	InitialInternalAnalysis string `json:"initialInternalAnalysis,omitempty"`
	// The board's automatic e-mails off: the contact hears about an
	// account reset from the technician, not from a ticket they did not
	// open.
	AutomaticEmailContactFlag  bool `json:"automaticEmailContactFlag"`
	AutomaticEmailResourceFlag bool `json:"automaticEmailResourceFlag"`
	AutomaticEmailCcFlag       bool `json:"automaticEmailCcFlag"`
}

func optRef(id int) *ref {
	if id <= 0 {
		return nil
	}
	return &ref{ID: id}
}

// Create implements psa.Tickets. A POST whose answer is lost (timeout,
// dropped connection, 5xx) is never repeated before FindCreated has
// looked for the marker; without an idempotency key it is not repeated.
func (c *Client) Create(ctx context.Context, nt psa.NewTicket) (psa.Ticket, error) {
	cid, err := companyID(nt.CompanyID)
	if err != nil {
		return psa.Ticket{}, err
	}
	if strings.TrimSpace(nt.Summary) == "" {
		return psa.Ticket{}, errors.New("connectwise: a ticket needs a summary")
	}
	body := newTicketBody{
		Summary: cut(nt.Summary, 100), Company: ref{ID: cid}, Board: ref{ID: c.cfg.BoardID},
		Status: optRef(c.cfg.StatusID), Type: optRef(c.cfg.TypeID), Priority: optRef(c.cfg.PriorityID),
		InitialDescription: nt.Description,
	}
	if nt.IdempotencyKey != "" {
		body.ExternalXRef = marker(nt.IdempotencyKey)
		body.InitialInternalAnalysis = "unlockbot request " + nt.IdempotencyKey
	}
	if id := c.contactByEmail(ctx, cid, nt.ContactEmail); id > 0 {
		body.Contact = &ref{ID: id}
	}
	for attempt := 0; ; attempt++ {
		var out cwTicket
		err := c.do(ctx, call{method: http.MethodPost, path: "/service/tickets", body: body, out: &out})
		if err == nil {
			return out.toPSA(), nil
		}
		if !errors.Is(err, errAmbiguous) || nt.IdempotencyKey == "" || attempt >= c.cfg.MaxRetries {
			return psa.Ticket{}, c.explain("create a ticket", err)
		}
		c.cfg.Log.Warn().Err(err).Int("attempt", attempt+1).Msg("connectwise: create may have happened; looking for its marker")
		tk, found, ferr := c.FindCreated(ctx, nt.CompanyID, nt.IdempotencyKey)
		if ferr != nil {
			return psa.Ticket{}, ferr
		}
		if found {
			return tk, nil
		}
		if err := c.cfg.Sleep(ctx, backoff(attempt)); err != nil {
			return psa.Ticket{}, err
		}
	}
}

// cut shortens s to n characters (ConnectWise counts characters).
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// contactByEmail finds an active contact of the company with this e-mail;
// 0 when none (or the lookup fails: the ticket matters more than its
// contact, and the failure is logged).
func (c *Client) contactByEmail(ctx context.Context, cid int, email string) int {
	email = strings.TrimSpace(email)
	if email == "" {
		return 0
	}
	var rows []struct {
		ID int `json:"id"`
	}
	err := c.do(ctx, call{method: http.MethodGet, path: "/company/contacts", idempotent: true, out: &rows,
		query: url.Values{
			"conditions":      {fmt.Sprintf("company/id=%d and inactiveFlag=false", cid)},
			"childConditions": {"communicationItems/value=" + quote(email) + ` and communicationItems/communicationType="Email"`},
			"fields":          {"id"}, "pageSize": {"2"},
		}})
	if err != nil {
		c.cfg.Log.Warn().Err(err).Msg("connectwise: contact lookup failed; creating the ticket without a contact")
		return 0
	}
	if len(rows) == 0 {
		return 0
	}
	return rows[0].ID
}

// FindCreated implements psa.Tickets by the externalXRef marker.
func (c *Client) FindCreated(ctx context.Context, company, key string) (psa.Ticket, bool, error) {
	cid, err := companyID(company)
	if err != nil || key == "" {
		return psa.Ticket{}, false, err
	}
	var rows []cwTicket
	err = c.do(ctx, call{method: http.MethodGet, path: "/service/tickets", idempotent: true, out: &rows,
		query: url.Values{
			"conditions": {fmt.Sprintf("company/id=%d and externalXRef=%s", cid, quote(marker(key)))},
			"orderBy":    {"id desc"}, "fields": {ticketFields}, "pageSize": {"1"},
		}})
	if err != nil {
		return psa.Ticket{}, false, c.explain("look for a ticket it created", err)
	}
	if len(rows) == 0 {
		return psa.Ticket{}, false, nil
	}
	return rows[0].toPSA(), true, nil
}

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// Resolve implements psa.Tickets: the comment as a resolution note (once),
// then the board's configured closed status. A closed ticket is left as is.
func (c *Client) Resolve(ctx context.Context, id, comment string) error {
	t, err := c.Get(ctx, id)
	if err != nil {
		return err
	}
	if t.Closed {
		return nil
	}
	if strings.TrimSpace(comment) != "" {
		if err := c.addNote(ctx, t.ID, noteBody{Text: comment, ResolutionFlag: true}, "resolve-"+t.ID, ""); err != nil {
			return err
		}
	}
	ops := []patchOp{{Op: "replace", Path: "status", Value: ref{ID: c.cfg.ClosedStatusID}}}
	err = c.do(ctx, call{method: http.MethodPatch, path: "/service/tickets/" + t.ID, body: ops, idempotent: true})
	if err != nil {
		return c.explain(fmt.Sprintf("close ticket %s with status id %d (psa.connectwise.closed_status_id)", t.ID, c.cfg.ClosedStatusID), err)
	}
	return nil
}
