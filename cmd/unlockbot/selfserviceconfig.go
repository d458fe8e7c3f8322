package main

import (
	"slices"

	"github.com/unlockbot/unlockbot/bot"
)

// SelfServiceConfig is an org's policy.self_service (docs/self-service.md).
type SelfServiceConfig struct {
	Enabled    bool `yaml:"enabled"`
	AllowReset bool `yaml:"allow_reset"`
	// RequireApproval: inherit (default: the org's require_approval),
	// true or false.
	RequireApproval string `yaml:"require_approval"`
}

func (c SelfServiceConfig) policy() bot.SelfService {
	p := bot.SelfService{Enabled: c.Enabled, AllowReset: c.AllowReset}
	switch c.RequireApproval {
	case "true", "false":
		b := c.RequireApproval == "true"
		p.RequireApproval = &b
	}
	return p
}

// validate refuses self-service that could not verify the person: the
// e-mail code must be one of the org's methods, with a mail server.
func (c SelfServiceConfig) validate(k string, v VerifyConfig, smtp SMTPConfig, bad func(string, string, ...any)) {
	if !slices.Contains([]string{"", "inherit", "true", "false"}, c.RequireApproval) {
		bad(k+".require_approval", "must be inherit, true or false (got %q)", c.RequireApproval)
	}
	if !c.Enabled {
		return
	}
	if !slices.Contains(v.Required, string(bot.VerifyEmailCode)) && !slices.Contains(v.Offered, string(bot.VerifyEmailCode)) {
		bad(k, "needs email_code in policy.verify (required or offered): a person unlocking themselves must always prove it with a code")
	}
	if smtp.Addr == "" {
		bad(k, "needs the smtp block (addr, from) to send the person's code")
	}
}
