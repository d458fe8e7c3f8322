package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/psa"
)

// flakyStore is a store in trouble: chosen operations fail, and
// compare-and-swaps on a key prefix conflict a given number of times, as
// when another replica keeps winning.
type flakyStore struct {
	store.Store
	mu        sync.Mutex
	conflicts map[string]int   // key prefix -> CAS conflicts left
	fail      map[string]error // "Op:key-prefix" -> error
}

func newFlaky(inner store.Store) *flakyStore {
	return &flakyStore{Store: inner, conflicts: map[string]int{}, fail: map[string]error{}}
}

func (f *flakyStore) failing(op, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, err := range f.fail {
		if o, prefix, _ := strings.Cut(k, ":"); o == op && strings.HasPrefix(key, prefix) {
			return err
		}
	}
	return nil
}

func (f *flakyStore) CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) (store.Record, error) {
	if err := f.failing("CompareAndSwap", key); err != nil {
		return store.Record{}, err
	}
	f.mu.Lock()
	for prefix, n := range f.conflicts {
		if n > 0 && strings.HasPrefix(key, prefix) {
			f.conflicts[prefix] = n - 1
			f.mu.Unlock()
			return store.Record{}, store.ErrConflict
		}
	}
	f.mu.Unlock()
	return f.Store.CompareAndSwap(ctx, key, version, value, ttl)
}

func (f *flakyStore) Get(ctx context.Context, key string) (store.Record, error) {
	if err := f.failing("Get", key); err != nil {
		return store.Record{}, err
	}
	return f.Store.Get(ctx, key)
}

func (f *flakyStore) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (store.Record, error) {
	if err := f.failing("Create", key); err != nil {
		return store.Record{}, err
	}
	return f.Store.Create(ctx, key, value, ttl)
}

func (f *flakyStore) Delete(ctx context.Context, key string) error {
	if err := f.failing("Delete", key); err != nil {
		return err
	}
	return f.Store.Delete(ctx, key)
}

func (f *flakyStore) Reserve(ctx context.Context, key, member string, now time.Time, window time.Duration, limit int) (bool, int, error) {
	if err := f.failing("Reserve", key); err != nil {
		return false, 0, err
	}
	if err := f.failing("ReserveAdd", key); err != nil && limit > 0 {
		return false, 0, err // counting still works; adding fails
	}
	return f.Store.Reserve(ctx, key, member, now, window, limit)
}

// flakyHarness is a harness whose service runs on a flakyStore.
func flakyHarness(t *testing.T) (*harness, *flakyStore, *Service) {
	t.Helper()
	h := newHarness(t, nil)
	flaky := newFlaky(h.st)
	h.st = flaky
	return h, flaky, h.replica(flaky)
}

// submitOn submits a reset of account by the technician on svc.
func submitOn(svc *Service, account string) (*Request, error) {
	return svc.Submit(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: account, Reason: "Verified by call-back"})
}

// sinkSpy records how each event reached the trail: durably (Write) or
// appended to be flushed by the next durable one (Append).
type sinkSpy struct {
	mu     sync.Mutex
	how    map[string][]string // event type -> "write" / "append"
	failOn string              // Append of this type fails
}

func (s *sinkSpy) note(how string, e audit.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.how == nil {
		s.how = map[string][]string{}
	}
	s.how[e.Type] = append(s.how[e.Type], how)
}

func (s *sinkSpy) Write(_ context.Context, e audit.Event) error { s.note("write", e); return nil }
func (s *sinkSpy) Append(_ context.Context, e audit.Event) error {
	if e.Type == s.failOn {
		return errors.New("audit disk full")
	}
	s.note("append", e)
	return nil
}

func (s *sinkSpy) writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, hows := range s.how {
		for _, h := range hows {
			if h == "write" {
				n++
			}
		}
	}
	return n
}

func psaTicket(company string) psa.NewTicket {
	return psa.NewTicket{CompanyID: company, Summary: "Locked out", Description: "caller is locked out"}
}

// newRedisForTTL is a store on the test Redis whose keys a test can read
// the TTL of (keyTTL).
func newRedisForTTL(t *testing.T) *redisstore.Store { return storetest.NewRedisStore(t) }

// keyTTL returns the time to live of the first key with the prefix.
func keyTTL(t *testing.T, st *redisstore.Store, prefix string) time.Duration {
	t.Helper()
	opt, err := redis.ParseURL(storetest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	keys, err := c.Keys(t.Context(), st.Prefix()+prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("no key %s*: %v", prefix, err)
	}
	ttl, err := c.PTTL(t.Context(), keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	return ttl
}

func (f *flakyStore) Schedule(ctx context.Context, set, member string, at time.Time) (time.Time, error) {
	if err := f.failing("Schedule", set); err != nil {
		return time.Time{}, err
	}
	return f.Store.Schedule(ctx, set, member, at)
}

func (f *flakyStore) Unschedule(ctx context.Context, set, member string, at time.Time) (bool, error) {
	if err := f.failing("Unschedule", set); err != nil {
		return false, err
	}
	return f.Store.Unschedule(ctx, set, member, at)
}

func (f *flakyStore) List(ctx context.Context, prefix string) ([]string, error) {
	if err := f.failing("List", prefix); err != nil {
		return nil, err
	}
	return f.Store.List(ctx, prefix)
}
