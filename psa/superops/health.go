package superops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Health implements psa.Tickets: the token and subdomain are accepted, the
// client exists (and has the configured name), the configured status and
// priority names are options of the tenant's ticket fields, and the ticket
// list answers.
func (c *Client) Health(ctx context.Context) error {
	if c.cfg.CompanyID == "" {
		return errors.New("SuperOps: no client accountId configured: check psa.company_id")
	}
	var out struct {
		GetClient *struct {
			Name string `json:"name"`
		} `json:"getClient"`
	}
	err := c.do(ctx, read, "getClient", qClient, map[string]any{"input": map[string]any{"accountId": c.cfg.CompanyID}}, &out)
	if err != nil {
		return explain(err, c.cfg.CompanyID)
	}
	if out.GetClient == nil {
		return fmt.Errorf("SuperOps has no client with accountId %s: check psa.company_id", c.cfg.CompanyID)
	}
	if c.cfg.ClientName != "" && !strings.EqualFold(c.cfg.ClientName, out.GetClient.Name) {
		return fmt.Errorf("SuperOps client %s is named %q, not %q: check psa.superops.client_name", c.cfg.CompanyID, out.GetClient.Name, c.cfg.ClientName)
	}
	if err := c.checkFields(ctx); err != nil {
		return err
	}
	if _, err := c.ListOpen(ctx, c.cfg.CompanyID, "", 1); err != nil {
		return explain(err, c.cfg.CompanyID)
	}
	return nil
}

// checkFields compares the configured status and priority names with the
// options of the tenant's ticket fields.
func (c *Client) checkFields(ctx context.Context) error {
	var out struct {
		Fields []struct {
			ColumnName string `json:"columnName"`
			Options    []struct {
				Value string `json:"value"`
			} `json:"options"`
		} `json:"getAllFields"`
	}
	if err := c.do(ctx, read, "getAllFields", qFields, map[string]any{"input": "TICKET"}, &out); err != nil {
		return explain(err, c.cfg.CompanyID)
	}
	options := map[string][]string{}
	for _, f := range out.Fields {
		for _, o := range f.Options {
			options[f.ColumnName] = append(options[f.ColumnName], o.Value)
		}
	}
	check := func(column, key, value string) error {
		for _, v := range options[column] {
			if strings.EqualFold(v, value) {
				return nil
			}
		}
		return fmt.Errorf("SuperOps has no ticket %s %q (it has %s): check psa.superops.%s", column, value, strings.Join(options[column], ", "), key)
	}
	if err := check("status", "new_status", c.cfg.NewStatus); err != nil {
		return err
	}
	if err := check("status", "resolved_status", c.cfg.ResolvedStatus); err != nil {
		return err
	}
	for _, s := range c.cfg.OpenStatuses {
		if err := check("status", "open_statuses", s); err != nil {
			return err
		}
	}
	if c.cfg.Priority != "" {
		return check("priority", "priority", c.cfg.Priority)
	}
	return nil
}

// explain turns an API failure into one sentence for a technician; the
// detail stays in the wrapped error for the log.
func explain(err error, companyID string) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("SuperOps cannot be reached: %w", err)
	}
	switch {
	case ae.HTTPStatus == http.StatusUnauthorized:
		return fmt.Errorf("SuperOps refused the API token: check psa.superops.api_token_env/_file (%w)", err)
	case ae.HTTPStatus == http.StatusBadRequest:
		return fmt.Errorf("SuperOps refused the subdomain: check psa.superops.subdomain (%w)", err)
	case ae.Has("forbidden"):
		return fmt.Errorf("SuperOps' API token may not read tickets and clients: give its role access (%w)", err)
	case ae.Has("entity_does_not_exist"):
		return fmt.Errorf("SuperOps has no client with accountId %s: check psa.company_id (%w)", companyID, err)
	case ae.Has("rate_limit_exceeded") || ae.HTTPStatus == http.StatusTooManyRequests:
		return fmt.Errorf("SuperOps is rate limiting this token; try again in a minute (%w)", err)
	}
	return fmt.Errorf("SuperOps refused the request (%w)", err)
}

// Explain is the technician's sentence for an error of this client.
func Explain(err error, companyID string) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.Has("mandatory_validation_failed") && contains(ae.Attributes, "requester") {
			return fmt.Errorf("SuperOps needs a requester and the account's e-mail matches no user of the client: set psa.superops.requester_user_id (%w)", err)
		}
		if ae.Has("entity_does_not_exist") && contains(ae.Attributes, "status") {
			return fmt.Errorf("SuperOps refused a status name: check psa.superops.new_status and resolved_status (%w)", err)
		}
		if ae.Has("entity_does_not_exist") && contains(ae.Attributes, "requester") {
			return fmt.Errorf("SuperOps refused the requester: check psa.superops.requester_user_id (%w)", err)
		}
	}
	return explain(err, companyID)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
