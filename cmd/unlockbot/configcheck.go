package main

// The per-block checks Validate calls: a policy's passphrase settings and an
// org's directory block.

import (
	"net/url"
	"os"

	"github.com/unlockbot/unlockbot/bot"
)

// validatePassphrase holds passphrase_words to the generator's floor
// (bot.MinEntropyBits) and to a min_password_length it can meet: a length
// rule that refuses most passphrases would cost bits and make the reset
// fail after generate()'s 20 draws.
func (p PolicyConfig) validatePassphrase(key string, bad func(string, string, ...any)) {
	w := p.PassphraseWords
	if w == 0 {
		return
	}
	lo, hi := bot.MinPassphraseWords, maxPassphraseWords
	if w < lo || w > hi {
		bad(key, "must be 0 (random characters) or between %d and %d (got %d): %d words carry %.1f bits, the least a generated password may have is %d",
			lo, hi, w, lo, bot.Entropy(bot.Policy{PassphraseWords: lo}), bot.MinEntropyBits)
		return
	}
	full := bot.Entropy(bot.Policy{PassphraseWords: w})
	got := bot.Entropy(bot.Policy{PassphraseWords: w, MinPasswordLength: p.MinPasswordLength})
	switch {
	case got == 0:
		bad(key, "%d words never make min_password_length %d characters; raise passphrase_words or lower min_password_length", w, p.MinPasswordLength)
	case got < full-1: // more than half of the passphrases too short
		bad(key, "%d words are too few for min_password_length %d: most passphrases would be shorter (%.1f bits left of %.1f); raise passphrase_words or lower min_password_length",
			w, p.MinPasswordLength, got, full)
	}
}

func (d DirectoryConfig) validate(k string, bad func(string, string, ...any)) {
	if d.MaxConcurrentResets < 0 || d.MaxConcurrentResets > 1000 {
		bad(k+".max_concurrent_resets", "must be 0 (no bound) to 1000 (got %d)", d.MaxConcurrentResets)
	}
	switch d.Kind {
	case "demo":
		if !d.DevMode {
			bad(k+".kind", "demo is the built-in fake directory; set dev_mode: true to use it (never for a real organization)")
		}
		return
	case "entra":
		d.validateEntra(k, bad)
		return
	case "ad", "ldap":
	default:
		bad(k+".kind", "must be ad, ldap, entra or demo (got %q)", d.Kind)
		return
	}
	if d.Entra != nil || d.OnPremises != nil {
		bad(k+".kind", "is %s: entra and on_premises belong to kind entra", d.Kind)
	}
	u, err := url.Parse(d.URL)
	switch {
	case err != nil || (u.Scheme != "ldaps" && u.Scheme != "ldap") || u.Host == "":
		bad(k+".url", "must be ldaps://host:636 (or ldap://host:389 with start_tls: true), got %q", d.URL)
	case u.Scheme == "ldap" && !d.StartTLS:
		bad(k+".url", "plain ldap:// sends passwords in clear; use ldaps:// or set start_tls: true")
	}
	if d.InsecureSkipVerify && !d.DevMode {
		bad(k+".insecure_skip_verify", "is allowed only with dev_mode: true (a lab), never in production")
	}
	if d.CAFile != "" {
		if _, err := os.Stat(d.CAFile); err != nil {
			bad(k+".ca_file", "cannot be read: %v", err)
		}
	}
	if d.BindDN == "" {
		bad(k+".bind_dn", "is required (a delegated account, not a domain admin)")
	}
	if d.BindPasswordEnv == "" && d.BindPasswordFile == "" {
		bad(k+".bind_password_env", "set bind_password_env or bind_password_file")
	}
	if d.BaseDN == "" {
		bad(k+".base_dn", "is required: only accounts under it can be reset")
	}
}
