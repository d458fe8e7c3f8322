package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/kaseyabms"
)

// KaseyaBMSConfig is orgs[].psa.kaseya_bms. The ids are the tenant's own
// (Admin › lookups, or GET /v2/system/lookup/{table}); `unlockbot check`
// verifies each against BMS. psa.company_id is the BMS AccountId.
type KaseyaBMSConfig struct {
	BaseURL         string `yaml:"base_url"` // https://api.bms.kaseya.com, api.bmsemea.kaseya.com, api.bmsapac.kaseya.com
	Tenant          string `yaml:"tenant"`
	Username        string `yaml:"username"`
	PasswordEnv     string `yaml:"password_env"`
	PasswordFile    string `yaml:"password_file"`
	LocationID      int    `yaml:"location_id"`
	PriorityID      int    `yaml:"priority_id"`
	SourceID        int    `yaml:"source_id"`
	StatusID        int    `yaml:"status_id"` // of a new ticket
	TypeID          int    `yaml:"type_id"`
	NoteTypeID      int    `yaml:"note_type_id"`
	ResolveStatusID int    `yaml:"resolve_status_id"` // optional
}

func validateKaseyaBMS(p PSAConfig, key string, bad func(string, string, ...any)) {
	c := p.KaseyaBMS
	k := key + ".kaseya_bms"
	if c == nil {
		bad(k, "is required with psa.kind kaseya_bms (base_url, tenant, username, password_env or password_file, and the ticket ids)")
		return
	}
	if n, err := strconv.Atoi(p.CompanyID); err != nil || n <= 0 {
		bad(key+".company_id", "must be the numeric BMS AccountId of the client (got %q)", p.CompanyID)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		bad(k+".base_url", "must be https://api.bms.kaseya.com (or the EMEA/APAC host; http only for localhost), got %q", c.BaseURL)
	}
	if c.Tenant == "" {
		bad(k+".tenant", "is required: the company name you log in to BMS with")
	}
	if c.Username == "" {
		bad(k+".username", "is required: the BMS API user")
	}
	if (c.PasswordEnv == "") == (c.PasswordFile == "") {
		bad(k+".password_env", "set exactly one of password_env or password_file")
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"location_id", c.LocationID}, {"priority_id", c.PriorityID}, {"source_id", c.SourceID}, {"status_id", c.StatusID}, {"type_id", c.TypeID}, {"note_type_id", c.NoteTypeID}} {
		if f.v <= 0 {
			bad(k+"."+f.name, "is required: a positive BMS id (got %d)", f.v)
		}
	}
	if c.ResolveStatusID < 0 {
		bad(k+".resolve_status_id", "must be a BMS status id, or left out for BMS's own (got %d)", c.ResolveStatusID)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func buildKaseyaBMS(oc OrgConfig, d ticketDeps) (psa.Tickets, error) {
	c := oc.PSA.KaseyaBMS
	if c == nil {
		return nil, errors.New("config: psa.kaseya_bms: missing")
	}
	pw, err := ResolveSecret("psa.kaseya_bms.password", c.PasswordEnv, c.PasswordFile)
	if err != nil {
		return nil, err
	}
	cl, err := kaseyabms.New(kaseyabms.Config{BaseURL: c.BaseURL, Tenant: c.Tenant, UserName: c.Username, Password: pw,
		CompanyID: oc.PSA.CompanyID, LocationID: c.LocationID, PriorityID: c.PriorityID, SourceID: c.SourceID,
		StatusID: c.StatusID, TypeID: c.TypeID, NoteTypeID: c.NoteTypeID, ResolveStatusID: c.ResolveStatusID,
		Log: d.log.With().Str("psa", "kaseya_bms").Logger()})
	if err != nil {
		return nil, fmt.Errorf("config: psa.kaseya_bms: %w", err)
	}
	return cl, nil
}
