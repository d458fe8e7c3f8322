package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot"
)

func TestVerifyConfig(t *testing.T) {
	const smtp = "smtp: {addr: \"mail:587\", from: \"it@example.test\"}\n"
	org := `
orgs:
  - id: acme
    directory: {kind: %k, dev_mode: true}
    policy: {verify: %s}
`
	for name, tc := range map[string]struct{ head, kind, verify, want string }{
		"unknown method":      {smtp, "demo", "{required: [voice_call]}", `orgs[0].policy.verify.required: "voice_call" is not a verification method this version has (email_code, personal_data, sms_code, chat_confirm)`},
		"unknown offered":     {smtp, "demo", "{offered: [questions]}", `orgs[0].policy.verify.offered: "questions" is not`},
		"code without smtp":   {"", "demo", "{required: [email_code]}", "orgs[0].policy.verify.email_code: needs the smtp block"},
		"offered needs smtp":  {"", "demo", "{offered: [email_code]}", "orgs[0].policy.verify.email_code: needs the smtp block"},
		"bad email attribute": {smtp, "demo", "{required: [email_code], email_attribute: \"mail)(x\"}", "orgs[0].policy.verify.email_attribute: \"mail)(x\" is not an attribute name"},
		"facts not listed":    {smtp, "demo", "{required: [personal_data]}", "orgs[0].policy.verify.personal_data: lists the facts"},
		"label missing":       {smtp, "demo", "{required: [personal_data], personal_data: [{attribute: mobile}]}", "personal_data.label: must be one line"},
		"label too long":      {smtp, "demo", "{required: [personal_data], personal_data: [{label: " + strings.Repeat("x", 49) + ", attribute: mobile}]}", "personal_data.label: must be one line"},
		"bad attribute":       {smtp, "demo", "{required: [personal_data], personal_data: [{label: Id, attribute: \"a b\"}]}", "personal_data.attribute: \"a b\" is not an attribute name"},
		"too many digits":     {smtp, "demo", "{required: [personal_data], personal_data: [{label: Mobile, attribute: mobile, last_digits: 9}]}", "last_digits: must be between 0"},
		"negative digits":     {smtp, "demo", "{required: [personal_data], personal_data: [{label: Mobile, attribute: mobile, last_digits: -1}]}", "last_digits: must be between 0"},
		"too many facts":      {smtp, "demo", "{required: [personal_data], personal_data: [{label: a, attribute: a}, {label: b, attribute: b}, {label: c, attribute: c}, {label: d, attribute: d}, {label: e, attribute: e}, {label: f, attribute: f}]}", "asks at most 5 facts"},
		"entra no graph name": {smtp, "entra", "{required: [personal_data], personal_data: [{label: Id, attribute: employeeNumber}]}", `orgs[0].policy.verify.personal_data.attribute: "employeeNumber" has no Microsoft Graph counterpart for an entra directory`},
		"entra email":         {smtp, "entra", "{required: [email_code], email_attribute: proxyAddresses}", `orgs[0].policy.verify.email_attribute: "proxyAddresses" has no Microsoft Graph counterpart`},
		"confirm too long":    {smtp, "demo", "{required: [chat_confirm], confirm_timeout: 2h}", "orgs[0].policy.verify.confirm_timeout: must be between 1m and 1h (got 2h0m0s)"},
		"confirm too short":   {smtp, "demo", "{required: [chat_confirm], confirm_timeout: 30s}", "confirm_timeout: must be between 1m and 1h"},
		"sms without block":   {smtp, "demo", "{required: [sms_code]}", "orgs[0].policy.verify.sms_code: needs the sms block"},
		"bad sms attribute":   {smtp, "demo", "{required: [chat_confirm], sms_attribute: \"a)(b\"}", "orgs[0].policy.verify.sms_attribute: \"a)(b\" is not an attribute name"},
	} {
		t.Run(name, func(t *testing.T) {
			y := tc.head + strings.Replace(strings.Replace(org, "%s", tc.verify, 1), "%k", tc.kind, 1)
			_, err := ParseConfig([]byte(y))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
	teams := smtp + strings.Replace(strings.Replace(org, "%k", "demo", 1), "%s", "{required: [email_code]}", 1) + "    teams: {technicians: [6f1c2f0e-1111-4a4a-9b9b-00000000000a]}\n"
	if _, err := ParseConfig([]byte(teams)); err != nil {
		t.Fatalf("the e-mail code on Teams: %v", err)
	}
	teams = smtp + strings.Replace(strings.Replace(org, "%k", "demo", 1), "%s", "{offered: [personal_data], personal_data: [{label: Id, attribute: employeeID}]}", 1) + "    teams: {technicians: [6f1c2f0e-1111-4a4a-9b9b-00000000000a]}\n"
	if cfg, err := ParseConfig([]byte(teams)); err != nil || !slices.Contains(cfg.Orgs[0].Policy.Verify.policy().Offered, bot.VerifyPersonalData) {
		t.Fatalf("personal data on Teams: %v", err)
	}
	good := smtp + strings.Replace(strings.Replace(org, "%k", "demo", 1), "%s",
		"{required: [email_code], offered: [personal_data], email_attribute: otherMailbox, personal_data: [{label: \" Employee ID \", attribute: employeeID}, {label: Mobile, attribute: mobile, last_digits: 4}]}", 1)
	cfg, err := ParseConfig([]byte(good))
	if err != nil {
		t.Fatalf("good config: %v", err)
	}
	p := cfg.Orgs[0].Policy.Verify.policy()
	if len(p.Required) != 1 || p.Required[0] != bot.VerifyEmailCode || len(p.Offered) != 1 || p.Offered[0] != bot.VerifyPersonalData ||
		p.EmailAttribute != "otherMailbox" || p.PersonalData[0].Label != "Employee ID" || p.PersonalData[1].LastDigits != 4 {
		t.Fatalf("policy %+v", p)
	}
	if got := strings.Join(p.Attributes(), ","); got != "otherMailbox,employeeID,mobile" {
		t.Fatalf("directory reads %s", got)
	}
}
