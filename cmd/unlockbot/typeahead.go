package main

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/typeahead"
)

// typeaheadOptions configures org's account-picker snapshot: it reads
// only changes (from the directory itself, timed as op="changes": the
// metrics wrapper around the directory does not pass Changes on), and the
// replicas share one refresher per org through the store.
func (a *app) typeaheadOptions(oc OrgConfig, dir identity.Directory, owner string) typeahead.Options {
	idle := a.cfg.TypeaheadIdle
	if idle <= 0 {
		idle = 30 * time.Minute
	}
	opt := typeahead.Options{Every: oc.Directory.TypeaheadRefresh, FullEvery: oc.Directory.TypeaheadFullEvery, Idle: idle,
		Shared: storeShared{a.store}, Key: oc.ID, Owner: owner}
	if c, ok := dir.(typeahead.Changer); ok {
		opt.Changes = a.metrics.TimeChanges(oc.ID, c)
	}
	return opt
}

// typeaheadOwner names one app (one replica) in the type-ahead leases.
func typeaheadOwner() string {
	host, _ := os.Hostname()
	return host + "-" + rand.Text()[:8]
}

// storeShared is typeahead.Shared on the bot's store (Redis with several
// replicas): a lease is a record holding its owner, renewed by
// compare-and-swap; the log is one versioned record.
type storeShared struct{ s store.Store }

func (sh storeShared) Lease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	for range 2 {
		_, err := sh.s.Create(ctx, key, []byte(owner), ttl)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return false, err
		}
		rec, err := sh.s.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			continue // expired in between: try to take it again
		}
		if err != nil || string(rec.Value) != owner {
			return false, err
		}
		_, err = sh.s.CompareAndSwap(ctx, key, rec.Version, []byte(owner), ttl)
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	return false, nil
}

func (sh storeShared) Get(ctx context.Context, key string) ([]byte, int64, error) {
	rec, err := sh.s.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, nil
	}
	return rec.Value, rec.Version, err
}

func (sh storeShared) Put(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) (bool, error) {
	var err error
	if version == 0 {
		_, err = sh.s.Create(ctx, key, value, ttl)
	} else {
		_, err = sh.s.CompareAndSwap(ctx, key, version, value, ttl)
	}
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
