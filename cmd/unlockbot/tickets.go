package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/local"
)

// ticketDeps is what a PSA implementation may take from the running bot.
type ticketDeps struct {
	store store.Store
	seal  local.SealFunc
}

// psaKind is one value psa.kind may take and how to build it. A new PSA is
// one entry here; validation and the error listing the allowed values
// follow from the table.
type psaKind struct {
	name  string
	build func(OrgConfig, ticketDeps) (psa.Tickets, error)
}

var psaKinds = []psaKind{
	{"local", func(oc OrgConfig, d ticketDeps) (psa.Tickets, error) {
		return local.New(store.Values{Store: d.store}, oc.ID, d.seal), nil
	}},
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
	return fmt.Sprintf("must be %s (other PSAs are not built yet), got %q", allowed, got)
}
