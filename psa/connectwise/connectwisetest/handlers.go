package connectwisetest

import (
	"encoding/json"
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

type idRef struct {
	ID int `json:"id"`
}

type ticketIn struct {
	Summary                 string `json:"summary"`
	Company                 *idRef `json:"company"`
	Board                   *idRef `json:"board"`
	Status                  *idRef `json:"status"`
	Contact                 *idRef `json:"contact"`
	Type                    *idRef `json:"type"`
	Priority                *idRef `json:"priority"`
	ExternalXRef            string `json:"externalXRef"`
	InitialDescription      string `json:"initialDescription"`
	InitialInternalAnalysis string `json:"initialInternalAnalysis"`
	ProcessNotifications    *bool  `json:"processNotifications"`
}

// createTicket checks what the schema cannot (ids exist and belong
// together), as the server does with its "errors" list.
func (s *Server) createTicket(w http.ResponseWriter, body []byte) {
	var in ticketIn
	if err := json.Unmarshal(body, &in); err != nil {
		writeErr(w, 400, "InvalidObject", "The ticket object is invalid: "+err.Error())
		return
	}
	invalid := func(field, msg string) {
		writeErr(w, 400, "InvalidObject", "ticket object is invalid", cwSubError{Code: "InvalidObject", Message: msg, Resource: "ticket", Field: field})
	}
	if _, ok := s.companies[in.Company.ID]; !ok {
		invalid("company", fmt.Sprintf("company id %d not found", in.Company.ID))
		return
	}
	t := &Ticket{Summary: in.Summary, CompanyID: in.Company.ID, ExternalXRef: in.ExternalXRef,
		InitialDescription: in.InitialDescription, InitialInternalAnalysis: in.InitialInternalAnalysis,
		ProcessNotifications: in.ProcessNotifications}
	if in.Board == nil {
		invalid("board", "board is required (no default board in the fake)")
		return
	}
	sts, ok := s.boards[in.Board.ID]
	if !ok {
		invalid("board", fmt.Sprintf("board id %d not found", in.Board.ID))
		return
	}
	t.BoardID = in.Board.ID
	if in.Status != nil {
		if _, ok := s.status(t.BoardID, in.Status.ID); !ok {
			invalid("status", fmt.Sprintf("status id %d is not a status of board %d", in.Status.ID, t.BoardID))
			return
		}
		t.StatusID = in.Status.ID
	} else if len(sts) > 0 {
		t.StatusID = sts[0].ID
	}
	if in.Contact != nil {
		found := false
		for _, c := range s.contacts {
			found = found || (c.ID == in.Contact.ID && c.CompanyID == t.CompanyID)
		}
		if !found {
			invalid("contact", fmt.Sprintf("contact id %d is not a contact of company %d", in.Contact.ID, t.CompanyID))
			return
		}
		t.ContactID = in.Contact.ID
	}
	if in.Type != nil {
		found := false
		for _, id := range s.boardTypes[t.BoardID] {
			found = found || id == in.Type.ID
		}
		if !found {
			invalid("type", fmt.Sprintf("type id %d is not a type of board %d", in.Type.ID, t.BoardID))
			return
		}
		t.TypeID = in.Type.ID
	}
	if in.Priority != nil {
		if _, ok := s.priorities[in.Priority.ID]; !ok {
			invalid("priority", fmt.Sprintf("priority id %d not found", in.Priority.ID))
			return
		}
		t.PriorityID = in.Priority.ID
	}
	s.nextTicket++
	t.ID = s.nextTicket
	t.Entered, t.Updated = s.now(), s.now()
	s.tickets[t.ID] = t
	if s.dropCreate > 0 {
		s.dropCreate--
		drop(w)
		return
	}
	writeJSON(w, 201, s.ticketJSON(t))
}

type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// patchTicket understands the status change in both forms real clients
// send: path "status" with {"id":N}, and path "status/id" with N.
func (s *Server) patchTicket(w http.ResponseWriter, id string, body []byte) {
	n, _ := atoiPath(id)
	t, ok := s.tickets[n]
	if !ok {
		writeErr(w, 404, "NotFound", fmt.Sprintf("Ticket Id %s not found", id))
		return
	}
	var ops []patchOp
	if err := json.Unmarshal(body, &ops); err != nil || len(ops) == 0 {
		writeErr(w, 400, "InvalidObject", "a list of patch operations is required")
		return
	}
	for _, op := range ops {
		if op.Op != "replace" {
			writeErr(w, 400, "InvalidObject", "the fake understands op replace, got "+op.Op)
			return
		}
		var sid int
		switch op.Path {
		case "status":
			var ref idRef
			if err := json.Unmarshal(op.Value, &ref); err != nil {
				writeErr(w, 400, "InvalidObject", "status must be {\"id\":N}")
				return
			}
			sid = ref.ID
		case "status/id":
			if err := json.Unmarshal(op.Value, &sid); err != nil {
				writeErr(w, 400, "InvalidObject", "status/id must be a number")
				return
			}
		default:
			writeErr(w, 400, "InvalidObject", "the fake understands status and status/id, got "+op.Path)
			return
		}
		st, ok := s.status(t.BoardID, sid)
		if !ok {
			writeErr(w, 400, "InvalidObject", "ticket object is invalid", cwSubError{Code: "InvalidObject", Message: fmt.Sprintf("status id %d is not a status of board %d", sid, t.BoardID), Resource: "ticket", Field: "status"})
			return
		}
		t.StatusID, t.Closed, t.Updated = sid, st.Closed, s.now()
	}
	writeJSON(w, 200, s.ticketJSON(t))
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request, id string) {
	n, _ := atoiPath(id)
	if _, ok := s.tickets[n]; !ok {
		writeErr(w, 404, "NotFound", fmt.Sprintf("Ticket Id %s not found", id))
		return
	}
	if c := r.URL.Query().Get("conditions"); c != "" {
		writeErr(w, 400, "InvalidObject", "the fake takes no conditions on notes")
		return
	}
	var rows []any
	for _, nt := range s.notes[n] {
		rows = append(rows, noteJSON(nt))
	}
	s.page(w, r, rows)
}

func noteJSON(n Note) map[string]any {
	return map[string]any{"id": n.ID, "ticketId": n.TicketID, "text": n.Text,
		"internalAnalysisFlag":  n.InternalAnalysisFlag != nil && *n.InternalAnalysisFlag,
		"detailDescriptionFlag": n.DetailDescriptionFlag != nil && *n.DetailDescriptionFlag,
		"resolutionFlag":        n.ResolutionFlag != nil && *n.ResolutionFlag}
}

// addNote: the server wants text and at least one of the three flags.
func (s *Server) addNote(w http.ResponseWriter, id string, body []byte) {
	n, _ := atoiPath(id)
	if _, ok := s.tickets[n]; !ok {
		writeErr(w, 404, "NotFound", fmt.Sprintf("Ticket Id %s not found", id))
		return
	}
	var in Note
	var raw struct {
		Text                  string `json:"text"`
		InternalAnalysisFlag  *bool  `json:"internalAnalysisFlag"`
		DetailDescriptionFlag *bool  `json:"detailDescriptionFlag"`
		ResolutionFlag        *bool  `json:"resolutionFlag"`
		ProcessNotifications  *bool  `json:"processNotifications"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		writeErr(w, 400, "InvalidObject", "The note object is invalid: "+err.Error())
		return
	}
	if strings.TrimSpace(raw.Text) == "" {
		writeErr(w, 400, "InvalidObject", "note object is invalid", cwSubError{Code: "NullOrEmpty", Message: "text may not be empty", Resource: "note", Field: "text"})
		return
	}
	isTrue := func(b *bool) bool { return b != nil && *b }
	if !isTrue(raw.InternalAnalysisFlag) && !isTrue(raw.DetailDescriptionFlag) && !isTrue(raw.ResolutionFlag) {
		writeErr(w, 400, "InvalidObject", "note object is invalid", cwSubError{Code: "InvalidObject", Message: "one of detailDescriptionFlag, internalAnalysisFlag or resolutionFlag must be true", Resource: "note", Field: "flags"})
		return
	}
	s.nextNote++
	in = Note{ID: s.nextNote, TicketID: n, Text: raw.Text, InternalAnalysisFlag: raw.InternalAnalysisFlag,
		DetailDescriptionFlag: raw.DetailDescriptionFlag, ResolutionFlag: raw.ResolutionFlag, ProcessNotifications: raw.ProcessNotifications}
	s.notes[n] = append(s.notes[n], in)
	s.tickets[n].Updated = s.now()
	if s.dropNote > 0 {
		s.dropNote--
		drop(w)
		return
	}
	writeJSON(w, 201, noteJSON(in))
}
