package connectwisetest

// The fake's writes: ticket create and patch, and notes.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

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
