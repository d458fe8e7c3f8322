package metrics

import (
	"context"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// Changer is a directory that reads only what changed since a cursor
// (the account picker's incremental refresh).
type Changer interface {
	Changes(ctx context.Context, cursor string) (identity.Delta, error)
}

// TimeChanges times org's Changes as op="changes", so the refresh's
// directory work shows beside the other calls: with incremental refresh
// the full reads (op="all") happen only on first use and at the periodic
// full read.
func (m *M) TimeChanges(org string, c Changer) Changer {
	m.addOrg(org)
	return &timedChanges{c: c, call: calls(m.dirSeconds, m.dirErrors, org, "changes")["changes"]}
}

type timedChanges struct {
	c    Changer
	call call
}

func (t *timedChanges) Changes(ctx context.Context, cursor string) (identity.Delta, error) {
	start := time.Now()
	d, err := t.c.Changes(ctx, cursor)
	t.call.done(start, err, dirAnswer)
	return d, err
}
