package kaseyabmstest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const wireTime = "2006-01-02T15:04:05Z"

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func num(m map[string]any, k string) int {
	switch v := m[k].(type) {
	case float64:
		return int(v)
	case json.Number:
		n, _ := v.Int64()
		return int(n)
	}
	return 0
}

func (s *Server) issue() map[string]any {
	now := s.Now()
	a, r := newToken(), newToken()
	s.access[a] = now.Add(s.AccessTTL)
	s.refresh[r] = now.Add(s.RefreshTTL)
	return envelope(map[string]any{"accessToken": a, "refreshToken": r,
		"accessTokenExpireOn": now.Add(s.AccessTTL).UTC().Format(time.RFC3339), "refreshTokenExpireOn": now.Add(s.RefreshTTL).UTC().Format(time.RFC3339)}, nil)
}

func (s *Server) authenticate(w http.ResponseWriter, v *validated) {
	f := v.form
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Get("GrantType") != "password" || f.Get("UserName") != s.user || f.Get("Password") != s.password || !strings.EqualFold(f.Get("Tenant"), s.tenant) {
		writeJSON(w, http.StatusOK, errEnvelope(401, "Invalid username, password or tenant.", ""))
		return
	}
	s.authN++
	writeJSON(w, http.StatusOK, s.issue())
}

func (s *Server) refreshToken(w http.ResponseWriter, v *validated) {
	rt := v.form.Get("RefreshToken")
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.refresh[rt]
	if !ok || !s.Now().Before(exp) {
		writeJSON(w, http.StatusOK, errEnvelope(401, "Invalid or expired refresh token.", ""))
		return
	}
	delete(s.refresh, rt)
	delete(s.access, v.form.Get("AccessToken"))
	s.refreshN++
	writeJSON(w, http.StatusOK, s.issue())
}

func (s *Server) ticketJSON(t *Ticket) map[string]any {
	m := map[string]any{"id": t.ID, "ticketNumber": t.Number, "title": t.Title, "details": t.Details,
		"accountId": t.AccountID, "locationId": t.LocationID, "statusId": t.StatusID, "statusName": s.name(TableStatuses, t.StatusID),
		"priorityId": t.PriorityID, "typeId": t.TypeID, "sourceId": t.SourceID,
		"createdOn":  t.CreatedOn.UTC().Format("2006-01-02T15:04:05"), // BMS dates often carry no zone
		"modifiedOn": t.ModifiedOn.UTC().Format("2006-01-02T15:04:05"), "openDate": t.OpenDate.UTC().Format(wireTime),
		"completedDate": nil}
	if a := s.accounts[t.AccountID]; a != nil {
		m["accountName"] = a.name
	}
	if t.ContactID != 0 {
		m["contactId"] = t.ContactID
	}
	if !t.Completed.IsZero() {
		m["completedDate"] = t.Completed.UTC().Format(wireTime)
	}
	return m
}

func (s *Server) name(table string, id int) string {
	for _, l := range s.lookups[table] {
		if l.id == id {
			return l.name
		}
	}
	return ""
}

func (s *Server) has(table string, id int) bool {
	return slices.ContainsFunc(s.lookups[table], func(l lookup) bool { return l.id == id })
}

func (s *Server) search(w http.ResponseWriter, v *validated) {
	page, size := num(v.json, "PageNumber"), num(v.json, "PageSize")
	if page < 1 {
		page = 1
	}
	if size < 1 || size > 100 {
		size = 25
	}
	f, _ := v.json["Filter"].(map[string]any)
	var ids []int
	for _, a := range strings.Split(str(f, "AccountIds"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(a)); err == nil {
			ids = append(ids, n)
		}
	}
	details := strings.ToLower(str(f, "Details"))
	from, _ := time.Parse(time.RFC3339, str(f, "CreatedOnFrom"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []*Ticket
	for _, t := range s.tickets {
		switch {
		case len(ids) > 0 && !slices.Contains(ids, t.AccountID):
		case num(f, "ExcludeCompleted") == 1 && !t.Completed.IsZero():
		case details != "" && !strings.Contains(strings.ToLower(t.Details), details):
		case !from.IsZero() && t.CreatedOn.Before(from):
		default:
			rows = append(rows, t)
		}
	}
	// Oldest first: the order is the client's business.
	slices.SortFunc(rows, func(a, b *Ticket) int { return a.ID - b.ID })
	out := []any{}
	for i := (page - 1) * size; i < len(rows) && i < page*size; i++ {
		out = append(out, s.ticketJSON(rows[i]))
	}
	writeJSON(w, http.StatusOK, envelope(out, map[string]any{"totalRecords": len(rows)}))
}

func (s *Server) getTicket(w http.ResponseWriter, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, errEnvelope(404, "Ticket not found.", ""))
		return
	}
	writeJSON(w, http.StatusOK, envelope(s.ticketJSON(t), nil))
}

