package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/local"
)

// ticketDeps is what a PSA implementation may take from the running bot.
type ticketDeps struct {
	store store.Store
	seal  local.SealFunc
	log   zerolog.Logger
}

// psaKind is one value psa.kind may take and how to build it. A new PSA is
// one entry here; validation and the error listing the allowed values
// follow from the table.
type psaKind struct {
	name  string
	build func(OrgConfig, ticketDeps) (psa.Tickets, error)
	// validate checks the kind's own block (psa.connectwise, …) at load;
	// nil for a kind without one.
	validate func(p PSAConfig, key string, bad func(string, string, ...any))
}

var psaKinds = []psaKind{
	{name: "local", build: func(oc OrgConfig, d ticketDeps) (psa.Tickets, error) {
		return local.New(store.Values{Store: d.store}, oc.ID, d.seal), nil
	}},
	{name: "connectwise", build: buildConnectWise, validate: validateConnectWise},
	{name: "kaseya_bms", build: buildKaseyaBMS, validate: validateKaseyaBMS},
	{name: "freshdesk", build: buildFreshdesk, validate: validateFreshdesk},
	{name: "superops", build: buildSuperOps, validate: validateSuperOps},
}

// newTickets builds an org's ticket system from its psa block; an empty
// kind is local, as defaults() sets it.
func newTickets(oc OrgConfig, d ticketDeps) (psa.Tickets, error) {
	kind := oc.PSA.Kind
	if kind == "" {
		kind = "local"
	}
	for _, k := range psaKinds {
		if k.name == kind {
			return k.build(oc, d)
		}
	}
	return nil, errors.New("config: psa.kind: " + psaKindProblem(kind))
}

// validate is the load-time check of the psa block, so a typo stops the
// config before anything starts.
func (p PSAConfig) validate(key string, bad func(string, string, ...any)) {
	for _, k := range psaKinds {
		if k.name == p.Kind {
			if p.Kind != "local" && strings.TrimSpace(p.CompanyID) == "" {
				bad(key+".company_id", "is required with psa.kind %s: the %s id of this org's client company (the bot refuses tickets of any other)", p.Kind, p.Kind)
			}
			if k.validate != nil {
				k.validate(p, key, bad)
			}
			return
		}
	}
	bad(key+".kind", "%s", psaKindProblem(p.Kind))
}

func psaKindProblem(got string) string {
	names := make([]string, len(psaKinds))
	for i, k := range psaKinds {
		names[i] = k.name
	}
	allowed := names[len(names)-1]
	if len(names) > 1 {
		allowed = strings.Join(names[:len(names)-1], ", ") + " or " + allowed
	}
	return fmt.Sprintf("must be %s, got %q", allowed, got)
}
