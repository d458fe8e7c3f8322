package superops

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/psa"
)

// wireTicket is a Ticket as getTicket/getTicketList return it.
type wireTicket struct {
	TicketID    json.RawMessage `json:"ticketId"`
	DisplayID   string          `json:"displayId"`
	Subject     string          `json:"subject"`
	Status      string          `json:"status"`
	Client      jsonRef         `json:"client"`
	CreatedTime string          `json:"createdTime"`
	UpdatedTime string          `json:"updatedTime"`
}

// jsonRef is an association JSON value ({accountId, name} or {userId,
// name}). Ids arrive as strings or bare numbers depending on the endpoint;
// a bare number is kept digit for digit.
type jsonRef struct {
	AccountID json.Number `json:"accountId"`
	UserID    json.Number `json:"userId"`
	Name      string      `json:"name"`
}

func (r *jsonRef) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil // an unexpected shape is "no association", not a failure
	}
	r.AccountID = idOf(raw["accountId"])
	r.UserID = idOf(raw["userId"])
	_ = json.Unmarshal(raw["name"], &r.Name)
	return nil
}

func idOf(b json.RawMessage) json.Number {
	s := strings.TrimSpace(string(b))
	if s == "" || s == "null" {
		return ""
	}
	if strings.HasPrefix(s, `"`) {
		var v string
		_ = json.Unmarshal(b, &v)
		return json.Number(v)
	}
	return json.Number(s)
}

func (c *Client) toTicket(w wireTicket) psa.Ticket {
	return psa.Ticket{
		ID: idOf(w.TicketID).String(), Number: w.DisplayID, Summary: w.Subject, Status: w.Status,
		CompanyID: w.Client.AccountID.String(), Closed: !c.isOpen(w.Status), Updated: parseTime(w.UpdatedTime),
	}
}

// parseTime reads the forms SuperOps uses (with or without zone and
// fraction); zone-less times are UTC.
func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// jsonRefID is an id field that may be a string or a bare number.
type jsonRefID string

func (j *jsonRefID) UnmarshalJSON(b []byte) error {
	*j = jsonRefID(idOf(b))
	return nil
}
