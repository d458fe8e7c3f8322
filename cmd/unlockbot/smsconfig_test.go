package main

import (
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/sms/smstest"
)

const smsOrg = `
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    policy: {verify: {required: [sms_code], offered: [chat_confirm], sms_attribute: pager, confirm_timeout: 5m}}
`

func smsBlock(extra string) string {
	return "sms: {kind: twilio, account_sid: " + smstest.AccountSID + ", auth_token_env: E2E_SMS_TOKEN" + extra + "}\n"
}

func TestSMSConfig(t *testing.T) {
	for name, tc := range map[string]struct{ block, want string }{
		"kind":      {"sms: {kind: nexmo}\n", `sms.kind: must be twilio (got "nexmo")`},
		"no token":  {"sms: {kind: twilio, account_sid: " + smstest.AccountSID + ", from: \"+15005550006\"}\n", "sms: needs auth_token_env or auth_token_file"},
		"sid":       {"sms: {kind: twilio, account_sid: AC1, auth_token_env: X, from: \"+15005550006\"}\n", "sms: sms: account_sid must be AC"},
		"no sender": {smsBlock(""), "sms: sms: set from or messaging_service_sid"},
		"from":      {smsBlock(", from: \"555 0100\""), "sms.from: must be a number in international form"},
		"timeout":   {smsBlock(", from: \"+15005550006\", timeout: 2m"), "sms.timeout: must be between 1s and 1m"},
		"base_url":  {smsBlock(", from: \"+15005550006\", base_url: \"ftp://x\""), "sms: sms: base_url must be an http(s) URL"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.block + smsOrg))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
	cfg, err := ParseConfig([]byte(smsBlock(", from: \"+15005550006\", timeout: 5s") + smsOrg))
	if err != nil {
		t.Fatalf("good config: %v", err)
	}
	p := cfg.Orgs[0].Policy.Verify.policy()
	if p.Required[0] != bot.VerifySMSCode || p.Offered[0] != bot.VerifyChatConfirm || p.SMSAttribute != "pager" || p.ConfirmTimeout != 5*time.Minute {
		t.Fatalf("policy %+v", p)
	}
	if got := strings.Join(p.Attributes(), ","); got != "pager" {
		t.Fatalf("directory reads %s", got)
	}
	// An alphanumeric sender is fine with a messaging service.
	if _, err := ParseConfig([]byte(smsBlock(", from: Acme, messaging_service_sid: "+smstest.ServiceSID) + smsOrg)); err != nil {
		t.Fatalf("messaging service: %v", err)
	}
	// The token is read at start; a missing variable is named, the token never.
	t.Setenv("E2E_SMS_TOKEN", "")
	if _, err := cfg.SMS.sender(); err == nil || !strings.Contains(err.Error(), "sms.auth_token") {
		t.Fatalf("missing token: %v", err)
	}
	t.Setenv("E2E_SMS_TOKEN", "tok-secret-77")
	s, err := cfg.SMS.sender()
	if err != nil || s == nil {
		t.Fatalf("sender: %v", err)
	}
	if s, err := (SMSConfig{}).sender(); s != nil || err != nil {
		t.Fatalf("no sms block: %v %v", s, err)
	}
}

// TestChatConfirmAcceptedOnTeams: the Teams adapter finds the owner by
// UPN in the approval channel and routes their Yes/No, so an org on Teams
// may require chat_confirm (TestTeamsChatConfirmAndOwnerNotice proves it).
func TestChatConfirmAcceptedOnTeams(t *testing.T) {
	y := smsOrg + "    teams: {technicians: [\"6f1c2f0e-1111-4a4a-9b9b-00000000000a\"]}\n"
	y = strings.Replace(y, "required: [sms_code], offered: [chat_confirm], sms_attribute: pager, ", "required: [chat_confirm], ", 1)
	if !strings.Contains(y, "required: [chat_confirm]") {
		t.Fatal("the test's config no longer requires chat_confirm")
	}
	if _, err := ParseConfig([]byte(y)); err != nil {
		t.Fatalf("chat_confirm on Teams: %v", err)
	}
}
