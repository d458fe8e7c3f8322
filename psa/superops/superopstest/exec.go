package superopstest

import (
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
)

// maxPageSize is the documented page limit of list queries.
const maxPageSize = 100

// subjectLimit is the fake's length limit for a subject; the reference
// documents no number, so this is the conservative common one.
const subjectLimit = 255

// execute runs the root fields of a checked operation. dropped reports a
// createTicket whose answer must be lost.
func (s *Server) execute(c checked) (map[string]any, []graphQLError, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := map[string]any{}
	var errs []graphQLError
	dropped := false
	for _, sel := range c.op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok {
			continue
		}
		var in map[string]any
		if a := f.Arguments.ForName("input"); a != nil {
			v, err := a.Value.Value(c.vars)
			if err != nil {
				errs = append(errs, validationError("%v", err))
				continue
			}
			if m, ok := v.(map[string]any); ok {
				in = m
			} else {
				in = map[string]any{"": v} // a scalar input (getAllFields)
			}
		}
		val, gerr := s.resolve(f.Name, in)
		if gerr != nil {
			errs = append(errs, *gerr)
			data[alias(f)] = nil
			continue
		}
		if f.Name == "createTicket" && s.dropCreates > 0 {
			s.dropCreates--
			dropped = true
		}
		data[alias(f)] = project(val, f.SelectionSet)
	}
	return data, errs, dropped
}

