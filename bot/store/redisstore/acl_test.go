package redisstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// The documented ACL rule set is enough for the whole contract, on one
// server and on the cluster, and holds the user to its own prefix.
func TestACLRuleSet(t *testing.T) {
	// go-redis logs the commands it sends on its own (COMMAND on a
	// cluster) rather than failing the call: a refusal there counts too.
	refused := &refusals{}
	redis.SetLogger(refused)
	t.Cleanup(func() {
		logging.Enable() // back to the default logger
		if l := refused.String(); l != "" {
			t.Errorf("go-redis was refused commands the rule set lacks:\n%s", l)
		}
	})
	for name, base := range map[string]func(testing.TB) redisstore.Options{
		"single":  func(t testing.TB) redisstore.Options { return redisstore.Options{Addrs: []string{addr(t)}} },
		"cluster": storetest.ClusterOptions,
	} {
		t.Run(name, func(t *testing.T) {
			admin := storetest.NewStoreAt(t, base(t))
			storetest.Run(t, func(t *testing.T) store.Store {
				opts := base(t)
				opts.Prefix = storetest.TestPrefix()
				opts.Username, opts.Password = storetest.ACLUser(t, admin.Client(), opts.Prefix)
				return storetest.NewStoreAt(t, opts)
			})
			// Outside its prefix the user is refused.
			opts := base(t)
			opts.Prefix = storetest.TestPrefix()
			opts.Username, opts.Password = storetest.ACLUser(t, admin.Client(), opts.Prefix)
			s, err := redisstore.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			other := "x" + opts.Prefix
			if _, err := s.Client().Get(t.Context(), other+"k").Result(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
				t.Fatalf("GET outside the user's prefix: %v; want NOPERM", err)
			}
			if err := s.Client().FlushAll(t.Context()).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
				t.Fatalf("FLUSHALL as the bot's user: %v; want NOPERM", err)
			}
		})
	}
}

// refusals keeps go-redis's log lines that report NOPERM.
type refusals struct {
	mu sync.Mutex
	b  strings.Builder
}

func (r *refusals) Printf(_ context.Context, format string, v ...any) {
	line := fmt.Sprintf(format, v...)
	if strings.Contains(line, "NOPERM") {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.b.WriteString(line + "\n")
	}
}

func (r *refusals) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.String()
}

// addr is the test server's host:port, from its URL.
func addr(t testing.TB) string {
	u := storetest.RedisURL(t)
	u = strings.TrimPrefix(u, "redis://")
	host, _, _ := strings.Cut(u, "/")
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:]
	}
	return host
}
