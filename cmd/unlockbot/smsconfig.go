package main

import (
	"time"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/sms"
	"github.com/unlockbot/unlockbot/identity"
)

// SMSConfig is the text-message provider one-time codes go through
// (policy.verify sms_code). Only Twilio's Messages API shape is built.
type SMSConfig struct {
	Kind                string        `yaml:"kind"`     // twilio; empty: no SMS
	BaseURL             string        `yaml:"base_url"` // default https://api.twilio.com
	AccountSID          string        `yaml:"account_sid"`
	AuthTokenEnv        string        `yaml:"auth_token_env"`
	AuthTokenFile       string        `yaml:"auth_token_file"`
	From                string        `yaml:"from"` // or messaging_service_sid
	MessagingServiceSID string        `yaml:"messaging_service_sid"`
	Timeout             time.Duration `yaml:"timeout"` // one send (default 15s)
}

func (s SMSConfig) validate(bad func(string, string, ...any)) {
	switch s.Kind {
	case "":
		return
	case "twilio":
	default:
		bad("sms.kind", "must be twilio (got %q)", s.Kind)
		return
	}
	if s.AuthTokenEnv == "" && s.AuthTokenFile == "" {
		bad("sms", "needs auth_token_env or auth_token_file")
	}
	if s.From != "" {
		if _, ok := bot.E164(s.From); !ok && s.MessagingServiceSID == "" {
			bad("sms.from", "must be a number in international form (+15005550006)")
		}
	}
	if s.Timeout < 0 || s.Timeout > time.Minute {
		bad("sms.timeout", "must be between 1s and 1m (got %s)", s.Timeout)
	}
	// The token is read at start, not here: check the rest with a stand-in.
	if _, err := s.build(identity.NewSecret("stand-in")); err != nil {
		bad("sms", "%v", err)
	}
}

func (s SMSConfig) build(token identity.Secret) (*sms.Client, error) {
	return sms.New(sms.Config{BaseURL: s.BaseURL, AccountSID: s.AccountSID, AuthToken: token, From: s.From,
		MessagingServiceSID: s.MessagingServiceSID, Timeout: s.Timeout})
}

// sender builds the provider client (nil without sms.kind). Errors name
// the key, never the token.
func (s SMSConfig) sender() (bot.SMSSender, error) {
	if s.Kind == "" {
		return nil, nil
	}
	token, err := ResolveSecret("sms.auth_token", s.AuthTokenEnv, s.AuthTokenFile)
	if err != nil {
		return nil, err
	}
	c, err := s.build(token)
	if err != nil {
		return nil, err
	}
	return c, nil
}
