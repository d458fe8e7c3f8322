package superops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unlockbot/unlockbot/psa"
)

// subjectLimit keeps a subject within what tenants accept.
const subjectLimit = 255

// listPages bounds the pages ListOpen reads when it filters client-side
// (a query, or rows of another client sharing the name).
const listPages = 4

// marker is what Create puts in the description and AddNote in a note, so
// FindCreated and HasNote can find them again.
func marker(key string) string { return "unlockbot request " + key }

// name returns the client's SuperOps name for the list filter: configured,
// or read once with getClient.
func (c *Client) name(ctx context.Context, accountID string) (string, error) {
	c.mu.Lock()
	n := c.clientName
	c.mu.Unlock()
	if n != "" && accountID == c.cfg.CompanyID {
		return n, nil
	}
	var out struct {
		GetClient *struct {
			Name string `json:"name"`
		} `json:"getClient"`
	}
	if err := c.do(ctx, read, "getClient", qClient, map[string]any{"input": map[string]any{"accountId": accountID}}, &out); err != nil {
		return "", err
	}
	if out.GetClient == nil || out.GetClient.Name == "" {
		return "", &APIError{Op: "getClient", HTTPStatus: 200, Codes: []string{"entity_does_not_exist"}, Attributes: []string{"accountId"}}
	}
	if accountID == c.cfg.CompanyID {
		c.mu.Lock()
		c.clientName = out.GetClient.Name
		c.mu.Unlock()
	}
	return out.GetClient.Name, nil
}

// list reads pages of the client's tickets (client.name filter, then only
// rows whose accountId matches), newest first by sortAttr, until keep has
// accepted limit rows or maxPages were read.
func (c *Client) list(ctx context.Context, companyID string, statuses []string, sortAttr string, pageSize, maxPages, limit int, keep func(psa.Ticket) bool) ([]psa.Ticket, error) {
	name, err := c.name(ctx, companyID)
	if err != nil {
		return nil, err
	}
	cond := map[string]any{"attribute": "client.name", "operator": "is", "value": name}
	if len(statuses) > 0 {
		cond = map[string]any{"joinOperator": "AND", "operands": []any{
			cond, map[string]any{"attribute": "status", "operator": "includes", "value": statuses},
		}}
	}
	var out []psa.Ticket
	for page := 1; page <= maxPages; page++ {
		var resp struct {
			GetTicketList struct {
				Tickets  []wireTicket `json:"tickets"`
				ListInfo struct {
					HasMore *bool `json:"hasMore"` // null on the last page
				} `json:"listInfo"`
			} `json:"getTicketList"`
		}
		in := map[string]any{"page": page, "pageSize": pageSize, "condition": cond, "sort": []any{map[string]any{"attribute": sortAttr, "order": "DESC"}}}
		if err := c.do(ctx, read, "getTicketList", qTicketList, map[string]any{"input": in}, &resp); err != nil {
			return nil, err
		}
		for _, w := range resp.GetTicketList.Tickets {
			t := c.toTicket(w)
			if t.CompanyID != companyID || !keep(t) {
				continue // same name, another client: never shown as ours
			}
			out = append(out, t)
			if len(out) >= limit {
				return out, nil
			}
		}
		if hm := resp.GetTicketList.ListInfo.HasMore; hm == nil || !*hm {
			break
		}
	}
	return out, nil
}

