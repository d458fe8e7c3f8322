package superopstest

import (
	"sort"
	"strconv"
	"time"

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
