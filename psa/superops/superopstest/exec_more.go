package superopstest

// The fake's list conditions, lookups and mutations (create, update, note).

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

type matcher func(*Server, *Ticket) bool

// condition compiles a leaf {attribute, operator, value} or a group
// {joinOperator, operands}; anything else is refused.
func (s *Server) condition(v any) (matcher, bool) {
	if v == nil {
		return func(*Server, *Ticket) bool { return true }, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	if j, ok := m["joinOperator"].(string); ok {
		ops, _ := m["operands"].([]any)
		if len(m) != 2 || (j != "AND" && j != "OR") || len(ops) == 0 {
			return nil, false
		}
		var ms []matcher
		for _, o := range ops {
			sub, ok := s.condition(o)
			if !ok {
				return nil, false
			}
			ms = append(ms, sub)
		}
		return func(s *Server, t *Ticket) bool {
			for _, x := range ms {
				if x(s, t) != (j == "AND") {
					return j != "AND"
				}
			}
			return j == "AND"
		}, true
	}
	attr, op := str(m, "attribute"), str(m, "operator")
	if len(m) != 3 || ticketFilters[attr] == "" || ticketFilters[attr] != op {
		return nil, false
	}
	switch attr {
	case "client.name":
		name, ok := m["value"].(string)
		return func(s *Server, t *Ticket) bool { return s.clients[t.AccountID].Name == name }, ok
	case "displayId":
		id, ok := m["value"].(string)
		return func(_ *Server, t *Ticket) bool { return t.DisplayID == id }, ok
	default: // status includes [...]
		list, ok := m["value"].([]any)
		if !ok || len(list) == 0 {
			return nil, false
		}
		set := map[string]bool{}
		for _, x := range list {
			name, ok := x.(string)
			if !ok {
				return nil, false
			}
			set[name] = true
		}
		return func(_ *Server, t *Ticket) bool { return set[t.Status] }, true
	}
}

// userFilters: a client user is looked up by e-mail ("is").
func (s *Server) userList(in map[string]any) (any, *graphQLError) {
	const field = "getClientUserList"
	clientID := str(in, "clientId")
	if clientID != "" {
		if _, ok := s.clients[clientID]; !ok {
			return nil, errp(clientError(field, "entity_does_not_exist", "clientId"))
		}
	}
	email := ""
	if c, ok := in["condition"].(map[string]any); ok {
		if len(c) != 3 || str(c, "attribute") != "email" || str(c, "operator") != "is" || str(c, "value") == "" {
			return nil, errp(clientError(field, "invalid_input", "condition"))
		}
		email = str(c, "value")
	} else if in["condition"] != nil {
		return nil, errp(clientError(field, "invalid_input", "condition"))
	}
	rows := []map[string]any{}
	for _, u := range s.users {
		if (clientID == "" || u.AccountID == clientID) && (email == "" || strings.EqualFold(u.Email, email)) {
			first, last, _ := strings.Cut(u.Name, " ")
			rows = append(rows, map[string]any{"userId": u.UserID, "firstName": first, "lastName": last, "name": u.Name, "email": u.Email,
				"client": map[string]any{"accountId": u.AccountID, "name": s.clients[u.AccountID].Name}, "site": nil})
		}
	}
	lo, hi, info, gerr := page(field, in, len(rows))
	if gerr != nil {
		return nil, gerr
	}
	return map[string]any{"userList": rows[lo:hi], "listInfo": info}, nil
}

func (s *Server) validStatus(name string) bool {
	for _, st := range s.statuses {
		if st == name {
			return true
		}
	}
	return false
}

func (s *Server) validPriority(name string) bool {
	for _, p := range s.priorities {
		if p == name {
			return true
		}
	}
	return false
}

func (s *Server) createTicket(in map[string]any) (any, *graphQLError) {
	const field = "createTicket"
	subject := strings.TrimSpace(str(in, "subject"))
	if subject == "" {
		return nil, errp(clientError(field, "mandatory_validation_failed", "subject"))
	}
	if utf8.RuneCountInString(subject) > subjectLimit {
		return nil, errp(clientError(field, "value_length_exceeds_limit", "subject"))
	}
	cl, _ := in["client"].(map[string]any)
	accountID := str(cl, "accountId")
	if _, ok := s.clients[accountID]; !ok {
		return nil, errp(clientError(field, "entity_does_not_exist", "client"))
	}
	requester := ""
	if rq, ok := in["requester"].(map[string]any); ok {
		requester = str(rq, "userId")
		found := false
		for _, u := range s.users {
			found = found || (u.UserID == requester && u.AccountID == accountID)
		}
		if !found {
			return nil, errp(clientError(field, "entity_does_not_exist", "requester"))
		}
	} else if s.requireRequester {
		return nil, errp(clientError(field, "mandatory_validation_failed", "requester"))
	}
	status := s.statuses[0]
	if v := str(in, "status"); v != "" {
		if !s.validStatus(v) {
			return nil, errp(clientError(field, "entity_does_not_exist", "status"))
		}
		status = v
	}
	tk := s.newTicketLocked(accountID, subject, status)
	tk.RequesterID = requester
	if p := str(in, "priority"); p != "" {
		if !s.validPriority(p) {
			return nil, errp(clientError(field, "entity_does_not_exist", "priority"))
		}
		tk.Priority = p
	}
	if v := str(in, "source"); v != "" {
		tk.Source = v
	}
	if d := str(in, "description"); d != "" {
		s.seq++
		s.convs[tk.ID] = append(s.convs[tk.ID], Conversation{ID: strconv.Itoa(s.seq), TicketID: tk.ID, Content: d, Type: "DESCRIPTION", At: tk.Created})
	}
	return s.ticketJSON(tk), nil
}

func (s *Server) updateTicket(in map[string]any) (any, *graphQLError) {
	const field = "updateTicket"
	tk := s.ticketLocked(str(in, "ticketId"))
	if tk == nil {
		return nil, errp(clientError(field, "entity_does_not_exist", "ticketId"))
	}
	if v, ok := in["status"].(string); ok {
		if !s.validStatus(v) {
			return nil, errp(clientError(field, "entity_does_not_exist", "status"))
		}
		tk.Status = v
	}
	if v, ok := in["subject"].(string); ok {
		tk.Subject = v
	}
	tk.Updated = s.now()
	return s.ticketJSON(tk), nil
}

func (s *Server) createNote(in map[string]any) (any, *graphQLError) {
	const field = "createTicketNote"
	ref, _ := in["ticket"].(map[string]any)
	tk := s.ticketLocked(str(ref, "ticketId"))
	if tk == nil {
		return nil, errp(clientError(field, "entity_does_not_exist", "ticket"))
	}
	content := str(in, "content")
	if strings.TrimSpace(content) == "" {
		return nil, errp(clientError(field, "mandatory_validation_failed", "content"))
	}
	s.seq++
	n := Note{ID: strconv.Itoa(s.seq), TicketID: tk.ID, Content: content, PrivacyType: str(in, "privacyType"), At: s.now()}
	s.notes[tk.ID] = append(s.notes[tk.ID], n)
	tk.Updated = n.At
	return map[string]any{"noteId": n.ID, "addedBy": map[string]any{"userId": "api", "name": "API"}, "addedOn": n.At.Format(time.RFC3339), "content": n.Content, "privacyType": n.PrivacyType}, nil
}
