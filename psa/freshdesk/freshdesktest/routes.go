package freshdesktest

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// route answers a request the contract accepted; the semantic checks here
// are the ones Freshdesk makes beyond the schema (ids that must exist).
func (s *Server) route(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	id := pathID(r.URL.Path)
	switch op {
	case "viewMe":
		writeJSON(w, http.StatusOK, map[string]any{"id": 1, "contact": map[string]any{"name": "unlockbot", "email": "bot@msp.example"}})
	case "viewCompany":
		s.mu.Lock()
		name, ok := s.companies[id]
		s.mu.Unlock()
		if !ok {
			writeNotFound(w)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "name": name})
	case "viewGroup":
		s.mu.Lock()
		name, ok := s.groups[id]
		s.mu.Unlock()
		if !ok {
			writeNotFound(w)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "name": name})
	case "listTicketFields":
		s.ticketFields(w)
	case "listContacts":
		s.listContacts(w, r)
	case "listTickets":
		s.listTickets(w, r)
	case "createTicket":
		s.createTicket(w, r, body)
	case "viewTicket":
		s.mu.Lock()
		t, ok := s.tickets[id]
		var out map[string]any
		if ok {
			out = t.wire(true)
		}
		s.mu.Unlock()
		if !ok {
			writeNotFound(w)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case "updateTicket":
		s.updateTicket(w, id, body)
	case "createNote":
		s.createNote(w, id, body)
	case "listConversations":
		s.listConversations(w, r, id)
	default:
		writeError(w, http.StatusNotFound, "invalid_url", "not served by the fake: "+op)
	}
}

var idInPath = regexp.MustCompile(`^/api/v2/[a-z_]+/(\d+)`)

func pathID(p string) int64 {
	m := idInPath.FindStringSubmatch(p)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// wire is the ticket's JSON: https://developers.freshdesk.com/api/#tickets
// (description only on view or with include=description).
func (t *Ticket) wire(withDescription bool) map[string]any {
	m := map[string]any{
		"id": t.ID, "subject": t.Subject, "status": t.Status, "priority": t.Priority, "source": t.Source,
		"requester_id": t.RequesterID, "company_id": nil, "group_id": nil, "type": nil, "tags": []string{},
		"created_at": t.CreatedAt.UTC().Format(time.RFC3339), "updated_at": t.UpdatedAt.UTC().Format(time.RFC3339),
	}
	if t.CompanyID != 0 {
		m["company_id"] = t.CompanyID
	}
	if t.GroupID != 0 {
		m["group_id"] = t.GroupID
	}
	if withDescription {
		m["description"] = t.Description
		m["description_text"] = textOf(t.Description)
	}
	return m
}

var tags = regexp.MustCompile(`<[^>]*>`)

func textOf(h string) string { return html.UnescapeString(tags.ReplaceAllString(h, " ")) }

// ticketFields answers with the status field and its choices,
// {"<id>":["agent label","customer label"]}:
// https://developers.freshdesk.com/api/#list_all_ticket_fields
func (s *Server) ticketFields(w http.ResponseWriter) {
	s.mu.Lock()
	choices := map[string][]string{}
	for id, name := range s.statuses {
		choices[strconv.Itoa(id)] = []string{name, name}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, []map[string]any{{"id": 1, "name": "status", "label": "Status", "type": "default_status", "choices": choices}})
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) {
	email := strings.ToLower(r.URL.Query().Get("email"))
	s.mu.Lock()
	out := []map[string]any{}
	for _, c := range s.contacts {
		if email != "" && strings.ToLower(c.Email) != email {
			continue
		}
		var co any
		if c.CompanyID != 0 {
			co = c.CompanyID
		}
		out = append(out, map[string]any{"id": c.ID, "email": c.Email, "company_id": co, "name": c.Email})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// listTickets: https://developers.freshdesk.com/api/#list_all_tickets — no
// status filter; without updated_since only tickets created in the last
// 30 days; order_by created_at desc by default; Link rel=next.
func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.Now()
	var since time.Time
	if v := q.Get("updated_since"); v != "" {
		since, _ = time.Parse(time.RFC3339, v)
	}
	company, _ := strconv.ParseInt(q.Get("company_id"), 10, 64)
	withDesc := strings.Contains(q.Get("include"), "description")
	orderBy := q.Get("order_by")
	desc := q.Get("order_type") != "asc"
	s.mu.Lock()
	var rows []*Ticket
	for _, t := range s.tickets {
		if company != 0 && t.CompanyID != company {
			continue
		}
		if since.IsZero() {
			if t.CreatedAt.Before(now.Add(-30 * 24 * time.Hour)) {
				continue
			}
		} else if t.UpdatedAt.Before(since) {
			continue
		}
		rows = append(rows, t)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].CreatedAt, rows[j].CreatedAt
		if orderBy == "updated_at" {
			a, b = rows[i].UpdatedAt, rows[j].UpdatedAt
		}
		if a.Equal(b) {
			return (rows[i].ID > rows[j].ID) == desc
		}
		return a.After(b) == desc
	})
	out := make([]map[string]any, 0)
	page, per := paging(q.Get("page"), q.Get("per_page"))
	for i := (page - 1) * per; i < len(rows) && i < page*per; i++ {
		out = append(out, rows[i].wire(withDesc))
	}
	more := page*per < len(rows)
	s.mu.Unlock()
	if more {
		setNext(w, r, page)
	}
	writeJSON(w, http.StatusOK, out)
}

func paging(p, pp string) (page, per int) {
	page, per = 1, 30
	if n, err := strconv.Atoi(p); err == nil {
		page = n
	}
	if n, err := strconv.Atoi(pp); err == nil {
		per = n
	}
	return page, per
}

// setNext writes Link: <…page=N+1>; rel="next", an absolute URL on the
// same host as Freshdesk does.
func setNext(w http.ResponseWriter, r *http.Request, page int) {
	q := r.URL.Query()
	q.Set("page", strconv.Itoa(page+1))
	w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?%s>; rel="next"`, r.Host, r.URL.Path, q.Encode()))
}