// create enforces what BMS checks beyond the schema: the account and its
// location, the contact's account, and that every id is in its lookup.
func (s *Server) create(w http.ResponseWriter, v *validated) {
	b := v.json
	s.mu.Lock()
	a := s.accounts[num(b, "AccountId")]
	var problem string
	switch {
	case a == nil:
		problem = "Account does not exist."
	case !slices.Contains(a.locations, num(b, "LocationId")):
		problem = "Location does not belong to the account."
	case !s.has(TableStatuses, num(b, "StatusId")):
		problem = "Invalid StatusId."
	case !s.has(TablePriorities, num(b, "PriorityId")):
		problem = "Invalid PriorityId."
	case !s.has(TableTypes, num(b, "TypeId")):
		problem = "Invalid TypeId."
	case !s.has(TableSources, num(b, "SourceId")):
		problem = "Invalid SourceId."
	case num(b, "ContactId") != 0 && !slices.ContainsFunc(s.contacts, func(c contact) bool { return c.id == num(b, "ContactId") && c.account == a.id }):
		problem = "Contact does not belong to the account."
	}
	if problem != "" {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, errEnvelope(400, problem, ""))
		return
	}
	open, _ := time.Parse(time.RFC3339, str(b, "OpenDate"))
	s.nextID++
	now := s.Now()
	t := &Ticket{ID: s.nextID, AccountID: a.id, LocationID: num(b, "LocationId"), ContactID: num(b, "ContactId"),
		StatusID: num(b, "StatusId"), PriorityID: num(b, "PriorityId"), TypeID: num(b, "TypeId"), SourceID: num(b, "SourceId"),
		Title: str(b, "Title"), Details: str(b, "Details"), OpenDate: open, CreatedOn: now, ModifiedOn: now}
	t.Number = "T" + now.Format("20060102") + "." + itoa(t.ID)
	s.tickets[t.ID] = t
	out := s.ticketJSON(t)
	dropIt := s.dropCreate > 0
	if dropIt {
		s.dropCreate--
	}
	s.mu.Unlock()
	if dropIt {
		drop(w)
		return
	}
	writeJSON(w, http.StatusOK, envelope(out, nil))
}

func (s *Server) addNote(w http.ResponseWriter, id int, v *validated) {
	b := v.json
	s.mu.Lock()
	t, ok := s.tickets[id]
	if !ok {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, errEnvelope(404, "Ticket not found.", ""))
		return
	}
	if !s.has(TableNoteTypes, num(b, "TypeId")) {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, errEnvelope(400, "Invalid note TypeId.", ""))
		return
	}
	s.nextNote++
	n := Note{ID: s.nextNote, TicketID: id, TypeID: num(b, "TypeId"), Details: str(b, "Details"), NoteDate: str(b, "NoteDate")}
	n.IsInternal, _ = b["IsInternal"].(bool)
	if en, ok := b["EmailNotification"]; ok {
		n.EmailNotification, _ = json.Marshal(en)
	}
	s.notes[id] = append(s.notes[id], n)
	t.ModifiedOn = s.Now()
	dropIt := s.dropNote > 0
	if dropIt {
		s.dropNote--
	}
	s.mu.Unlock()
	if dropIt {
		drop(w)
		return
	}
	writeJSON(w, http.StatusOK, envelope(noteJSON(n), nil))
}

func noteJSON(n Note) map[string]any {
	return map[string]any{"id": n.ID, "details": n.Details, "isInternal": n.IsInternal, "typeId": n.TypeID}
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request, id int) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("PageNumber"))
	size, _ := strconv.Atoi(q.Get("PageSize"))
	if page < 1 {
		page = 1
	}
	if size < 1 || size > 100 {
		size = 25
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tickets[id]; !ok {
		writeJSON(w, http.StatusNotFound, errEnvelope(404, "Ticket not found.", ""))
		return
	}
	ns := s.notes[id]
	out := []any{}
	for i := (page - 1) * size; i < len(ns) && i < page*size; i++ {
		out = append(out, noteJSON(ns[i]))
	}
	writeJSON(w, http.StatusOK, envelope(out, nil))
}

func (s *Server) resolve(w http.ResponseWriter, id int, v *validated) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[id]
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, errEnvelope(404, "Ticket not found.", ""))
		return
	case !t.Completed.IsZero():
		writeJSON(w, http.StatusOK, errEnvelope(400, "Ticket is already completed.", ""))
		return
	}
	st := num(v.json, "StatusId")
	if st != 0 && !s.has(TableStatuses, st) {
		writeJSON(w, http.StatusOK, errEnvelope(400, "Invalid StatusId.", ""))
		return
	}
	if st == 0 {
		st = -1 // BMS's own "Completed"
	}
	t.StatusID, t.Completed, t.ModifiedOn = st, s.Now(), s.Now()
	s.notes[id] = append(s.notes[id], Note{TicketID: id, Details: str(v.json, "Comment"), IsInternal: v.json["IsInternal"] == true})
	writeJSON(w, http.StatusOK, envelope(s.ticketJSON(t), nil))
}

func (s *Server) lookup(w http.ResponseWriter, table string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, ok := s.lookups[table]
	if !ok {
		writeJSON(w, http.StatusOK, errEnvelope(404, "Lookup table not found.", ""))
		return
	}
	out := []any{}
	for _, l := range rows {
		out = append(out, map[string]any{"id": l.id, "name": l.name, "isActive": true, "isDefault": false})
	}
	writeJSON(w, http.StatusOK, envelope(out, nil))
}

// account answers a bare AccountSummaryOutputDto, as the vendor file says.
func (s *Server) account(w http.ResponseWriter, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, errEnvelope(404, "Account not found.", ""))
		return
	}
	locs := []any{}
	for _, l := range a.locations {
		locs = append(locs, map[string]any{"id": l, "locationName": "Location " + itoa(l), "isActive": true, "isMain": len(locs) == 0})
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": a.id, "accountName": a.name, "isActive": true, "locations": locs})
}

func (s *Server) contactSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var ids []int
	for _, a := range q["Filter.AccountIds"] {
		for _, p := range strings.Split(a, ",") {
			if n, err := strconv.Atoi(p); err == nil {
				ids = append(ids, n)
			}
		}
	}
	email := q.Get("Filter.EmailAddress")
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, c := range s.contacts {
		if (len(ids) == 0 || slices.Contains(ids, c.account)) && (email == "" || strings.EqualFold(email, c.email)) {
			out = append(out, map[string]any{"id": c.id, "accountId": c.account, "emailAddress": c.email, "isActive": true})
		}
	}
	writeJSON(w, http.StatusOK, envelope(out, nil))
}
