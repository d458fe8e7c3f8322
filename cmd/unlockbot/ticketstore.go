package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/psa/local"
)

// ticketStore hands psa/local the bot's state store. The bot store cannot
// satisfy local.Store by itself: its Record and its sentinel errors are
// bot/store types, which psa/local must not import. This translates both.
type ticketStore struct{ st store.Store }

func (s ticketStore) Get(ctx context.Context, key string) (local.Record, error) {
	r, err := s.st.Get(ctx, key)
	return local.Record{Version: r.Version, Value: r.Value}, ticketStoreErr(err)
}

func (s ticketStore) Create(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	_, err := s.st.Create(ctx, key, value, ttl)
	return ticketStoreErr(err)
}

func (s ticketStore) CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) error {
	_, err := s.st.CompareAndSwap(ctx, key, version, value, ttl)
	return ticketStoreErr(err)
}

func (s ticketStore) List(ctx context.Context, prefix string) ([]string, error) {
	return s.st.List(ctx, prefix)
}

// ticketStoreErr keeps the store's error in the chain (for logs and for
// callers that ask about store errors) and adds local's sentinel.
func ticketStoreErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: %w", local.ErrNotFound, err)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("%w: %w", local.ErrConflict, err)
	}
	return err
}