func alias(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// project keeps what the selection asks for; a leaf (scalar, enum, JSON)
// is returned whole.
func project(v any, sel ast.SelectionSet) any {
	if len(sel) == 0 || v == nil {
		return v
	}
	switch t := v.(type) {
	case []map[string]any:
		out := make([]any, len(t))
		for i, m := range t {
			out[i] = project(m, sel)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for _, s := range sel {
			switch f := s.(type) {
			case *ast.Field:
				if f.Name == "__typename" {
					out[alias(f)] = f.ObjectDefinition.Name
					continue
				}
				out[alias(f)] = project(t[f.Name], f.SelectionSet)
			case *ast.InlineFragment:
				for k, x := range project(t, f.SelectionSet).(map[string]any) {
					out[k] = x
				}
			}
		}
		return out
	}
	return v
}

func (s *Server) resolve(field string, in map[string]any) (any, *graphQLError) {
	switch field {
	case "getTicketList":
		return s.ticketList(in)
	case "getTicket":
		tk := s.ticketLocked(str(in, "ticketId"))
		if tk == nil {
			return nil, errp(clientError(field, "entity_does_not_exist", "ticketId"))
		}
		return s.ticketJSON(tk), nil
	case "getTicketNoteList":
		id := str(in, "ticketId")
		if s.ticketLocked(id) == nil {
			return nil, errp(clientError(field, "entity_does_not_exist", "ticketId"))
		}
		out := []map[string]any{}
		for _, n := range s.notes[id] {
			out = append(out, map[string]any{"noteId": n.ID, "addedBy": map[string]any{"userId": "api", "name": "API"}, "addedOn": n.At.Format(time.RFC3339), "content": n.Content, "privacyType": n.PrivacyType})
		}
		return out, nil
	case "getTicketConversationList":
		id := str(in, "ticketId")
		if s.ticketLocked(id) == nil {
			return nil, errp(clientError(field, "entity_does_not_exist", "ticketId"))
		}
		out := []map[string]any{}
		for _, c := range s.convs[id] {
			out = append(out, map[string]any{"conversationId": c.ID, "content": c.Content, "time": c.At.Format(time.RFC3339), "user": map[string]any{"userId": "api"}, "type": c.Type})
		}
		return out, nil
	case "getClient":
		c, ok := s.clients[str(in, "accountId")]
		if !ok {
			return nil, errp(clientError(field, "entity_does_not_exist", "accountId"))
		}
		return map[string]any{"accountId": c.AccountID, "name": c.Name, "stage": "Active", "status": "Paid", "emailDomains": []any{}}, nil
	case "getClientUserList":
		return s.userList(in)
	case "getAllFields":
		if str(in, "") != "TICKET" {
			return []map[string]any{}, nil
		}
		opts := []map[string]any{}
		for i, st := range s.statuses {
			opts = append(opts, map[string]any{"id": strconv.Itoa(i + 1), "value": st, "order": i + 1})
		}
		prio := []map[string]any{}
		for i, p := range s.priorities {
			prio = append(prio, map[string]any{"id": strconv.Itoa(100 + i), "value": p, "order": i + 1})
		}
		return []map[string]any{
			{"id": "f1", "module": "TICKET", "columnName": "status", "label": "Status", "fieldType": "DROPDOWN", "options": opts},
			{"id": "f2", "module": "TICKET", "columnName": "priority", "label": "Priority", "fieldType": "DROPDOWN", "options": prio},
			{"id": "f3", "module": "TICKET", "columnName": "subject", "label": "Subject", "fieldType": "TEXT", "options": []map[string]any{}},
		}, nil
	case "createTicket":
		return s.createTicket(in)
	case "updateTicket":
		return s.updateTicket(in)
	case "createTicketNote":
		return s.createNote(in)
	}
	return nil, errp(validationError("field %s has no resolver in the fake", field))
}

func errp(e graphQLError) *graphQLError { return &e }

func str(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return v
}

func (s *Server) ticketJSON(tk *Ticket) map[string]any {
	c := s.clients[tk.AccountID]
	var req any
	for _, u := range s.users {
		if u.UserID == tk.RequesterID {
			req = map[string]any{"userId": u.UserID, "name": u.Name}
		}
	}
	return map[string]any{
		"ticketId": tk.ID, "displayId": tk.DisplayID, "subject": tk.Subject, "ticketType": "INCIDENT",
		"requestType": "Incident", "source": tk.Source, "client": map[string]any{"accountId": c.AccountID, "name": c.Name},
		"site": nil, "requester": req, "techGroup": nil, "technician": nil, "status": tk.Status, "priority": tk.Priority,
		"createdTime": tk.Created.Format("2006-01-02T15:04:05"), "updatedTime": tk.Updated.Format("2006-01-02T15:04:05"),
	}
}

// page checks page/pageSize and slices n items.
func page(field string, in map[string]any, n int) (lo, hi int, info map[string]any, gerr *graphQLError) {
	p, size := 1, 10
	if v, ok := in["page"].(float64); ok {
		p = int(v)
	}
	if v, ok := in["pageSize"].(float64); ok {
		size = int(v)
	}
	if p < 1 || size < 1 || size > maxPageSize {
		return 0, 0, nil, errp(clientError(field, "invalid_input", "pageSize"))
	}
	lo = min((p-1)*size, n)
	hi = min(lo+size, n)
	// Live tenants answer hasMore null, not false, on the last page.
	var more any
	if hi < n {
		more = true
	}
	return lo, hi, map[string]any{"page": p, "pageSize": size, "hasMore": more, "totalCount": n}, nil
}

// ticketFilters are the condition attributes the fake accepts on
// getTicketList, with their operators: client.name (the documented client
// filter; client.accountId is not one), status "includes" a list, displayId
// "is" a number.
var ticketFilters = map[string]string{"client.name": "is", "status": "includes", "displayId": "is"}

func (s *Server) ticketList(in map[string]any) (any, *graphQLError) {
	const field = "getTicketList"
	match, ok := s.condition(in["condition"])
	if !ok {
		return nil, errp(clientError(field, "invalid_input", "condition"))
	}
	rows := []*Ticket{}
	for _, tk := range s.tickets {
		if match(s, tk) {
			rows = append(rows, tk)
		}
	}
	if sorts, ok := in["sort"].([]any); ok {
		for i := len(sorts) - 1; i >= 0; i-- {
			sm, _ := sorts[i].(map[string]any)
			attr, order := str(sm, "attribute"), str(sm, "order")
			key := map[string]func(*Ticket) time.Time{
				"createdTime": func(t *Ticket) time.Time { return t.Created },
				"updatedTime": func(t *Ticket) time.Time { return t.Updated },
			}[attr]
			if key == nil {
				return nil, errp(clientError(field, "invalid_input", "sort"))
			}
			sort.SliceStable(rows, func(a, b int) bool {
				if order == "DESC" {
					return key(rows[a]).After(key(rows[b]))
				}
				return key(rows[a]).Before(key(rows[b]))
			})
		}
	}
	lo, hi, info, gerr := page(field, in, len(rows))
	if gerr != nil {
		return nil, gerr
	}
	out := []map[string]any{}
	for _, tk := range rows[lo:hi] {
		out = append(out, s.ticketJSON(tk))
	}
	return map[string]any{"tickets": out, "listInfo": info}, nil
}

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
