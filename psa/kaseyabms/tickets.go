package kaseyabms

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/psa"
)

// ticketDTO is the part of TicketListDto / TicketOutputDto we read.
type ticketDTO struct {
	ID                 int     `json:"Id"`
	TicketNumber       string  `json:"TicketNumber"`
	Title              string  `json:"Title"`
	Details            string  `json:"Details"`
	AccountID          int     `json:"AccountId"`
	StatusID           int     `json:"StatusId"`
	StatusName         string  `json:"StatusName"`
	CreatedOn          bmsTime `json:"CreatedOn"`
	ModifiedOn         bmsTime `json:"ModifiedOn"`
	OpenDate           bmsTime `json:"OpenDate"`
	LastActivityUpdate bmsTime `json:"LastActivityUpdate"`
	CompletedDate      bmsTime `json:"CompletedDate"`
}

func (d ticketDTO) ticket() psa.Ticket {
	upd := d.LastActivityUpdate.Time
	for _, t := range []time.Time{d.ModifiedOn.Time, d.CreatedOn.Time, d.OpenDate.Time} {
		if t.After(upd) {
			upd = t
		}
	}
	return psa.Ticket{ID: strconv.Itoa(d.ID), Number: d.TicketNumber, Summary: d.Title, Status: d.StatusName,
		CompanyID: strconv.Itoa(d.AccountID), Closed: !d.CompletedDate.IsZero(), Updated: upd}
}

// searchInput is GetTicketsInputDto with the TicketFilterDto fields we use.
type searchInput struct {
	PageNumber int          `json:"PageNumber"`
	PageSize   int          `json:"PageSize"`
	Filter     ticketFilter `json:"Filter"`
}

type ticketFilter struct {
	AccountIDs       string `json:"AccountIds"`
	ExcludeCompleted int    `json:"ExcludeCompleted"`
	Details          string `json:"Details,omitempty"`
	CreatedOnFrom    string `json:"CreatedOnFrom,omitempty"`
}

const (
	pageSize = 50
	// maxPages bounds a listing: the search endpoint has 1,500 calls an
	// hour, shared by every technician of the org typing in the picker.
	maxPages = 4
	maxLimit = 50
	// maxTitle: the vendor file sets no maximum; we stay well inside
	// common column sizes rather than find one by failure.
	maxTitle = 200
)

func (c *Client) search(ctx context.Context, op string, f ticketFilter, pages int, keep func(ticketDTO) bool) ([]ticketDTO, error) {
	return c.searchFrom(ctx, op, f, 1, pages, keep)
}

// searchNewest reads the last pages of a search: BMS answers oldest first,
// so for an account with more open tickets than pages hold, the newest are
// at the end. The first page (read to learn the total) is kept only when
// it is among the last.
func (c *Client) searchNewest(ctx context.Context, op string, f ticketFilter, pages int, keep func(ticketDTO) bool) ([]ticketDTO, error) {
	var rows []ticketDTO
	total := 0
	err := c.call(ctx, request{op: op, method: "POST", path: "/v2/servicedesk/tickets/search",
		json: searchInput{PageNumber: 1, PageSize: pageSize, Filter: f}, out: &rows, total: &total})
	if errors.Is(err, psa.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	last := (total + pageSize - 1) / pageSize
	if last <= pages {
		var out []ticketDTO
		for _, r := range rows {
			if keep(r) {
				out = append(out, r)
			}
		}
		if last <= 1 {
			return out, nil
		}
		more, err := c.searchFrom(ctx, op, f, 2, last, keep)
		return append(out, more...), err
	}
	return c.searchFrom(ctx, op, f, last-pages+1, last, keep)
}

func (c *Client) searchFrom(ctx context.Context, op string, f ticketFilter, first, lastPage int, keep func(ticketDTO) bool) ([]ticketDTO, error) {
	var out []ticketDTO
	for page := first; page <= lastPage; page++ {
		var rows []ticketDTO
		total := 0
		err := c.call(ctx, request{op: op, method: "POST", path: "/v2/servicedesk/tickets/search",
			json: searchInput{PageNumber: page, PageSize: pageSize, Filter: f}, out: &rows, total: &total})
		if errors.Is(err, psa.ErrNotFound) {
			break // an empty Result
		}
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if keep(r) {
				out = append(out, r)
			}
		}
		if len(rows) < pageSize || page*pageSize >= total {
			break
		}
	}
	return out, nil
}

