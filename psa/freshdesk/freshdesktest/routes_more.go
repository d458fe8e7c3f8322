package freshdesktest

// The fake's writes: ticket create and update, notes and conversations.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

type createBody struct {
	RequesterID *int64 `json:"requester_id"`
	Email       string `json:"email"`
	Subject     string `json:"subject"`
	Description string `json:"description"`
	Status      *int   `json:"status"`
	Priority    *int   `json:"priority"`
	Source      *int   `json:"source"`
	CompanyID   *int64 `json:"company_id"`
	GroupID     *int64 `json:"group_id"`
}

// createTicket: https://developers.freshdesk.com/api/#create_ticket
// (status defaults to 2, priority to 1, source to 2 via the API).
func (s *Server) createTicket(w http.ResponseWriter, r *http.Request, body []byte) {
	var b createBody
	if err := json.Unmarshal(body, &b); err != nil {
		writeValidation(w, fieldError{"", err.Error(), "invalid_json"})
		return
	}
	s.mu.Lock()
	var errs []fieldError
	if b.CompanyID != nil {
		if _, ok := s.companies[*b.CompanyID]; !ok {
			errs = append(errs, fieldError{"company_id", "There is no company matching the given company_id", "invalid_value"})
		}
	}
	if b.GroupID != nil {
		if _, ok := s.groups[*b.GroupID]; !ok {
			errs = append(errs, fieldError{"group_id", "There is no group matching the given group_id", "invalid_value"})
		}
	}
	t := Ticket{Subject: b.Subject, Description: b.Description, Status: 2, Priority: 1, Source: 2}
	if b.Status != nil {
		if _, ok := s.statuses[*b.Status]; !ok {
			errs = append(errs, fieldError{"status", "It should be one of these values: the ticket's statuses", "invalid_value"})
		}
		t.Status = *b.Status
	}
	if b.Priority != nil {
		t.Priority = *b.Priority
	}
	if b.Source != nil {
		t.Source = *b.Source
	}
	if b.CompanyID != nil {
		t.CompanyID = *b.CompanyID
	}
	if b.GroupID != nil {
		t.GroupID = *b.GroupID
	}
	switch {
	case b.RequesterID != nil:
		found := false
		for _, c := range s.contacts {
			found = found || c.ID == *b.RequesterID
		}
		if !found {
			errs = append(errs, fieldError{"requester_id", "There is no contact matching the given requester_id", "invalid_value"})
		}
		t.RequesterID = *b.RequesterID
	case b.Email != "":
		// An unknown e-mail becomes a new contact, as Freshdesk does.
		for _, c := range s.contacts {
			if strings.EqualFold(c.Email, b.Email) {
				t.RequesterID = c.ID
			}
		}
		if t.RequesterID == 0 {
			s.nextID++
			t.RequesterID = s.nextID
			s.contacts = append(s.contacts, Contact{ID: t.RequesterID, Email: b.Email})
		}
	}
	if len(errs) > 0 {
		s.violations = append(s.violations, fmt.Sprintf("POST /api/v2/tickets: %v", errs))
		s.mu.Unlock()
		writeValidation(w, errs...)
		return
	}
	s.nextID++
	t.ID = s.nextID
	t.CreatedAt, t.UpdatedAt = s.Now(), s.Now()
	s.tickets[t.ID] = &t
	out := t.wire(true)
	drop := s.dropCreates > 0
	if drop {
		s.dropCreates--
	}
	s.mu.Unlock()
	if drop {
		hijackClose(w)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// hijackClose closes the connection without an answer: the create
// happened, the client sees a dropped connection.
func hijackClose(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			_ = c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// updateTicket: https://developers.freshdesk.com/api/#update_ticket
func (s *Server) updateTicket(w http.ResponseWriter, id int64, body []byte) {
	var b struct {
		Status *int `json:"status"`
	}
	_ = json.Unmarshal(body, &b)
	s.mu.Lock()
	t, ok := s.tickets[id]
	if !ok {
		s.mu.Unlock()
		writeNotFound(w)
		return
	}
	if b.Status != nil {
		if _, ok := s.statuses[*b.Status]; !ok {
			s.mu.Unlock()
			writeValidation(w, fieldError{"status", "It should be one of these values: the ticket's statuses", "invalid_value"})
			return
		}
		t.Status = *b.Status
	}
	t.UpdatedAt = s.Now()
	out := t.wire(true)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// createNote: https://developers.freshdesk.com/api/#add_note (private
// defaults to true).
func (s *Server) createNote(w http.ResponseWriter, id int64, body []byte) {
	var b struct {
		Body         string   `json:"body"`
		Private      *bool    `json:"private"`
		NotifyEmails []string `json:"notify_emails"`
	}
	_ = json.Unmarshal(body, &b)
	s.mu.Lock()
	t, ok := s.tickets[id]
	if !ok {
		s.mu.Unlock()
		writeNotFound(w)
		return
	}
	s.nextID++
	n := Note{ID: s.nextID, TicketID: id, Body: b.Body, Private: b.Private == nil || *b.Private, NotifyEmails: b.NotifyEmails, CreatedAt: s.Now()}
	s.notes = append(s.notes, n)
	t.UpdatedAt = n.CreatedAt
	drop := s.dropNotes > 0
	if drop {
		s.dropNotes--
	}
	s.mu.Unlock()
	if drop {
		hijackClose(w)
		return
	}
	writeJSON(w, http.StatusCreated, n.wire())
}

func (n Note) wire() map[string]any {
	emails := n.NotifyEmails
	if emails == nil {
		emails = []string{}
	}
	return map[string]any{
		"id": n.ID, "ticket_id": n.TicketID, "body": n.Body, "body_text": textOf(n.Body), "private": n.Private,
		"incoming": false, "user_id": 1, "notify_emails": emails,
		"created_at": n.CreatedAt.UTC().Format(time.RFC3339), "updated_at": n.CreatedAt.UTC().Format(time.RFC3339),
	}
}

// listConversations: https://developers.freshdesk.com/api/#list_all_ticket_notes
func (s *Server) listConversations(w http.ResponseWriter, r *http.Request, id int64) {
	s.mu.Lock()
	if _, ok := s.tickets[id]; !ok {
		s.mu.Unlock()
		writeNotFound(w)
		return
	}
	var all []Note
	for _, n := range s.notes {
		if n.TicketID == id {
			all = append(all, n)
		}
	}
	s.mu.Unlock()
	page, per := paging(r.URL.Query().Get("page"), r.URL.Query().Get("per_page"))
	out := make([]map[string]any, 0)
	for i := (page - 1) * per; i < len(all) && i < page*per; i++ {
		out = append(out, all[i].wire())
	}
	if page*per < len(all) {
		setNext(w, r, page)
	}
	writeJSON(w, http.StatusOK, out)
}
