package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit/syslog/syslogtest"
)

// tlsRedis starts a real redis-server that speaks only TLS, asks for a
// client certificate from ca, and knows one ACL user, bot, whose password
// is pw (the default user is off). It returns its port.
func tlsRedis(t *testing.T, ca *syslogtest.CA, pw string) int {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed: run bash .ci/redis.sh")
		}
		t.Skip("redis-server is not installed; run bash .ci/redis.sh")
	}
	dir := t.TempDir()
	caFile, certFile, keyFile := ca.Files(dir, "localhost") // the server's certificate, for "localhost"
	port := freePort(t)
	cmd := exec.Command(bin, "--port", "0", "--tls-port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--tls-cert-file", certFile, "--tls-key-file", keyFile, "--tls-ca-cert-file", caFile, "--tls-auth-clients", "yes",
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--user", "default", "off", "--user", "bot", "on", ">"+pw, "~*", "&*", "+@all")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatal("the TLS redis-server did not start")
		}
	}
}

// TestRedisOverTLSWithACL: the bot reaches a Redis that speaks only TLS,
// checks its certificate against a private CA under the configured name,
// presents a client certificate, and signs in as an ACL user whose
// password comes from the environment; each thing missing or wrong fails
// with a sentence that never shows the password.
func TestRedisOverTLSWithACL(t *testing.T) {
	ca := syslogtest.NewCA(t)
	const pw = "acl-Passw0rd-for-bot"
	port := tlsRedis(t, ca, pw)
	dir := t.TempDir()
	caFile, certFile, keyFile := ca.Files(dir, "unlockbot") // the bot's client certificate
	other := syslogtest.NewCA(t)
	wrongCA, _, _ := other.Files(t.TempDir(), "x")

	ping := func(url, tlsBlock string) error {
		t.Helper()
		t.Setenv("TLS_REDIS_URL", url)
		y := "redis_url_env: TLS_REDIS_URL\nseal_key_env: TLS_SEAL_KEY\n" + tlsBlock + "\norgs:\n  - id: acme\n    directory: { kind: demo, dev_mode: true }\n"
		t.Setenv("TLS_SEAL_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
		cfg, err := ParseConfig([]byte(y))
		if err != nil {
			return err
		}
		rs, err := cfg.redisStore()
		if err != nil {
			return err
		}
		defer rs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return rs.Ping(ctx)
	}
	good := fmt.Sprintf("redis_tls: { ca_file: %s, cert_file: %s, key_file: %s, server_name: localhost }", caFile, certFile, keyFile)
	url := fmt.Sprintf("rediss://bot:%s@127.0.0.1:%d/0", pw, port)
	if err := ping(url, good); err != nil {
		t.Fatalf("TLS with the right CA, client certificate and ACL user: %v", err)
	}
	for name, c := range map[string]struct{ url, tls, want string }{
		"no client cert": {url, fmt.Sprintf("redis_tls: { ca_file: %s, server_name: localhost }", caFile), ""},
		"wrong CA":       {url, fmt.Sprintf("redis_tls: { ca_file: %s, cert_file: %s, key_file: %s, server_name: localhost }", wrongCA, certFile, keyFile), "certificate"},
		"wrong name":     {url, fmt.Sprintf("redis_tls: { ca_file: %s, cert_file: %s, key_file: %s, server_name: redis.example }", caFile, certFile, keyFile), "certificate"},
		"wrong password": {fmt.Sprintf("rediss://bot:not-it@127.0.0.1:%d/0", port), good, "WRONGPASS"},
		"plain redis":    {fmt.Sprintf("redis://bot:%s@127.0.0.1:%d/0", pw, port), good, "rediss://"},
	} {
		t.Run(name, func(t *testing.T) {
			err := ping(c.url, c.tls)
			if err == nil {
				t.Fatal("connected")
			}
			if c.want != "" && !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want it to say %q", err, c.want)
			}
			if strings.Contains(err.Error(), pw) {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
	// The config refuses what cannot work, before anything dials.
	if _, err := ParseConfig([]byte("redis_url: redis://127.0.0.1:6379/0\nseal_key_env: K\n" + good + "\norgs:\n  - id: a\n    directory: { kind: demo, dev_mode: true }\n")); err == nil || !strings.Contains(err.Error(), "redis_tls: needs a rediss:// URL") {
		t.Fatalf("redis_tls with redis://: %v", err)
	}
	if _, err := ParseConfig([]byte("redis_url: rediss://127.0.0.1:6379/0\nseal_key_env: K\nredis_tls: { cert_file: " + filepath.Join(dir, "nope.pem") + " }\norgs:\n  - id: a\n    directory: { kind: demo, dev_mode: true }\n")); err == nil || !strings.Contains(err.Error(), "redis_tls.cert_file: and key_file go together") || !strings.Contains(err.Error(), "redis_tls.cert_file: cannot be read") {
		t.Fatalf("bad redis_tls files: %v", err)
	}
}
