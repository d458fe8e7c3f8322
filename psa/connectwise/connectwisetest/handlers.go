package connectwisetest

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// route dispatches a request that passed auth and the contract.
func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte) {
	p := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, Prefix), "/"), "/")
	key := r.Method + " " + strings.Join(p, "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case key == "GET system/info":
		writeJSON(w, 200, map[string]any{"version": "v2025.8.12345", "isCloud": true, "serverTimeZone": "Eastern Standard Time", "cloudRegion": "NA"})
	case len(p) == 3 && p[0] == "company" && p[1] == "companies" && r.Method == "GET":
		s.getCompany(w, p[2])
	case key == "GET company/contacts":
		s.listContacts(w, r)
	case len(p) == 4 && p[0] == "service" && p[1] == "boards" && p[3] == "statuses":
		s.listStatuses(w, r, p[2])
	case len(p) == 4 && p[0] == "service" && p[1] == "boards" && p[3] == "types":
		s.listTypes(w, r, p[2])
	case len(p) == 3 && p[0] == "service" && p[1] == "priorities":
		s.getPriority(w, p[2])
	case key == "GET service/tickets":
		s.listTickets(w, r)
	case key == "POST service/tickets":
		s.createTicket(w, body)
	case len(p) == 3 && p[1] == "tickets" && r.Method == "GET":
		s.getTicket(w, p[2])
	case len(p) == 3 && p[1] == "tickets" && r.Method == "PATCH":
		s.patchTicket(w, p[2], body)
	case len(p) == 4 && p[1] == "tickets" && p[3] == "notes" && r.Method == "GET":
		s.listNotes(w, r, p[2])
	case len(p) == 4 && p[1] == "tickets" && p[3] == "notes" && r.Method == "POST":
		s.addNote(w, p[2], body)
	default:
		writeErr(w, 404, "NotFound", "The requested resource was not found")
	}
}

func (s *Server) getCompany(w http.ResponseWriter, id string) {
	n, _ := atoiPath(id)
	c, ok := s.companies[n]
	if !ok {
		writeErr(w, 404, "NotFound", fmt.Sprintf("Company Id %s not found", id))
		return
	}
	writeJSON(w, 200, map[string]any{"id": c.ID, "identifier": c.Identifier, "name": c.Name})
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cs, err := parseConditions(q.Get("conditions"))
	if err != nil {
		writeErr(w, 400, "InvalidObject", "conditions: "+err.Error())
		return
	}
	child, err := parseConditions(q.Get("childConditions"))
	if err != nil {
		writeErr(w, 400, "InvalidObject", "childConditions: "+err.Error())
		return
	}
	var rows []any
	for _, c := range s.contacts {
		ok, err := match(cs, map[string]any{"id": c.ID, "company/id": c.CompanyID, "inactiveFlag": false})
		if err == nil && ok {
			ok, err = match(child, map[string]any{"communicationItems/value": c.Email, "communicationItems/communicationType": "Email"})
		}
		if err != nil {
			writeErr(w, 400, "InvalidObject", err.Error())
			return
		}
		if ok {
			rows = append(rows, contactJSON(c, s.companies[c.CompanyID]))
		}
	}
	s.page(w, r, rows)
}

func contactJSON(c Contact, co Company) map[string]any {
	return map[string]any{
		"id": c.ID, "firstName": c.FirstName, "lastName": c.LastName,
		"company":            map[string]any{"id": co.ID, "identifier": co.Identifier, "name": co.Name},
		"communicationItems": []any{map[string]any{"type": map[string]any{"id": 1, "name": "Email"}, "value": c.Email, "defaultFlag": true, "communicationType": "Email"}},
	}
}

func (s *Server) listStatuses(w http.ResponseWriter, r *http.Request, board string) {
	n, _ := atoiPath(board)
	sts, ok := s.boards[n]
	if !ok {
		writeErr(w, 404, "NotFound", fmt.Sprintf("Board Id %s not found", board))
		return
	}
	var rows []any
	for i, st := range sts {
		rows = append(rows, map[string]any{"id": st.ID, "name": st.Name, "board": map[string]any{"id": n}, "sortOrder": i, "closedStatus": st.Closed, "inactive": false})
	}
	s.page(w, r, rows)
}

