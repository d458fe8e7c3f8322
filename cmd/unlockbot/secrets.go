package main

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// Secrets never sit in the config file: it names an environment variable
// (*_env) or a file (*_file), and the value is read at start, held as an
// identity.Secret and never echoed in an error.

// rejectInlineSecrets gives the precise advice KnownFields cannot.
func rejectInlineSecrets(b []byte) error {
	var raw any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var walk func(path string, v any) error
	walk = func(path string, v any) error {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				p := strings.TrimPrefix(path+"."+k, ".")
				switch k {
				case "bind_password", "password", "seal_key", "token", "secret", "signing_secret", "api_key", "private_key":
					return fmt.Errorf("config: %s: secrets are never written in the file; use %s_env (an environment variable name) or %s_file (a path)", p, k, k)
				}
				if err := walk(p, x); err != nil {
					return err
				}
			}
		case []any:
			for i, x := range t {
				if err := walk(fmt.Sprintf("%s[%d]", path, i), x); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk("", raw)
}

// ResolveSecret reads a *_env or *_file reference. The error names the key
// and the variable or path, never the value.
func ResolveSecret(key, env, file string) (identity.Secret, error) {
	switch {
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return identity.Secret{}, fmt.Errorf("config: %s_env: environment variable %s is not set", key, env)
		}
		return identity.NewSecret(v), nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return identity.Secret{}, fmt.Errorf("config: %s_file: %w", key, err)
		}
		return identity.NewSecret(strings.TrimRight(string(b), "\r\n")), nil
	}
	return identity.Secret{}, fmt.Errorf("config: %s: set %s_env or %s_file", key, key, key)
}

func (c *Config) usesRedis() bool {
	return c.RedisURL != "" || c.RedisURLEnv != "" || c.RedisURLFile != "" || c.Redis != nil
}

// redisURL returns the Redis URL from the file, the environment or a file,
// as a Secret because it may carry a password.
func (c *Config) redisURL() (identity.Secret, error) {
	if c.RedisURL != "" {
		return identity.NewSecret(c.RedisURL), nil
	}
	u, err := ResolveSecret("redis_url", c.RedisURLEnv, c.RedisURLFile)
	if err != nil {
		return u, err
	}
	if p, err := url.Parse(u.Reveal()); err != nil || (p.Scheme != "redis" && p.Scheme != "rediss") {
		return u, fmt.Errorf("config: redis_url_env/redis_url_file: must hold redis://… or rediss://…")
	}
	return u, nil
}

// SealKey decodes the 32-byte base64 key.
func (c *Config) SealKey() ([]byte, error) {
	s, err := ResolveSecret("seal_key", c.SealKeyEnv, c.SealKeyFile)
	if err != nil {
		return nil, err
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s.Reveal()))
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("config: seal_key: must be 32 random bytes in base64 (make one with: head -c32 /dev/urandom | base64)")
	}
	return k, nil
}
