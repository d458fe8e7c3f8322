package kaseyabms

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Lookup tables Health reads through GET /v2/system/lookup/{tableName}.
// The vendor file does not enumerate table names; these are the ones we
// use, one place to change if a tenant answers otherwise.
const (
	TableStatuses   = "TicketStatus"
	TablePriorities = "TicketPriority"
	TableTypes      = "TicketType"
	TableSources    = "TicketSource"
	TableNoteTypes  = "NoteType"
)

type lookupDTO struct {
	ID       int    `json:"Id"`
	Name     string `json:"Name"`
	IsActive bool   `json:"IsActive"`
}

type accountDTO struct {
	ID          int           `json:"Id"`
	AccountName string        `json:"AccountName"`
	IsActive    bool          `json:"IsActive"`
	Locations   []locationDTO `json:"Locations"`
}

type locationDTO struct {
	ID           int    `json:"Id"`
	LocationName string `json:"LocationName"`
}

// Health implements psa.Tickets: the login works, the account exists and
// has the location, and each configured id is in its lookup table. Each
// failure is one sentence naming the config key to fix.
func (c *Client) Health(ctx context.Context) error {
	cfg := c.cfg
	if _, err := c.tok.get(ctx); err != nil {
		// The detail (the server's message) is in the log; the sentence
		// says what to fix.
		cfg.Log.Error().Str("psa", "kaseya_bms").Err(err).Msg("health: login failed")
		return fmt.Errorf("Kaseya BMS refused the login of %s to tenant %s: check psa.kaseya_bms.username, password_env/password_file and tenant", cfg.UserName, cfg.Tenant)
	}
	var errs []error
	var acct accountDTO
	err := c.call(ctx, request{op: "read account " + cfg.CompanyID, method: "GET", path: "/v2/crm/accounts/summary/" + cfg.CompanyID, out: &acct})
	switch {
	case ticketNotFound(err):
		errs = append(errs, fmt.Errorf("Kaseya BMS has no account id %s: check psa.company_id", cfg.CompanyID))
	case err != nil:
		errs = append(errs, fmt.Errorf("Kaseya BMS could not read account %s: %w", cfg.CompanyID, err))
	case acct.Locations != nil && !slices.ContainsFunc(acct.Locations, func(l locationDTO) bool { return l.ID == cfg.LocationID }):
		errs = append(errs, fmt.Errorf("Kaseya BMS account %s (%s) has no location id %d: check psa.kaseya_bms.location_id", cfg.CompanyID, acct.AccountName, cfg.LocationID))
	}
	checks := []struct {
		table, what, key string
		id               int
	}{
		{TableStatuses, "ticket status", "status_id", cfg.StatusID},
		{TablePriorities, "priority", "priority_id", cfg.PriorityID},
		{TableTypes, "ticket type", "type_id", cfg.TypeID},
		{TableSources, "ticket source", "source_id", cfg.SourceID},
		{TableNoteTypes, "note type", "note_type_id", cfg.NoteTypeID},
		{TableStatuses, "ticket status", "resolve_status_id", cfg.ResolveStatusID},
	}
	tables := map[string][]lookupDTO{}
	for _, ch := range checks {
		if ch.id == 0 {
			continue
		}
		rows, ok := tables[ch.table]
		if !ok {
			if err := c.call(ctx, request{op: "read the lookup " + ch.table, method: "GET", path: "/v2/system/lookup/" + ch.table, out: &rows}); err != nil {
				errs = append(errs, fmt.Errorf("Kaseya BMS could not list its %s ids to check psa.kaseya_bms.%s: %w", ch.what, ch.key, err))
				tables[ch.table] = nil
				continue
			}
			tables[ch.table] = rows
		}
		if rows != nil && !slices.ContainsFunc(rows, func(l lookupDTO) bool { return l.ID == ch.id }) {
			errs = append(errs, fmt.Errorf("Kaseya BMS has no %s id %d: check psa.kaseya_bms.%s", ch.what, ch.id, ch.key))
		}
	}
	return errors.Join(errs...)
}

func ticketNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.notFound
}
