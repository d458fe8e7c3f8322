package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/connectwise"
)

// ConnectWiseConfig is orgs[].psa.connectwise (docs/psa-connectwise.md).
// The keys are secrets and only ever named (*_env / *_file); the client id
// identifies the integration, not a secret.
type ConnectWiseConfig struct {
	BaseURL        string `yaml:"base_url"` // https://api-na.myconnectwise.net/v4_6_release/apis/3.0
	Company        string `yaml:"company"`  // the ConnectWise login company id
	PublicKeyEnv   string `yaml:"public_key_env"`
	PublicKeyFile  string `yaml:"public_key_file"`
	PrivateKeyEnv  string `yaml:"private_key_env"`
	PrivateKeyFile string `yaml:"private_key_file"`
	ClientID       string `yaml:"client_id"`
	BoardID        int    `yaml:"board_id"`
	StatusID       int    `yaml:"status_id"`        // new tickets; 0: the board's default
	ClosedStatusID int    `yaml:"closed_status_id"` // a closed status of board_id
	TypeID         int    `yaml:"type_id"`
	PriorityID     int    `yaml:"priority_id"`
	MaxRetries     int    `yaml:"max_retries"`
}

func validateConnectWise(p PSAConfig, key string, bad func(string, string, ...any)) {
	c := p.ConnectWise
	k := key + ".connectwise"
	if c == nil {
		bad(k, "is required with kind connectwise (base_url, company, public_key_env, private_key_env, client_id, board_id, closed_status_id)")
		return
	}
	if n, err := strconv.Atoi(p.CompanyID); err != nil || n <= 0 {
		bad(key+".company_id", "must be the ConnectWise number of the client company (got %q)", p.CompanyID)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || !(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) || u.Host == "" || !strings.Contains(u.Path, "/apis/3.0") {
		bad(k+".base_url", "must be https://<site>/v4_6_release/apis/3.0, e.g. https://api-na.myconnectwise.net/v4_6_release/apis/3.0 (plain http only to localhost: the keys and notes travel in it) (got %q)", c.BaseURL)
	}
	if strings.TrimSpace(c.Company) == "" {
		bad(k+".company", "is required: the company id you log in to ConnectWise with")
	}
	for _, s := range []struct{ name, env, file string }{
		{"public_key", c.PublicKeyEnv, c.PublicKeyFile}, {"private_key", c.PrivateKeyEnv, c.PrivateKeyFile},
	} {
		switch {
		case s.env == "" && s.file == "":
			bad(k+"."+s.name+"_env", "is required (or %s_file): the API member's %s", s.name, strings.ReplaceAll(s.name, "_", " "))
		case s.env != "" && s.file != "":
			bad(k+"."+s.name+"_env", "set %s_env or %s_file, not both", s.name, s.name)
		}
	}
	if strings.TrimSpace(c.ClientID) == "" {
		bad(k+".client_id", "is required: the integration's clientId from developer.connectwise.com")
	}
	if c.BoardID <= 0 {
		bad(k+".board_id", "must be the id of the service board new tickets go to")
	}
	if c.ClosedStatusID <= 0 {
		bad(k+".closed_status_id", "must be the id of a closed status of board_id")
	}
	for name, v := range map[string]int{"status_id": c.StatusID, "type_id": c.TypeID, "priority_id": c.PriorityID} {
		if v < 0 {
			bad(k+"."+name, "must be a ConnectWise id or 0 (got %d)", v)
		}
	}
	if c.MaxRetries < 0 || c.MaxRetries > 10 {
		bad(k+".max_retries", "must be between 0 (default 3) and 10 (got %d)", c.MaxRetries)
	}
}

func buildConnectWise(oc OrgConfig, d ticketDeps) (psa.Tickets, error) {
	c := oc.PSA.ConnectWise
	if c == nil {
		return nil, errors.New("config: psa.connectwise: is required with kind connectwise")
	}
	pub, err := ResolveSecret("psa.connectwise.public_key", c.PublicKeyEnv, c.PublicKeyFile)
	if err != nil {
		return nil, err
	}
	priv, err := ResolveSecret("psa.connectwise.private_key", c.PrivateKeyEnv, c.PrivateKeyFile)
	if err != nil {
		return nil, err
	}
	name := oc.Name
	if name == "" {
		name = oc.ID
	}
	cl, err := connectwise.New(connectwise.Config{
		BaseURL: c.BaseURL, Company: c.Company, PublicKey: pub, PrivateKey: priv, ClientID: c.ClientID,
		CompanyID: oc.PSA.CompanyID, OrgName: name,
		BoardID: c.BoardID, StatusID: c.StatusID, ClosedStatusID: c.ClosedStatusID, TypeID: c.TypeID, PriorityID: c.PriorityID,
		Log: d.log.With().Str("org", oc.ID).Str("psa", "connectwise").Logger(), MaxRetries: c.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("config: psa.connectwise: %w", err)
	}
	return cl, nil
}
