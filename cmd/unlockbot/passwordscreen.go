package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/pwned"
	"github.com/unlockbot/unlockbot/identity"
)

// HIBPConfig is an org's use of Have I Been Pwned's range API for typed
// passwords (policy.hibp). Only the first 5 hex characters of a password's
// SHA-1 are sent; see docs/passwords.md.
type HIBPConfig struct {
	Enabled bool   `yaml:"enabled"`
	URL     string `yaml:"url"` // default https://api.pwnedpasswords.com
	// OnError is what a typed password gets when the service cannot be
	// asked: refuse (default; the form offers a generated one) or allow.
	OnError string        `yaml:"on_error"`
	Timeout time.Duration `yaml:"timeout"` // per check, default 3s
}

// validate names the key and says what is wrong.
func (h HIBPConfig) validate(key string, bad func(string, string, ...any)) {
	if h.URL != "" {
		if u, err := url.Parse(h.URL); err != nil || u.Host == "" || u.RawQuery != "" || !(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
			bad(key+".url", "must be https://host[/path] (http:// only for a loopback test server)")
		}
	}
	if h.OnError != "" && h.OnError != "refuse" && h.OnError != "allow" {
		bad(key+".on_error", "must be refuse or allow (got %q)", h.OnError)
	}
	if h.Timeout != 0 && (h.Timeout < 100*time.Millisecond || h.Timeout > 30*time.Second) {
		bad(key+".timeout", "must be between 100ms and 30s (got %s)", h.Timeout)
	}
}

// screen is the range-API client the org's policy asks, nil when off.
func (h HIBPConfig) screen() (bot.PasswordScreen, error) {
	if !h.Enabled {
		return nil, nil
	}
	c, err := pwned.New(pwned.Options{URL: h.URL, Timeout: h.Timeout, UserAgent: "unlockbot/" + buildInfo().Version})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// passwordPolicy adds an org's password screens to p: the shipped list
// with the org's own words (policy.password_blocklist_file) and, when
// enabled, the range API.
func passwordPolicy(p bot.Policy, oc OrgConfig) (bot.Policy, error) {
	pc := oc.Policy
	if f := pc.PasswordBlocklistFile; f != "" {
		fh, err := os.Open(f)
		if err != nil {
			return p, fmt.Errorf("policy.password_blocklist_file: %w", err)
		}
		words, err := bot.ReadWords(fh)
		fh.Close()
		if err != nil {
			return p, fmt.Errorf("policy.password_blocklist_file %s: %w", f, err)
		}
		if p.Blocklist, err = bot.CommonPasswords().WithWords(words); err != nil {
			return p, fmt.Errorf("policy.password_blocklist_file %s: %w", f, err)
		}
	}
	s, err := pc.HIBP.screen()
	if err != nil {
		return p, fmt.Errorf("policy.hibp: %w", err)
	}
	p.Breaches, p.AllowUnscreened = s, pc.HIBP.OnError == "allow"
	return p, nil
}

// canary is a password every breach list holds; `unlockbot check` asks
// the range API about it (its prefix, 5BAA6, is all that is sent) to prove
// the service answers and reads as it should.
const canary = "password"

// checkScreens is `unlockbot check`'s line on an org's typed passwords.
func checkScreens(ctx context.Context, p bot.Policy) (string, error) {
	bl := p.Blocklist
	if bl == nil {
		bl = bot.CommonPasswords()
	}
	line := fmt.Sprintf("refused when among %d common passwords", bl.Len())
	if n := bl.Words(); n > 0 {
		line += fmt.Sprintf(" or holding one of the org's %d words", n)
	}
	if p.Breaches == nil {
		return line + "; no breach check (policy.hibp)", nil
	}
	found, err := p.Breaches.Breached(ctx, identity.NewSecret(canary))
	if err != nil {
		return "", fmt.Errorf("the breached-password service did not answer; check policy.hibp.url and the network: %w", err)
	}
	if !found {
		return "", errors.New("the breached-password service answered but does not list a password every breach list holds; check policy.hibp.url")
	}
	onError := "refused"
	if p.AllowUnscreened {
		onError = "taken"
	}
	return line + "; breached ones via the range API (it answers; when it does not, a typed password is " + onError + ")", nil
}
