package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/unlockbot/unlockbot/bot/pwned"
	"github.com/unlockbot/unlockbot/bot/pwned/pwnedtest"
	"github.com/unlockbot/unlockbot/identity"
)

const screenOrg = "orgs:\n  - id: acme\n    directory: { kind: demo, dev_mode: true }\n    policy: %s\n"

func screenConfig(t *testing.T, policy string) (*Config, error) {
	t.Helper()
	head := "audit: { file: " + filepath.Join(t.TempDir(), "a.jsonl") + ", hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }\n"
	return ParseConfig([]byte(head + fmt.Sprintf(screenOrg, policy)))
}

// screenApp is the production wiring of that one org, closed when t ends.
func screenApp(t *testing.T, policy string) *app {
	t.Helper()
	cfg, err := screenConfig(t, policy)
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func TestHIBPConfigErrorsNameTheKey(t *testing.T) {
	for policy, want := range map[string]string{
		`{hibp: {enabled: true, url: "http://api.example.com"}}`:      "orgs[0].policy.hibp.url: must be https://host[/path] (http:// only for a loopback test server)",
		`{hibp: {enabled: true, url: "https://x/?mode=ntlm"}}`:        "orgs[0].policy.hibp.url: must be",
		`{hibp: {enabled: true, url: "https://"}}`:                    "orgs[0].policy.hibp.url: must be",
		`{hibp: {enabled: true, on_error: ignore}}`:                   `orgs[0].policy.hibp.on_error: must be refuse or allow (got "ignore")`,
		`{hibp: {enabled: true, timeout: 10ms}}`:                      "orgs[0].policy.hibp.timeout: must be between 100ms and 30s (got 10ms)",
		`{hibp: {enabled: true, timeout: 31s}}`:                       "orgs[0].policy.hibp.timeout: must be between 100ms and 30s",
		`{hibp: {enabled: true, url: "https://hibp.internal/proxy"}}`: "",
		`{hibp: {enabled: true, url: "http://127.0.0.1:8080"}}`:       "",
		`{hibp: {on_error: allow, timeout: 1s}}`:                      "",
	} {
		_, err := screenConfig(t, policy)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: got %v, want %q", policy, err, want)
		}
	}
}

func TestPasswordPolicyReachesTheOrg(t *testing.T) {
	fake := pwnedtest.New(t)
	fake.Breach("Velvet-Harbor-Lamp-81", 9)
	words := filepath.Join(t.TempDir(), "words.txt")
	os.WriteFile(words, []byte("# Acme's own\nacmecorp\nroadrunner\n"), 0o600)
	p := screenApp(t, fmt.Sprintf(`{password_blocklist_file: %q, hibp: {enabled: true, url: %q, on_error: allow}}`, words, fake.URL())).orgs[0].Policy
	if p.Blocklist == nil || p.Blocklist.Words() != 2 || !p.Blocklist.Blocked(identity.NewSecret("Beep-Roadrunner-9")) {
		t.Fatal("the org's words are not on its blocklist")
	}
	if p.Breaches == nil || !p.AllowUnscreened {
		t.Fatalf("hibp not wired: screen %v, allow %t", p.Breaches, p.AllowUnscreened)
	}
	if got, err := p.Breaches.Breached(context.Background(), identity.NewSecret("Velvet-Harbor-Lamp-81")); err != nil || !got {
		t.Fatalf("the org's screen does not ask the configured URL: %t %v", got, err)
	}
	if ua := fake.Requests()[0]; !strings.Contains(ua, "User-Agent: unlockbot/") {
		t.Fatalf("User-Agent does not name unlockbot: %q", ua)
	}

	if p := screenApp(t, "{}").orgs[0].Policy; p.Breaches != nil || p.Blocklist != nil || p.AllowUnscreened {
		t.Fatal("an org without hibp or a word file got one")
	}
}

func TestPasswordBlocklistFileErrors(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.txt")
	os.WriteFile(short, []byte("acmecorp\nabc\n"), 0o600)
	for file, want := range map[string]string{
		filepath.Join(dir, "missing.txt"): "org acme: policy.password_blocklist_file: open",
		short:                             `line 2: "abc" is shorter than 4 characters`,
	} {
		cfg, err := screenConfig(t, fmt.Sprintf(`{password_blocklist_file: %q}`, file))
		if err != nil {
			t.Fatal(err)
		}
		if a, err := buildApp(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			if a != nil {
				a.Close()
			}
			t.Errorf("%s: got %v, want %q", file, err, want)
		}
	}
}

func TestCheckReportsTheScreens(t *testing.T) {
	fake := pwnedtest.New(t)
	fake.Breach(canary, 52_256_179)
	words := filepath.Join(t.TempDir(), "words.txt")
	os.WriteFile(words, []byte("acmecorp\n"), 0o600)
	screens := func(policy string) (string, error) {
		t.Helper()
		return checkScreens(context.Background(), screenApp(t, policy).orgs[0].Policy)
	}
	line, err := screens("{}")
	if err != nil || line != "refused when among 49233 common passwords; no breach check (policy.hibp)" {
		t.Fatalf("no hibp: %q %v", line, err)
	}
	line, err = screens(fmt.Sprintf(`{password_blocklist_file: %q, hibp: {enabled: true, url: %q}}`, words, fake.URL()))
	if err != nil || !strings.Contains(line, "or holding one of the org's 1 words; breached ones via the range API (it answers; when it does not, a typed password is refused)") {
		t.Fatalf("hibp: %q %v", line, err)
	}
	line, err = screens(fmt.Sprintf(`{hibp: {enabled: true, url: %q, on_error: allow}}`, fake.URL()))
	if err != nil || !strings.HasSuffix(line, "a typed password is taken)") {
		t.Fatalf("hibp, allow: %q %v", line, err)
	}
	empty := pwnedtest.New(t) // answers, but knows no breach
	if _, err = screens(fmt.Sprintf(`{hibp: {enabled: true, url: %q}}`, empty.URL())); err == nil || !strings.Contains(err.Error(), "does not list a password every breach list holds") {
		t.Fatalf("a service without the canary: %v", err)
	}
	fake.FailNext(1, http.StatusBadGateway, "")
	if _, err = screens(fmt.Sprintf(`{hibp: {enabled: true, url: %q}}`, fake.URL())); err == nil || !strings.Contains(err.Error(), "did not answer") || !strings.Contains(err.Error(), "HTTP 502") {
		t.Fatalf("a failing service: %v", err)
	}
}

// The example documents policy.hibp with its defaults spelled out.
func TestExampleConfigShowsHIBP(t *testing.T) {
	b, err := os.ReadFile("../../docs/unlockbot.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	h := c.Orgs[0].Policy.HIBP
	if h.URL != pwned.DefaultURL || h.OnError != "refuse" {
		t.Fatalf("example hibp block: %+v", h)
	}
	var errs []string
	h.validate("hibp", func(k, f string, a ...any) { errs = append(errs, k+": "+fmt.Sprintf(f, a...)) })
	if len(errs) > 0 {
		t.Fatal(errs)
	}
}
