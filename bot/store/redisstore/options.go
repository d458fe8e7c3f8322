package redisstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// Mode is the Redis topology New dials.
type Mode string

const (
	// ModeSingle is one server (or a managed endpoint that looks like one).
	ModeSingle Mode = "single"
	// ModeSentinel asks the Sentinels in Addrs where MasterName's master
	// is, and follows it across failovers.
	ModeSentinel Mode = "sentinel"
	// ModeCluster is a Redis Cluster; Addrs are any of its nodes. Every
	// script the bot runs touches one key, or keys under one hash tag, so
	// it runs on whichever master owns that slot.
	ModeCluster Mode = "cluster"
)

// Options configures New. Set URL (one server), Addrs (any topology) or
// Client.
type Options struct {
	// URL is a redis:// or rediss:// URL of one server. It may carry a
	// password, so it is never echoed in errors.
	URL string
	// Mode is how Addrs are read; empty means ModeSingle.
	Mode Mode
	// Addrs are host:port pairs: the server (single), the Sentinels
	// (sentinel) or seed nodes of the cluster (cluster).
	Addrs []string
	// MasterName is the master's name in Sentinel; only for ModeSentinel.
	MasterName string
	// Username and Password sign in to the data nodes (an ACL user; with
	// no Username, Password is the legacy requirepass).
	Username, Password string
	// SentinelUsername and SentinelPassword sign in to the Sentinels
	// themselves, when they require it.
	SentinelUsername, SentinelPassword string
	// DB selects a database on a single server or Sentinel master; a
	// cluster has only database 0.
	DB int
	// Prefix is put in front of every key; empty means DefaultPrefix.
	Prefix string
	// Client, if set, is used instead of dialling and is not closed by
	// Close: whoever made it owns it.
	Client redis.UniversalClient
	// TLS is how the server is trusted and the bot known to it: a private
	// CA, a client certificate, the name in the server's certificate
	// (default: the URL's or each address's host). With URL it needs a
	// rediss:// URL; with Addrs, setting it turns TLS on.
	TLS *tls.Config
}

// New connects lazily: the first command dials, so New fails only on a bad
// configuration. Use Ping to check the server at startup.
func New(opts Options) (*Store, error) {
	const op = "redisstore.New"
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if opts.Client != nil {
		return &Store{c: opts.Client, prefix: prefix}, nil
	}
	var (
		c   redis.UniversalClient
		err error
	)
	switch {
	case opts.URL != "" && len(opts.Addrs) > 0:
		return nil, fmt.Errorf("%s: set Options.URL or Options.Addrs, not both", op)
	case opts.URL != "":
		c, err = fromURL(opts)
	case len(opts.Addrs) > 0:
		c, err = fromAddrs(opts)
	default:
		return nil, fmt.Errorf("%s: set Options.URL, Options.Addrs or Options.Client", op)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &Store{c: c, prefix: prefix, owned: true, mode: opts.Mode, master: opts.MasterName}, nil
}

func fromURL(opts Options) (redis.UniversalClient, error) {
	if opts.Mode != "" && opts.Mode != ModeSingle {
		return nil, fmt.Errorf("a URL names one server; give %s addresses in Options.Addrs", opts.Mode)
	}
	ro, err := redis.ParseURL(opts.URL)
	if err != nil {
		// url.Error quotes the whole URL, password included; keep its cause only.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("invalid URL: %w", err)
	}
	if opts.TLS != nil {
		if ro.TLSConfig == nil {
			return nil, errors.New("TLS settings need a rediss:// URL")
		}
		ro.TLSConfig = tlsFor(opts.TLS, ro.TLSConfig.ServerName)
	}
	return redis.NewClient(ro), nil
}

func fromAddrs(opts Options) (redis.UniversalClient, error) {
	for _, a := range opts.Addrs {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			return nil, fmt.Errorf("address %q is not host:port", a)
		}
	}
	var t *tls.Config
	if opts.TLS != nil {
		t = tlsFor(opts.TLS, "")
	}
	mode := opts.Mode
	if mode == "" {
		mode = ModeSingle
	}
	if (mode == ModeSentinel) != (opts.MasterName != "") {
		return nil, errors.New("a master name goes with sentinel mode, and only with it")
	}
	switch mode {
	case ModeSingle:
		if len(opts.Addrs) != 1 {
			return nil, fmt.Errorf("single mode takes one address, got %d", len(opts.Addrs))
		}
		return redis.NewClient(&redis.Options{Addr: opts.Addrs[0], Username: opts.Username,
			Password: opts.Password, DB: opts.DB, TLSConfig: t}), nil
	case ModeSentinel:
		return redis.NewFailoverClient(&redis.FailoverOptions{MasterName: opts.MasterName,
			SentinelAddrs: opts.Addrs, SentinelUsername: opts.SentinelUsername, SentinelPassword: opts.SentinelPassword,
			Username: opts.Username, Password: opts.Password, DB: opts.DB, TLSConfig: t}), nil
	case ModeCluster:
		if opts.DB != 0 {
			return nil, errors.New("a cluster has only database 0")
		}
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: opts.Addrs, Username: opts.Username,
			Password: opts.Password, TLSConfig: t}), nil
	}
	return nil, fmt.Errorf("unknown mode %q (single, sentinel or cluster)", mode)
}

// tlsFor copies the caller's settings with a TLS 1.2 floor. An empty
// ServerName stays empty for addresses: crypto/tls then checks each
// node's own host, which is what a cluster of several nodes needs.
func tlsFor(in *tls.Config, name string) *tls.Config {
	t := in.Clone()
	if t.ServerName == "" {
		t.ServerName = name
	}
	if t.MinVersion == 0 {
		t.MinVersion = tls.VersionTLS12
	}
	return t
}

// Ping checks that the server answers; on a cluster, that every master
// does, since each owns a share of the keys.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.Topology(ctx)
	return err
}

// Topology pings like Ping and says what answered, for `unlockbot check`:
// "one server", "the Sentinel master …" or "a cluster of N masters".
func (s *Store) Topology(ctx context.Context) (string, error) {
	const op = "redisstore.Ping"
	if cc, ok := s.c.(*redis.ClusterClient); ok {
		var n atomic.Int32
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			n.Add(1)
			return c.Ping(ctx).Err()
		})
		if err != nil {
			return "", wrap(op, err)
		}
		return fmt.Sprintf("a cluster of %d masters", n.Load()), nil
	}
	if err := s.c.Ping(ctx).Err(); err != nil {
		return "", wrap(op, err)
	}
	if s.mode == ModeSentinel {
		return fmt.Sprintf("the Sentinel master %q", s.master), nil
	}
	return "one server", nil
}
