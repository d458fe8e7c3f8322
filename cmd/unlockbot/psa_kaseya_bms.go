package main

import (
	"errors"

	"github.com/unlockbot/unlockbot/psa"
)

// STUB: replaced by the kaseya_bms helper (psa/kaseya_bms and its config block).

// KaseyaBMSConfig is orgs[].psa.kaseya_bms.
type KaseyaBMSConfig struct{}

func validateKaseyaBMS(p PSAConfig, key string, bad func(string, string, ...any)) {
	bad(key+".kind", "kaseya_bms is not built yet")
}

func buildKaseyaBMS(oc OrgConfig, d ticketDeps) (psa.Tickets, error) {
	return nil, errors.New("config: psa.kind: kaseya_bms is not built yet")
}
