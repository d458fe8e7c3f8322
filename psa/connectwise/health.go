package connectwise

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Health implements psa.Tickets for `unlockbot check` and start-up: the
// keys work, the client company exists, and the configured board, status,
// closed status, type and priority exist. Each failure is its own
// sentence naming the config key; bad keys stop the rest.
func (c *Client) Health(ctx context.Context) error {
	org := c.cfg.OrgName
	if err := c.do(ctx, call{method: http.MethodGet, path: "/system/info", idempotent: true, out: &struct{}{}}); err != nil {
		return c.explain("read its system info", err)
	}
	var problems []error
	say := func(format string, a ...any) { problems = append(problems, fmt.Errorf(format, a...)) }

	if cid, err := companyID(c.cfg.CompanyID); err != nil {
		say("%s has no ConnectWise company id: set psa.company_id to the company's number (Companies > Company > id)", org)
	} else {
		err := c.do(ctx, call{method: http.MethodGet, path: "/company/companies/" + strconv.Itoa(cid), idempotent: true, out: &struct{}{}})
		switch {
		case statusOf(err) == http.StatusNotFound:
			say("ConnectWise has no company id %d for %s: check psa.company_id", cid, org)
		case err != nil:
			problems = append(problems, c.explain(fmt.Sprintf("read company %d", cid), err))
		}
	}

	var statuses []struct {
		ID           int    `json:"id"`
		Name         string `json:"name"`
		ClosedStatus bool   `json:"closedStatus"`
		Inactive     bool   `json:"inactive"`
	}
	board := strconv.Itoa(c.cfg.BoardID)
	err := c.do(ctx, call{method: http.MethodGet, path: "/service/boards/" + board + "/statuses", idempotent: true, out: &statuses,
		query: url.Values{"fields": {"id,name,closedStatus,inactive"}, "pageSize": {"1000"}}})
	switch {
	case statusOf(err) == http.StatusNotFound:
		say("ConnectWise refused the board id %d for %s: check psa.connectwise.board_id", c.cfg.BoardID, org)
	case err != nil:
		problems = append(problems, c.explain("read the statuses of board "+board, err))
	default:
		find := func(id int) (closed, ok bool) {
			for _, s := range statuses {
				if s.ID == id && !s.Inactive {
					return s.ClosedStatus, true
				}
			}
			return false, false
		}
		if c.cfg.StatusID > 0 {
			if closed, ok := find(c.cfg.StatusID); !ok {
				say("ConnectWise board %d has no active status id %d for %s: check psa.connectwise.status_id", c.cfg.BoardID, c.cfg.StatusID, org)
			} else if closed {
				say("status id %d of ConnectWise board %d is a closed status, so new tickets for %s would open closed: check psa.connectwise.status_id", c.cfg.StatusID, c.cfg.BoardID, org)
			}
		}
		if closed, ok := find(c.cfg.ClosedStatusID); !ok {
			say("ConnectWise board %d has no active status id %d for %s: check psa.connectwise.closed_status_id", c.cfg.BoardID, c.cfg.ClosedStatusID, org)
		} else if !closed {
			say("status id %d of ConnectWise board %d is not a closed status, so resolving would leave tickets of %s open: check psa.connectwise.closed_status_id", c.cfg.ClosedStatusID, c.cfg.BoardID, org)
		}
		if c.cfg.TypeID > 0 {
			var types []struct {
				ID int `json:"id"`
			}
			err := c.do(ctx, call{method: http.MethodGet, path: "/service/boards/" + board + "/types", idempotent: true, out: &types,
				query: url.Values{"fields": {"id"}, "pageSize": {"1000"}}})
			found := false
			for _, t := range types {
				found = found || t.ID == c.cfg.TypeID
			}
			switch {
			case err != nil:
				problems = append(problems, c.explain("read the types of board "+board, err))
			case !found:
				say("ConnectWise board %d has no type id %d for %s: check psa.connectwise.type_id", c.cfg.BoardID, c.cfg.TypeID, org)
			}
		}
	}
	if c.cfg.PriorityID > 0 {
		err := c.do(ctx, call{method: http.MethodGet, path: "/service/priorities/" + strconv.Itoa(c.cfg.PriorityID), idempotent: true, out: &struct{}{}})
		switch {
		case statusOf(err) == http.StatusNotFound:
			say("ConnectWise has no priority id %d for %s: check psa.connectwise.priority_id", c.cfg.PriorityID, org)
		case err != nil:
			problems = append(problems, c.explain("read priority "+strconv.Itoa(c.cfg.PriorityID), err))
		}
	}
	return errors.Join(problems...)
}