// ListOpen implements psa.Tickets. BMS filters by account and open state;
// the query (number or words) and the newest-first order are applied here
// because the vendor file documents no sort syntax.
func (c *Client) ListOpen(ctx context.Context, companyID, query string, limit int) ([]psa.Ticket, error) {
	acct, err := strconv.Atoi(companyID)
	if err != nil {
		return nil, fmt.Errorf("kaseyabms: company id %q is not a BMS AccountId", companyID)
	}
	if limit <= 0 || limit > maxLimit {
		limit = maxLimit
	}
	q := strings.ToLower(strings.TrimSpace(query))
	words := strings.Fields(q)
	rows, err := c.searchNewest(ctx, "list the open tickets", ticketFilter{AccountIDs: companyID, ExcludeCompleted: 1}, maxPages,
		func(d ticketDTO) bool {
			if d.AccountID != acct || !d.CompletedDate.IsZero() {
				return false
			}
			if q == "" || strings.Contains(strings.ToLower(d.TicketNumber), q) || strconv.Itoa(d.ID) == q {
				return true
			}
			title := strings.ToLower(d.Title)
			for _, w := range words {
				if !strings.Contains(title, w) {
					return false
				}
			}
			return true
		})
	if err != nil {
		return nil, err
	}
	out := make([]psa.Ticket, len(rows))
	for i, r := range rows {
		out[i] = r.ticket()
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Get implements psa.Tickets.
func (c *Client) Get(ctx context.Context, id string) (psa.Ticket, error) {
	d, err := c.get(ctx, id)
	return d.ticket(), err
}

func (c *Client) get(ctx context.Context, id string) (ticketDTO, error) {
	n, err := ticketID(id)
	if err != nil {
		return ticketDTO{}, err
	}
	var d ticketDTO
	if err := c.call(ctx, request{op: "read ticket " + id, method: "GET", path: "/v2/servicedesk/tickets/" + strconv.Itoa(n), out: &d}); err != nil {
		return ticketDTO{}, err
	}
	return d, nil
}

// createMarker is written into the ticket's Details so FindCreated can
// find a ticket whose create answer was lost. The brackets end the key, so
// one key is never a prefix match of another.
func createMarker(key string) string { return "[unlockbot request " + key + "]" }

// ticketInput is TicketInputDto: every required field is always sent.
type ticketInput struct {
	Title      string `json:"Title"`
	Details    string `json:"Details"`
	AccountID  int    `json:"AccountId"`
	LocationID int    `json:"LocationId"`
	ContactID  *int   `json:"ContactId,omitempty"`
	StatusID   int    `json:"StatusId"`
	PriorityID int    `json:"PriorityId"`
	TypeID     int    `json:"TypeId"`
	SourceID   int    `json:"SourceId"`
	OpenDate   string `json:"OpenDate"`
}

// Create implements psa.Tickets. After a lost answer it searches for its
// marker before posting again, so a ticket is never made twice.
func (c *Client) Create(ctx context.Context, nt psa.NewTicket) (psa.Ticket, error) {
	acct, err := strconv.Atoi(nt.CompanyID)
	if err != nil || nt.Summary == "" {
		return psa.Ticket{}, fmt.Errorf("kaseyabms.Create: a numeric company id and a summary are required")
	}
	details := strings.TrimSpace(nt.Description)
	if nt.IdempotencyKey != "" {
		details = strings.TrimSpace(details + "\n\n" + createMarker(nt.IdempotencyKey))
	}
	if details == "" {
		details = nt.Summary
	}
	in := ticketInput{Title: cut(nt.Summary, maxTitle), Details: details, AccountID: acct, LocationID: c.cfg.LocationID,
		StatusID: c.cfg.StatusID, PriorityID: c.cfg.PriorityID, TypeID: c.cfg.TypeID, SourceID: c.cfg.SourceID,
		OpenDate: wireTime(c.cfg.Now())}
	if nt.ContactEmail != "" {
		id, err := c.contactID(ctx, acct, nt.ContactEmail)
		if err != nil {
			c.cfg.Log.Warn().Str("psa", "kaseya_bms").Err(err).Msg("contact lookup failed; creating the ticket without a contact")
		} else if id > 0 {
			in.ContactID = &id
		}
	}
	var d ticketDTO
	var found psa.Ticket
	r := request{op: "create the ticket", method: "POST", path: "/v2/servicedesk/tickets", json: in, unsafe: true, out: &d}
	if nt.IdempotencyKey != "" {
		r.recheck = func(ctx context.Context) (bool, error) {
			t, ok, err := c.FindCreated(ctx, nt.CompanyID, nt.IdempotencyKey)
			found = t
			return ok, err
		}
	}
	switch err := c.call(ctx, r); {
	case errors.Is(err, errDone):
		return found, nil
	case err != nil:
		return psa.Ticket{}, err
	}
	return d.ticket(), nil
}

// FindCreated implements psa.Tickets by searching the account's tickets
// of the last 90 days (open or not) for the marker.
func (c *Client) FindCreated(ctx context.Context, companyID, key string) (psa.Ticket, bool, error) {
	acct, err := strconv.Atoi(companyID)
	if err != nil || key == "" {
		return psa.Ticket{}, false, nil
	}
	m := createMarker(key)
	f := ticketFilter{AccountIDs: companyID, Details: m, CreatedOnFrom: wireTime(c.cfg.Now().Add(-90 * 24 * time.Hour))}
	rows, err := c.search(ctx, "look for the ticket it created", f, 2, func(d ticketDTO) bool {
		return d.AccountID == acct && strings.Contains(d.Details, m)
	})
	if err != nil || len(rows) == 0 {
		return psa.Ticket{}, false, err
	}
	return rows[0].ticket(), true, nil
}

// contactDTO is ContactsSearchSelectOutputDto, in part.
type contactDTO struct {
	ID           int    `json:"Id"`
	AccountID    int    `json:"AccountId"`
	EmailAddress string `json:"EmailAddress"`
	IsActive     bool   `json:"IsActive"`
}

// contactID finds the account's contact with this e-mail; 0 when none.
func (c *Client) contactID(ctx context.Context, acct int, email string) (int, error) {
	q := url.Values{"Filter.AccountIds": {strconv.Itoa(acct)}, "Filter.EmailAddress": {email}, "PageSize": {"25"}, "PageNumber": {"1"}}
	var rows []contactDTO
	err := c.call(ctx, request{op: "look up the contact", method: "GET", path: "/v2/crm/contacts/search", query: q, out: &rows})
	if errors.Is(err, psa.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		if r.AccountID == acct && strings.EqualFold(strings.TrimSpace(r.EmailAddress), strings.TrimSpace(email)) {
			return r.ID, nil
		}
	}
	return 0, nil
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
