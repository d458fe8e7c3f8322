package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/superops"
)

// SuperOpsConfig is orgs[].psa.superops. Status names are the tenant's own
// (one tenant has "New" and "Closed" and no "Open"), so they are set here,
// never assumed.
type SuperOpsConfig struct {
	// BaseURL is the GraphQL endpoint: https://api.superops.ai/msp (US,
	// default) or https://euapi.superops.ai/msp (EU).
	BaseURL      string `yaml:"base_url"`
	Subdomain    string `yaml:"subdomain"` // sent as CustomerSubDomain
	APITokenEnv  string `yaml:"api_token_env"`
	APITokenFile string `yaml:"api_token_file"`
	// ClientName is the client's name as SuperOps spells it (the ticket
	// list filter); empty: read from the client psa.company_id names.
	ClientName      string        `yaml:"client_name"`
	NewStatus       string        `yaml:"new_status"`
	ResolvedStatus  string        `yaml:"resolved_status"`
	OpenStatuses    []string      `yaml:"open_statuses"`
	RequesterUserID string        `yaml:"requester_user_id"`
	Priority        string        `yaml:"priority"`
	Timeout         time.Duration `yaml:"timeout"`
	MaxRetries      int           `yaml:"max_retries"`
}

func validateSuperOps(p PSAConfig, key string, bad func(string, string, ...any)) {
	s := p.SuperOps
	k := key + ".superops"
	if s == nil {
		bad(k, "is required when psa.kind is superops (subdomain, api_token_env or api_token_file, new_status, resolved_status, open_statuses)")
		return
	}
	if p.CompanyID == "" {
		bad(key+".company_id", "is required: the SuperOps client accountId")
	}
	if s.BaseURL != "" {
		if u, err := url.Parse(s.BaseURL); err != nil || !(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) || u.Host == "" {
			bad(k+".base_url", "must be an https URL such as https://api.superops.ai/msp (plain http only to localhost: the token and notes travel in it), got %q", s.BaseURL)
		}
	}
	if strings.TrimSpace(s.Subdomain) == "" {
		bad(k+".subdomain", "is required: the tenant's subdomain (CustomerSubDomain)")
	}
	if (s.APITokenEnv == "") == (s.APITokenFile == "") {
		bad(k+".api_token_env", "set exactly one of api_token_env or api_token_file")
	}
	if s.NewStatus == "" {
		bad(k+".new_status", "is required: the tenant's status name for a new ticket")
	}
	if s.ResolvedStatus == "" {
		bad(k+".resolved_status", "is required: the tenant's status name for a resolved ticket")
	}
	if len(s.OpenStatuses) == 0 {
		bad(k+".open_statuses", "is required: the tenant's status names of open tickets")
	}
	if s.Timeout < 0 || s.MaxRetries < 0 || s.MaxRetries > 10 {
		bad(k+".max_retries", "timeout must be positive and max_retries between 0 and 10")
	}
}

func buildSuperOps(oc OrgConfig, d ticketDeps) (psa.Tickets, error) {
	s := oc.PSA.SuperOps
	if s == nil {
		return nil, fmt.Errorf("config: orgs %s: psa.superops is required", oc.ID)
	}
	tok, err := ResolveSecret("psa.superops.api_token", s.APITokenEnv, s.APITokenFile)
	if err != nil {
		return nil, err
	}
	return superops.New(superops.Config{
		BaseURL: s.BaseURL, Subdomain: s.Subdomain, Token: tok, CompanyID: oc.PSA.CompanyID,
		ClientName: s.ClientName, NewStatus: s.NewStatus, ResolvedStatus: s.ResolvedStatus,
		OpenStatuses: s.OpenStatuses, RequesterUserID: s.RequesterUserID, Priority: s.Priority,
		Timeout: s.Timeout, MaxRetries: s.MaxRetries,
		Log: d.log.With().Str("psa", "superops").Logger(),
	})
}
