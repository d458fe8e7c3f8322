package main

import (
	"errors"

	"github.com/unlockbot/unlockbot/psa"
)

// STUB: replaced by the freshdesk helper (psa/freshdesk and its config block).

// FreshdeskConfig is orgs[].psa.freshdesk.
type FreshdeskConfig struct{}

func validateFreshdesk(p PSAConfig, key string, bad func(string, string, ...any)) {
	bad(key+".kind", "freshdesk is not built yet")
}

func buildFreshdesk(oc OrgConfig, d ticketDeps) (psa.Tickets, error) {
	return nil, errors.New("config: psa.kind: freshdesk is not built yet")
}
