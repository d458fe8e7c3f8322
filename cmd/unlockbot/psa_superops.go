package main

import (
	"errors"

	"github.com/unlockbot/unlockbot/psa"
)

// STUB: replaced by the superops helper (psa/superops and its config block).

// SuperOpsConfig is orgs[].psa.superops.
type SuperOpsConfig struct{}

func validateSuperOps(p PSAConfig, key string, bad func(string, string, ...any)) {
	bad(key+".kind", "superops is not built yet")
}

func buildSuperOps(oc OrgConfig, d ticketDeps) (psa.Tickets, error) {
	return nil, errors.New("config: psa.kind: superops is not built yet")
}
