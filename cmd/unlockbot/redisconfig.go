package main

import (
	"fmt"
	"net"

	"github.com/unlockbot/unlockbot/bot/store/redisstore"
)

// RedisConfig is the `redis:` block: any topology by its addresses, for
// what a URL cannot say (several Sentinels, cluster seed nodes). The
// password comes from the environment or a file, never from the config.
type RedisConfig struct {
	Mode         string          `yaml:"mode"`  // single (default), sentinel or cluster
	Addrs        []string        `yaml:"addrs"` // host:port: the server, the Sentinels, or cluster nodes
	MasterName   string          `yaml:"master_name"`
	DB           int             `yaml:"db"` // single and sentinel only
	Username     string          `yaml:"username"`
	PasswordEnv  string          `yaml:"password_env"`
	PasswordFile string          `yaml:"password_file"`
	TLS          *RedisTLSConfig `yaml:"tls"`
	// The Sentinels' own sign-in, when they require one.
	SentinelUsername     string `yaml:"sentinel_username"`
	SentinelPasswordEnv  string `yaml:"sentinel_password_env"`
	SentinelPasswordFile string `yaml:"sentinel_password_file"`
}

func (r *RedisConfig) validate(c *Config, bad func(key, format string, args ...any)) {
	if r == nil {
		return
	}
	if c.RedisURL != "" || c.RedisURLEnv != "" || c.RedisURLFile != "" {
		bad("redis", "and redis_url (or redis_url_env/_file) both name a Redis; keep one")
	}
	if c.RedisTLS != nil {
		bad("redis_tls", "goes with redis_url; with the redis block, put it under redis.tls")
	}
	mode := redisstore.Mode(r.Mode)
	switch mode {
	case "", redisstore.ModeSingle:
		if len(r.Addrs) != 1 {
			bad("redis.addrs", "single mode takes exactly one host:port (got %d)", len(r.Addrs))
		}
	case redisstore.ModeSentinel:
		if r.MasterName == "" {
			bad("redis.master_name", "is required in sentinel mode: the name the Sentinels know the master by")
		}
	case redisstore.ModeCluster:
		if r.DB != 0 {
			bad("redis.db", "must be 0 in cluster mode: a Redis Cluster has only database 0")
		}
	default:
		bad("redis.mode", "must be single, sentinel or cluster (got %q)", r.Mode)
	}
	if mode != redisstore.ModeSentinel {
		if r.MasterName != "" {
			bad("redis.master_name", "is only for sentinel mode")
		}
		if r.SentinelUsername != "" || r.SentinelPasswordEnv != "" || r.SentinelPasswordFile != "" {
			bad("redis.sentinel_password_env", "and the other sentinel_* keys are only for sentinel mode")
		}
	}
	if len(r.Addrs) == 0 {
		bad("redis.addrs", "list at least one host:port")
	}
	for i, a := range r.Addrs {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			bad(fmt.Sprintf("redis.addrs[%d]", i), "must be host:port (got %q)", a)
		}
	}
	if r.PasswordEnv != "" && r.PasswordFile != "" {
		bad("redis.password_env", "and password_file are both set; keep one")
	}
	if r.SentinelPasswordEnv != "" && r.SentinelPasswordFile != "" {
		bad("redis.sentinel_password_env", "and sentinel_password_file are both set; keep one")
	}
	if r.TLS != nil {
		r.TLS.validateFiles("redis.tls", bad)
	}
}

// store dials the block's topology under prefix.
func (r *RedisConfig) store(prefix string) (*redisstore.Store, error) {
	opts := redisstore.Options{Mode: redisstore.Mode(r.Mode), Addrs: r.Addrs, MasterName: r.MasterName,
		DB: r.DB, Username: r.Username, SentinelUsername: r.SentinelUsername, Prefix: prefix}
	if r.PasswordEnv != "" || r.PasswordFile != "" {
		pw, err := ResolveSecret("redis.password", r.PasswordEnv, r.PasswordFile)
		if err != nil {
			return nil, err
		}
		opts.Password = pw.Reveal()
	}
	if r.SentinelPasswordEnv != "" || r.SentinelPasswordFile != "" {
		pw, err := ResolveSecret("redis.sentinel_password", r.SentinelPasswordEnv, r.SentinelPasswordFile)
		if err != nil {
			return nil, err
		}
		opts.SentinelPassword = pw.Reveal()
	}
	if r.TLS != nil {
		t, err := r.TLS.tlsConfigAt("redis.tls")
		if err != nil {
			return nil, err
		}
		opts.TLS = t
	}
	rs, err := redisstore.New(opts)
	if err != nil {
		return nil, fmt.Errorf("config: redis: %w", err)
	}
	return rs, nil
}
