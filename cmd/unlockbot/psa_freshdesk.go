package main

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/freshdesk"
)

// FreshdeskConfig is orgs[].psa.freshdesk; psa.company_id is the
// Freshdesk company id. docs/psa-freshdesk.md explains each key.
type FreshdeskConfig struct {
	BaseURL                string `yaml:"base_url"` // https://{domain}.freshdesk.com
	APIKeyEnv              string `yaml:"api_key_env"`
	APIKeyFile             string `yaml:"api_key_file"`
	GroupID                int64  `yaml:"group_id"`
	Priority               int    `yaml:"priority"`        // 1–4, default 1
	Source                 int    `yaml:"source"`          // default 2 (portal)
	Status                 int    `yaml:"status"`          // of new tickets, default 2 (open)
	ResolvedStatus         int    `yaml:"resolved_status"` // default 4; 5 closes
	OpenStatuses           []int  `yaml:"open_statuses"`   // default [2, 3]
	FallbackRequesterEmail string `yaml:"fallback_requester_email"`
	LookbackDays           int    `yaml:"lookback_days"` // default 90
	MaxRetries             int    `yaml:"max_retries"`   // default 3
}

func validateFreshdesk(p PSAConfig, key string, bad func(string, string, ...any)) {
	f := p.Freshdesk
	k := key + ".freshdesk"
	if f == nil {
		bad(k, "is required with kind freshdesk (base_url, api_key_env or api_key_file, fallback_requester_email)")
		return
	}
	if n, err := strconv.ParseInt(p.CompanyID, 10, 64); err != nil || n <= 0 {
		bad(key+".company_id", "must be the numeric Freshdesk company id (Admin → Companies, the number in the company's URL), got %q", p.CompanyID)
	}
	if err := checkFreshdeskURL(f.BaseURL); err != nil {
		bad(k+".base_url", "%v", err)
	}
	switch {
	case f.APIKeyEnv == "" && f.APIKeyFile == "":
		bad(k+".api_key_env", "set api_key_env or api_key_file (the API key of the agent the bot acts as)")
	case f.APIKeyEnv != "" && f.APIKeyFile != "":
		bad(k+".api_key_env", "set api_key_env or api_key_file, not both")
	}
	if a, err := mail.ParseAddress(f.FallbackRequesterEmail); err != nil || a.Address != f.FallbackRequesterEmail {
		bad(k+".fallback_requester_email", "must be the e-mail of a contact of the company (the requester when the account's e-mail is not one), got %q", f.FallbackRequesterEmail)
	}
	if f.GroupID < 0 {
		bad(k+".group_id", "must be a Freshdesk group id, got %d", f.GroupID)
	}
	if f.Priority != 0 && (f.Priority < 1 || f.Priority > 4) {
		bad(k+".priority", "must be 1 (low) to 4 (urgent), got %d", f.Priority)
	}
	for name, v := range map[string]int{"source": f.Source, "status": f.Status, "resolved_status": f.ResolvedStatus} {
		if v < 0 {
			bad(k+"."+name, "must be a Freshdesk id, got %d", v)
		}
	}
	if f.ResolvedStatus >= 2 && f.ResolvedStatus <= 3 {
		bad(k+".resolved_status", "must be a resolved or closed status (4, 5 or a custom one), got %d", f.ResolvedStatus)
	}
	for _, s := range f.OpenStatuses {
		if s < 2 || s == 4 || s == 5 {
			bad(k+".open_statuses", "must list open statuses (2, 3 or custom ones), got %d", s)
		}
	}
	if f.LookbackDays < 0 || f.LookbackDays > 3650 {
		bad(k+".lookback_days", "must be between 1 and 3650, got %d", f.LookbackDays)
	}
	if f.MaxRetries < 0 || f.MaxRetries > 10 {
		bad(k+".max_retries", "must be between 0 and 10, got %d", f.MaxRetries)
	}
}

// checkFreshdeskURL wants https; plain http only to this machine (a local
// fake or proxy), since the API key rides in every request.
func checkFreshdeskURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("must be https://{domain}.freshdesk.com, got %q", s)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if h := u.Hostname(); h != "localhost" && !(net.ParseIP(h) != nil && net.ParseIP(h).IsLoopback()) {
			return fmt.Errorf("must use https (the API key is sent with every call), got %q", s)
		}
	default:
		return fmt.Errorf("must be https://{domain}.freshdesk.com, got %q", s)
	}
	if p := strings.TrimSuffix(u.Path, "/"); p != "" && p != "/api/v2" {
		return fmt.Errorf("must be the account's address without a path (or ending in /api/v2), got %q", s)
	}
	return nil
}

func buildFreshdesk(oc OrgConfig, d ticketDeps) (psa.Tickets, error) {
	f := oc.PSA.Freshdesk
	if f == nil {
		return nil, fmt.Errorf("config: orgs[%s].psa.freshdesk: is required with kind freshdesk", oc.ID)
	}
	key, err := ResolveSecret("psa.freshdesk.api_key", f.APIKeyEnv, f.APIKeyFile)
	if err != nil {
		return nil, err
	}
	c, err := freshdesk.New(freshdesk.Config{
		BaseURL:                f.BaseURL,
		APIKey:                 key,
		CompanyID:              oc.PSA.CompanyID,
		OrgName:                oc.Name,
		GroupID:                f.GroupID,
		Priority:               f.Priority,
		Source:                 f.Source,
		Status:                 f.Status,
		ResolvedStatus:         f.ResolvedStatus,
		OpenStatuses:           f.OpenStatuses,
		FallbackRequesterEmail: f.FallbackRequesterEmail,
		Lookback:               time.Duration(f.LookbackDays) * 24 * time.Hour,
		MaxRetries:             f.MaxRetries,
		Log:                    d.log.With().Str("org", oc.ID).Str("psa", "freshdesk").Logger(),
	})
	if err != nil {
		return nil, fmt.Errorf("config: orgs[%s].psa.freshdesk: %w", oc.ID, err)
	}
	return c, nil
}
