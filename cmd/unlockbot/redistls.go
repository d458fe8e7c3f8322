package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/unlockbot/unlockbot/bot/store/redisstore"
)

// RedisTLSConfig trusts a Redis behind TLS (rediss://) signed by a private
// CA and, when the server asks for one, presents a client certificate.
type RedisTLSConfig struct {
	CAFile     string `yaml:"ca_file"`   // empty: the system's roots
	CertFile   string `yaml:"cert_file"` // client certificate (tls-auth-clients yes)
	KeyFile    string `yaml:"key_file"`
	ServerName string `yaml:"server_name"` // name in the server's certificate; default the URL's host
}

func (r *RedisTLSConfig) validate(c *Config, bad func(key, format string, args ...any)) {
	if r == nil {
		return
	}
	if !c.usesRedis() {
		bad("redis_tls", "is set but there is no redis_url")
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "rediss://") {
		bad("redis_tls", "needs a rediss:// URL (redis_url is not TLS)")
	}
	r.validateFiles("redis_tls", bad)
}

// validateFiles checks the files of the block at key (redis_tls or redis.tls).
func (r *RedisTLSConfig) validateFiles(key string, bad func(key, format string, args ...any)) {
	if (r.CertFile == "") != (r.KeyFile == "") {
		bad(key+".cert_file", "and key_file go together")
	}
	for k, f := range map[string]string{"ca_file": r.CAFile, "cert_file": r.CertFile, "key_file": r.KeyFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			bad(key+"."+k, "cannot be read: %v", err)
		}
	}
}

// tlsConfig loads the files.
func (r *RedisTLSConfig) tlsConfig() (*tls.Config, error) {
	return r.tlsConfigAt("redis_tls")
}

// tlsConfigAt loads the files of the block at key, for its errors.
func (r *RedisTLSConfig) tlsConfigAt(key string) (*tls.Config, error) {
	t := &tls.Config{ServerName: r.ServerName, MinVersion: tls.VersionTLS12}
	if r.CAFile != "" {
		b, err := os.ReadFile(r.CAFile)
		if err != nil {
			return nil, fmt.Errorf("config: %s.ca_file: %w", key, err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("config: %s.ca_file: no PEM certificate in %s", key, r.CAFile)
		}
	}
	if r.CertFile != "" {
		c, err := tls.LoadX509KeyPair(r.CertFile, r.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("config: %s.cert_file/key_file: %w", key, err)
		}
		t.Certificates = []tls.Certificate{c}
	}
	return t, nil
}

// redisStore connects to the configured Redis: the redis block (any
// topology), or a URL (which may carry an ACL user and password, from
// redis_url_env or _file); prefix and TLS.
func (c *Config) redisStore() (*redisstore.Store, error) {
	if c.Redis != nil {
		return c.Redis.store(c.RedisPrefix)
	}
	ru, err := c.redisURL()
	if err != nil {
		return nil, err
	}
	opts := redisstore.Options{URL: ru.Reveal(), Prefix: c.RedisPrefix}
	if c.RedisTLS != nil {
		if opts.TLS, err = c.RedisTLS.tlsConfig(); err != nil {
			return nil, err
		}
	}
	rs, err := redisstore.New(opts)
	if err != nil {
		return nil, fmt.Errorf("redis_url: %w", err)
	}
	return rs, nil
}
