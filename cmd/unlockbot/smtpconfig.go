package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/mailer"
	"github.com/unlockbot/unlockbot/identity"
)

// SMTPConfig is the submission server unlockbot sends e-mail through (the
// owner notice). STARTTLS is always required; implicit_tls for port 465.
type SMTPConfig struct {
	Addr         string        `yaml:"addr"` // host:port; empty: no e-mail
	ImplicitTLS  bool          `yaml:"implicit_tls"`
	ServerName   string        `yaml:"server_name"` // the certificate's name, when not addr's host
	CAFile       string        `yaml:"ca_file"`     // a private CA (default: the system's roots)
	From         string        `yaml:"from"`
	ReplyTo      string        `yaml:"reply_to"`
	Username     string        `yaml:"username"`
	PasswordEnv  string        `yaml:"password_env"`
	PasswordFile string        `yaml:"password_file"`
	Timeout      time.Duration `yaml:"timeout"` // one whole send (default 30s)
}

// NotifyOwnerConfig is an org's policy.notify_owner.
type NotifyOwnerConfig struct {
	Chat    bool   `yaml:"chat"`
	Email   bool   `yaml:"email"`
	Manager bool   `yaml:"manager"`
	Contact string `yaml:"contact"` // "call the service desk at +1 555 0100"
}

func (n NotifyOwnerConfig) policy() bot.OwnerNotice {
	return bot.OwnerNotice{Chat: n.Chat, Email: n.Email, Manager: n.Manager, Contact: n.Contact}
}

func (n NotifyOwnerConfig) validate(k string, c *Config, bad func(string, string, ...any)) {
	if n.Email && c.SMTP.Addr == "" {
		bad(k+".email", "needs the smtp block (addr, from) to send e-mail")
	}
	if n.Manager && !n.Chat && !n.Email {
		bad(k+".manager", "needs chat or email to reach the manager")
	}
	if len(n.Contact) > 200 || strings.ContainsAny(n.Contact, "\r\n") {
		bad(k+".contact", "must be one line of at most 200 characters")
	}
}

func (s SMTPConfig) validate(bad func(string, string, ...any)) {
	if s.Addr == "" {
		return
	}
	if s.Timeout < 0 || s.Timeout > 5*time.Minute {
		bad("smtp.timeout", "must be between 1s and 5m (got %s)", s.Timeout)
	}
	if s.Username != "" && s.PasswordEnv == "" && s.PasswordFile == "" {
		bad("smtp.username", "needs password_env or password_file")
	}
	// The password is read at start, not here: check the rest with a stand-in.
	if _, err := s.build(identity.NewSecret("stand-in")); err != nil {
		bad("smtp", "%v", err)
	}
}

// mailer builds the mailer (nil without smtp.addr). Errors name the key,
// never the password.
func (s SMTPConfig) mailer() (*mailer.Mailer, error) {
	if s.Addr == "" {
		return nil, nil
	}
	var pw identity.Secret
	if s.Username != "" {
		var err error
		if pw, err = ResolveSecret("smtp.password", s.PasswordEnv, s.PasswordFile); err != nil {
			return nil, err
		}
	}
	return s.build(pw)
}

func (s SMTPConfig) build(pw identity.Secret) (*mailer.Mailer, error) {
	cfg := mailer.Config{Addr: s.Addr, ImplicitTLS: s.ImplicitTLS, ServerName: s.ServerName, From: s.From,
		ReplyTo: s.ReplyTo, Username: s.Username, Timeout: s.Timeout}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", s.CAFile)
		}
	}
	if s.Username != "" {
		cfg.Password = pw
	}
	return mailer.New(cfg)
}
