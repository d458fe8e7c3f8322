package main

import (
	"errors"

	"github.com/unlockbot/unlockbot/psa"
)

// STUB: replaced by the connectwise helper (psa/connectwise and its config block).

// ConnectWiseConfig is orgs[].psa.connectwise.
type ConnectWiseConfig struct{}

func validateConnectWise(p PSAConfig, key string, bad func(string, string, ...any)) {
	bad(key+".kind", "connectwise is not built yet")
}

func buildConnectWise(oc OrgConfig, d ticketDeps) (psa.Tickets, error) {
	return nil, errors.New("config: psa.kind: connectwise is not built yet")
}