// ListOpen implements psa.Tickets.
func (c *Client) ListOpen(ctx context.Context, companyID, query string, limit int) ([]psa.Ticket, error) {
	if limit <= 0 || limit > 50 {
		limit = 50
	}
	q := strings.ToLower(strings.TrimSpace(query))
	words := strings.Fields(q)
	match := func(t psa.Ticket) bool {
		if q == "" {
			return true
		}
		if strings.Contains(strings.ToLower(t.Number), q) || t.ID == q {
			return true
		}
		s := strings.ToLower(t.Summary)
		for _, w := range words {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	}
	pages := 1
	if q != "" {
		pages = listPages
	}
	return c.list(ctx, companyID, c.cfg.OpenStatuses, "updatedTime", 50, pages, limit, match)
}

// Get implements psa.Tickets.
func (c *Client) Get(ctx context.Context, id string) (psa.Ticket, error) {
	var out struct {
		GetTicket *wireTicket `json:"getTicket"`
	}
	err := c.do(ctx, read, "getTicket", qTicket, map[string]any{"input": map[string]any{"ticketId": id}}, &out)
	var ae *APIError
	if errors.As(err, &ae) && ae.Has("entity_does_not_exist") || err == nil && out.GetTicket == nil {
		return psa.Ticket{}, fmt.Errorf("superops ticket %s: %w", id, psa.ErrNotFound)
	}
	if err != nil {
		return psa.Ticket{}, err
	}
	return c.toTicket(*out.GetTicket), nil
}

// requester finds the client user with this e-mail, else the configured
// fallback ("" when neither).
func (c *Client) requester(ctx context.Context, companyID, email string) (string, error) {
	if email = strings.TrimSpace(email); email != "" {
		var out struct {
			GetClientUserList struct {
				UserList []struct {
					UserID jsonRefID `json:"userId"`
					Email  string    `json:"email"`
					Client jsonRef   `json:"client"`
				} `json:"userList"`
			} `json:"getClientUserList"`
		}
		in := map[string]any{"clientId": companyID, "page": 1, "pageSize": 10, "condition": map[string]any{"attribute": "email", "operator": "is", "value": email}}
		if err := c.do(ctx, read, "getClientUserList", qClientUsers, map[string]any{"input": in}, &out); err != nil {
			return "", err
		}
		for _, u := range out.GetClientUserList.UserList {
			if strings.EqualFold(u.Email, email) && u.Client.AccountID.String() == companyID {
				return string(u.UserID), nil
			}
		}
	}
	return c.cfg.RequesterUserID, nil
}

// Create implements psa.Tickets. The description carries the marker; a
// create whose answer was lost is looked up by it before it is sent again.
func (c *Client) Create(ctx context.Context, nt psa.NewTicket) (psa.Ticket, error) {
	if nt.CompanyID == "" || strings.TrimSpace(nt.Summary) == "" {
		return psa.Ticket{}, errors.New("superops.Create: company and summary are required")
	}
	subject := truncate(strings.TrimSpace(nt.Summary), subjectLimit)
	desc := nt.Description
	if nt.IdempotencyKey != "" {
		desc = strings.TrimRight(desc, "\n") + "\n\n" + marker(nt.IdempotencyKey)
	}
	req, err := c.requester(ctx, nt.CompanyID, nt.ContactEmail)
	if err != nil {
		return psa.Ticket{}, err
	}
	in := map[string]any{
		"subject": subject, "client": map[string]any{"accountId": nt.CompanyID},
		"source": "AGENT", "status": c.cfg.NewStatus, "description": desc,
	}
	if req != "" {
		in["requester"] = map[string]any{"userId": req}
	}
	if c.cfg.Priority != "" {
		in["priority"] = c.cfg.Priority
	}
	for attempt := 0; ; attempt++ {
		var out struct {
			CreateTicket *wireTicket `json:"createTicket"`
		}
		err := c.do(ctx, mutation, "createTicket", mCreateTicket, map[string]any{"input": in}, &out)
		if err == nil {
			if out.CreateTicket == nil {
				return psa.Ticket{}, errors.New("superops createTicket: no ticket in the answer")
			}
			return c.toTicket(*out.CreateTicket), nil
		}
		if !errors.Is(err, ErrMaybeDone) || nt.IdempotencyKey == "" || attempt >= c.cfg.MaxRetries {
			return psa.Ticket{}, err
		}
		c.cfg.Log.Warn().Str("psa", "superops").Err(err).Msg("createTicket answer lost; looking for the ticket before creating again")
		if err := c.cfg.Sleep(ctx, c.jitter(time.Duration(attempt+1)*time.Second)); err != nil {
			return psa.Ticket{}, err
		}
		if t, ok, ferr := c.findCreated(ctx, nt.CompanyID, nt.IdempotencyKey, subject); ferr == nil && ok {
			return t, nil
		} else if ferr != nil {
			return psa.Ticket{}, ferr // cannot tell: never create blindly
		}
	}
}

// FindCreated implements psa.Tickets: the newest tickets of the client
// whose description (first conversation) carries the marker.
func (c *Client) FindCreated(ctx context.Context, companyID, key string) (psa.Ticket, bool, error) {
	return c.findCreated(ctx, companyID, key, "")
}

// findScan is how many of the client's newest tickets are searched. When
// that many came back and none has the marker, older ones might: the
// answer is "cannot tell" (an error), never "not there", so a create is
// not repeated on a guess (the flow keeps the ticket pending instead).
const findScan = 25

func (c *Client) findCreated(ctx context.Context, companyID, key, subject string) (psa.Ticket, bool, error) {
	if key == "" {
		return psa.Ticket{}, false, nil
	}
	cands, err := c.list(ctx, companyID, nil, "createdTime", findScan, 1, findScan, func(t psa.Ticket) bool {
		return subject == "" || t.Summary == subject
	})
	if err != nil {
		return psa.Ticket{}, false, err
	}
	want := marker(key)
	for _, t := range cands {
		var out struct {
			List []struct {
				Content string `json:"content"`
				Type    string `json:"type"`
			} `json:"getTicketConversationList"`
		}
		if err := c.do(ctx, read, "getTicketConversationList", qConversations, map[string]any{"input": map[string]any{"ticketId": t.ID}}, &out); err != nil {
			return psa.Ticket{}, false, err
		}
		for _, cv := range out.List {
			if cv.Type == "DESCRIPTION" && strings.Contains(cv.Content, want) {
				return t, true, nil
			}
		}
	}
	if len(cands) >= findScan {
		return psa.Ticket{}, false, fmt.Errorf("superops: the marker of request %s is not in the client's %d newest tickets, and older ones were not searched: %w", key, findScan, errCannotTell)
	}
	return psa.Ticket{}, false, nil
}

// errCannotTell: a lookup could not say whether something exists.
var errCannotTell = errors.New("cannot tell whether it exists")

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
