package freshdesk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Health implements psa.Tickets for `unlockbot check`: the API key, the
// company, the group, the statuses and the fallback requester, each
// failure one sentence naming the config key to fix.
func (c *Client) Health(ctx context.Context) error {
	const op = "freshdesk.Health"
	org := c.cfg.OrgName
	// https://developers.freshdesk.com/api/#me
	if _, err := c.call(ctx, request{op: op, method: http.MethodGet, path: "/agents/me"}, nil); err != nil {
		c.cfg.Log.Error().Err(err).Msg("freshdesk: health")
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
			return fmt.Errorf("Freshdesk refused the API key for %s: check psa.freshdesk.api_key_env or api_key_file", org)
		case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
			return fmt.Errorf("Freshdesk's API key for %s belongs to no agent with API access: use an agent's key", org)
		case errors.As(err, &ae):
			return fmt.Errorf("Freshdesk at %s answered %d for %s: check psa.freshdesk.base_url", c.base.Host, ae.Status, org)
		}
		return fmt.Errorf("Freshdesk at %s did not answer for %s: check psa.freshdesk.base_url", c.base.Host, org)
	}
	var problems []error
	company, err := parseID("company", c.cfg.CompanyID)
	if err != nil {
		problems = append(problems, fmt.Errorf("%q is not a Freshdesk company id for %s: check psa.company_id", c.cfg.CompanyID, org))
	} else if err := c.exists(ctx, op, "/companies/"+strconv.FormatInt(company, 10)); err != nil {
		problems = append(problems, c.sentence(err, fmt.Sprintf("Freshdesk has no company id %d for %s: check psa.company_id", company, org)))
	}
	if c.cfg.GroupID > 0 {
		if err := c.exists(ctx, op, "/groups/"+strconv.FormatInt(c.cfg.GroupID, 10)); err != nil {
			problems = append(problems, c.sentence(err, fmt.Sprintf("Freshdesk refused the group id %d for %s: check psa.freshdesk.group_id", c.cfg.GroupID, org)))
		}
	}
	if err := c.checkStatuses(ctx, op); err != nil {
		problems = append(problems, err)
	}
	if company > 0 {
		if err := c.checkFallback(ctx, company); err != nil {
			problems = append(problems, err)
		}
	}
	return errors.Join(problems...)
}

// exists is a GET whose 404 is the answer "no".
func (c *Client) exists(ctx context.Context, op, path string) error {
	_, err := c.call(ctx, request{op: op, method: http.MethodGet, path: path}, nil)
	return err
}

// sentence is the named sentence for a 404 and a plain one otherwise.
func (c *Client) sentence(err error, missing string) error {
	c.cfg.Log.Error().Err(err).Msg("freshdesk: health")
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return errors.New(missing)
	}
	return fmt.Errorf("Freshdesk could not be checked for %s (%v)", c.cfg.OrgName, err)
}

// checkStatuses reads the status field's choices
// (https://developers.freshdesk.com/api/#list_all_ticket_fields), which
// include the account's custom statuses.
func (c *Client) checkStatuses(ctx context.Context, op string) error {
	var fields []struct {
		Name    string              `json:"name"`
		Choices map[string][]string `json:"choices"`
	}
	q := url.Values{"type": {"default_status"}}
	if _, err := c.call(ctx, request{op: op, method: http.MethodGet, path: "/ticket_fields", query: q}, &fields); err != nil {
		return c.sentence(err, "")
	}
	have := map[int]bool{}
	for _, f := range fields {
		if f.Name != "status" {
			continue
		}
		for k := range f.Choices {
			if n, err := strconv.Atoi(k); err == nil {
				have[n] = true
			}
		}
	}
	var bad []string
	check := func(n int, key string) {
		if !have[n] {
			bad = append(bad, fmt.Sprintf("Freshdesk has no ticket status %d for %s: check psa.freshdesk.%s", n, c.cfg.OrgName, key))
		}
	}
	check(c.cfg.Status, "status")
	check(c.cfg.ResolvedStatus, "resolved_status")
	for _, s := range c.cfg.OpenStatuses {
		check(s, "open_statuses")
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

// checkFallback: the fallback requester must be a contact of the company,
// or Freshdesk would make a stray contact and the ticket's company could
// be refused.
func (c *Client) checkFallback(ctx context.Context, company int64) error {
	id, err := c.contactOf(ctx, company, c.cfg.FallbackRequesterEmail)
	if err != nil {
		return c.sentence(err, "")
	}
	if id == 0 {
		return fmt.Errorf("Freshdesk has no contact %s in company %d for %s: check psa.freshdesk.fallback_requester_email", c.cfg.FallbackRequesterEmail, company, c.cfg.OrgName)
	}
	return nil
}