func (s *Server) listTypes(w http.ResponseWriter, r *http.Request, board string) {
	n, _ := atoiPath(board)
	if _, ok := s.boards[n]; !ok {
		writeErr(w, 404, "NotFound", fmt.Sprintf("Board Id %s not found", board))
		return
	}
	var rows []any
	for _, id := range s.boardTypes[n] {
		rows = append(rows, map[string]any{"id": id, "name": fmt.Sprintf("Type %d", id), "board": map[string]any{"id": n}})
	}
	s.page(w, r, rows)
}

func (s *Server) getPriority(w http.ResponseWriter, id string) {
	n, _ := atoiPath(id)
	name, ok := s.priorities[n]
	if !ok {
		writeErr(w, 404, "NotFound", fmt.Sprintf("Priority Id %s not found", id))
		return
	}
	writeJSON(w, 200, map[string]any{"id": n, "name": name, "color": "Green"})
}

// page answers one page of rows with ConnectWise's page/pageSize and a
// Link header (rel="next") when more follow.
func (s *Server) page(w http.ResponseWriter, r *http.Request, rows []any) {
	q := r.URL.Query()
	page, size := 1, 25
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	if v, err := strconv.Atoi(q.Get("pageSize")); err == nil && v > 0 {
		size = min(v, 1000)
	}
	from := min((page-1)*size, len(rows))
	to := min(from+size, len(rows))
	if to < len(rows) {
		next := *r.URL
		nq := url.Values(q)
		nq.Set("page", strconv.Itoa(page+1))
		next.RawQuery = nq.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s%s>; rel="next"`, "http://"+r.Host, next.RequestURI()))
	}
	out := rows[from:to]
	if out == nil {
		out = []any{}
	}
	writeJSON(w, 200, out)
}

func (s *Server) ticketJSON(t *Ticket) map[string]any {
	co := s.companies[t.CompanyID]
	m := map[string]any{
		"id": t.ID, "summary": t.Summary, "recordType": "ServiceTicket",
		"board":      map[string]any{"id": t.BoardID, "name": fmt.Sprintf("Board %d", t.BoardID)},
		"status":     map[string]any{"id": t.StatusID, "name": s.statusName(t.BoardID, t.StatusID)},
		"company":    map[string]any{"id": t.CompanyID, "identifier": co.Identifier, "name": co.Name},
		"closedFlag": t.Closed,
		"_info": map[string]string{
			"lastUpdated": t.Updated.UTC().Format(time.RFC3339),
			"dateEntered": t.Entered.UTC().Format(time.RFC3339),
		},
	}
	if t.ExternalXRef != "" {
		m["externalXRef"] = t.ExternalXRef
	}
	if t.ContactID != 0 {
		m["contact"] = map[string]any{"id": t.ContactID}
	}
	return m
}

func (s *Server) statusName(board, id int) string {
	for _, st := range s.boards[board] {
		if st.ID == id {
			return st.Name
		}
	}
	return ""
}

func (s *Server) status(board, id int) (Status, bool) {
	for _, st := range s.boards[board] {
		if st.ID == id {
			return st, true
		}
	}
	return Status{}, false
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cs, err := parseConditions(q.Get("conditions"))
	if err != nil {
		writeErr(w, 400, "InvalidObject", "conditions: "+err.Error())
		return
	}
	var ts []*Ticket
	for _, t := range s.tickets {
		ok, err := match(cs, map[string]any{
			"id": t.ID, "company/id": t.CompanyID, "board/id": t.BoardID, "status/id": t.StatusID,
			"closedFlag": t.Closed, "externalXRef": t.ExternalXRef, "summary": t.Summary,
		})
		if err != nil {
			writeErr(w, 400, "InvalidObject", err.Error())
			return
		}
		if ok {
			ts = append(ts, t)
		}
	}
	switch ob := strings.ToLower(strings.TrimSpace(q.Get("orderBy"))); ob {
	case "", "id asc", "id":
		sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
	case "id desc":
		sort.Slice(ts, func(i, j int) bool { return ts[i].ID > ts[j].ID })
	default:
		writeErr(w, 400, "InvalidObject", "orderBy: the fake understands id asc|desc, got "+ob)
		return
	}
	rows := make([]any, 0, len(ts))
	for _, t := range ts {
		rows = append(rows, s.ticketJSON(t))
	}
	s.page(w, r, rows)
}

func (s *Server) getTicket(w http.ResponseWriter, id string) {
	n, _ := atoiPath(id)
	t, ok := s.tickets[n]
	if !ok {
		writeErr(w, 404, "NotFound", fmt.Sprintf("Ticket Id %s not found", id))
		return
	}
	writeJSON(w, 200, s.ticketJSON(t))
}
