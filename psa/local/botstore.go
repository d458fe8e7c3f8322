package local

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// New returns local tickets for one org, kept in the bot's state store.
//
// Deprecated: transitional, and the only place psa/local imports bot/. The
// test harnesses of bot/, adapters/slack and identity/ldap still pass a
// store.Store here; once they pass a Store to NewIn (or use a PSA fake),
// delete this file and its entry in cmd/unlockbot's arch test.
func New(st store.Store, ns string, seal SealFunc) *Tickets {
	return NewIn(botStore{st}, ns, seal)
}

// botStore is the store.Store seen as a Store; cmd/unlockbot has its own.
type botStore struct{ st store.Store }

func (s botStore) Get(ctx context.Context, key string) (Record, error) {
	r, err := s.st.Get(ctx, key)
	return Record{Version: r.Version, Value: r.Value}, botStoreErr(err)
}

func (s botStore) Create(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	_, err := s.st.Create(ctx, key, value, ttl)
	return botStoreErr(err)
}

func (s botStore) CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) error {
	_, err := s.st.CompareAndSwap(ctx, key, version, value, ttl)
	return botStoreErr(err)
}

func (s botStore) List(ctx context.Context, prefix string) ([]string, error) {
	return s.st.List(ctx, prefix)
}

func botStoreErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}
