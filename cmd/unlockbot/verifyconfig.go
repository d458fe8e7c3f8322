package main

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/bot"
)

// VerifyConfig is an org's policy.verify: how the caller proves who they
// are before a reset (docs/verification.md).
type VerifyConfig struct {
	Required       []string             `yaml:"required"`
	Offered        []string             `yaml:"offered"`
	EmailAttribute string               `yaml:"email_attribute"` // mail (default) or otherMailbox, ...
	PersonalData   []PersonalFactConfig `yaml:"personal_data"`
	SMSAttribute   string               `yaml:"sms_attribute"`   // mobile (default)
	ConfirmTimeout time.Duration        `yaml:"confirm_timeout"` // chat_confirm's wait (default 10m)
}

// PersonalFactConfig is one personal-data question.
type PersonalFactConfig struct {
	Label      string `yaml:"label"`       // what the technician asks: "Employee ID"
	Attribute  string `yaml:"attribute"`   // the directory attribute it must match
	LastDigits int    `yaml:"last_digits"` // compare only the last N digits (a mobile)
}

// verifyMethods are the methods this build carries.
var verifyMethods = []string{string(bot.VerifyEmailCode), string(bot.VerifyPersonalData), string(bot.VerifySMSCode), string(bot.VerifyChatConfirm)}

// ldapAttribute is an attribute name the directory can be asked for.
var ldapAttribute = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,63}$`)

func (v VerifyConfig) policy() bot.VerifyPolicy {
	p := bot.VerifyPolicy{EmailAttribute: v.EmailAttribute, SMSAttribute: v.SMSAttribute, ConfirmTimeout: v.ConfirmTimeout}
	for _, m := range v.Required {
		p.Required = append(p.Required, bot.VerifyMethod(m))
	}
	for _, m := range v.Offered {
		p.Offered = append(p.Offered, bot.VerifyMethod(m))
	}
	for _, f := range v.PersonalData {
		p.PersonalData = append(p.PersonalData, bot.PersonalFact{Label: strings.TrimSpace(f.Label), Attribute: f.Attribute, LastDigits: f.LastDigits})
	}
	return p
}

func (v VerifyConfig) validate(k string, c *Config, oc OrgConfig, bad func(string, string, ...any)) {
	uses := map[string]bool{}
	for i, list := range [][]string{v.Required, v.Offered} {
		key := []string{"required", "offered"}[i]
		for _, m := range list {
			if !slices.Contains(verifyMethods, m) {
				bad(k+"."+key, "%q is not a verification method this version has (%s)", m, strings.Join(verifyMethods, ", "))
			}
			uses[m] = true
		}
	}
	if len(uses) > 0 && !slices.Contains([]string{"ad", "ldap", "entra", "demo"}, oc.Directory.Kind) {
		bad(k, "needs an ad, ldap or entra directory (kind %q cannot read the caller's attributes yet)", oc.Directory.Kind)
	}
	if oc.Directory.Kind == "entra" {
		v.validateEntraAttributes(k, bad)
	}
	if uses[string(bot.VerifyEmailCode)] && c.SMTP.Addr == "" {
		bad(k+".email_code", "needs the smtp block (addr, from) to send codes")
	}
	if uses[string(bot.VerifySMSCode)] && c.SMS.Kind == "" {
		bad(k+".sms_code", "needs the sms block (kind, account_sid, auth_token_env, from) to send codes")
	}
	if v.SMSAttribute != "" && !ldapAttribute.MatchString(v.SMSAttribute) {
		bad(k+".sms_attribute", "%q is not an attribute name", v.SMSAttribute)
	}
	if v.ConfirmTimeout != 0 && (v.ConfirmTimeout < time.Minute || v.ConfirmTimeout > time.Hour) {
		bad(k+".confirm_timeout", "must be between 1m and 1h (got %s)", v.ConfirmTimeout)
	}
	if v.EmailAttribute != "" && !ldapAttribute.MatchString(v.EmailAttribute) {
		bad(k+".email_attribute", "%q is not an attribute name", v.EmailAttribute)
	}
	if uses[string(bot.VerifyPersonalData)] && len(v.PersonalData) == 0 {
		bad(k+".personal_data", "lists the facts to ask for (label, attribute) when personal_data is used")
	}
	if len(v.PersonalData) > 5 {
		bad(k+".personal_data", "asks at most 5 facts (got %d)", len(v.PersonalData))
	}
	for _, f := range v.PersonalData {
		if l := strings.TrimSpace(f.Label); l == "" || len(l) > 48 || strings.ContainsAny(l, "\r\n") {
			bad(k+".personal_data.label", "must be one line of 1 to 48 characters")
		}
		if !ldapAttribute.MatchString(f.Attribute) {
			bad(k+".personal_data.attribute", "%q is not an attribute name", f.Attribute)
		}
		if f.LastDigits < 0 || f.LastDigits > 8 {
			bad(k+".personal_data.last_digits", "must be between 0 (the whole value) and 8 (got %d)", f.LastDigits)
		}
	}
}
