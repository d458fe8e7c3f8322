package main

import (
	"strings"
	"testing"
)

// Self-service is refused unless the person can always be sent a code;
// require_approval takes inherit, true or false.
func TestSelfServiceConfig(t *testing.T) {
	const smtp = "smtp: {addr: \"mail:587\", from: \"it@example.test\"}\n"
	org := "orgs:\n  - id: acme\n    directory: {kind: demo, dev_mode: true}\n    policy: {%s}\n"
	for name, tc := range map[string]struct{ head, policy, want string }{
		"no code":       {smtp, "self_service: {enabled: true}", "orgs[0].policy.self_service: needs email_code in policy.verify"},
		"facts only":    {smtp, "verify: {required: [personal_data], personal_data: [{label: Id, attribute: employeeID}]}, self_service: {enabled: true}", "needs email_code"},
		"no smtp":       {"", "self_service: {enabled: true}", "orgs[0].policy.self_service: needs the smtp block"},
		"bad approval":  {smtp, "verify: {offered: [email_code]}, self_service: {enabled: true, require_approval: maybe}", `self_service.require_approval: must be inherit, true or false (got "maybe")`},
		"bad when off ": {smtp, "self_service: {require_approval: yes}", "self_service.require_approval: must be"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.head + strings.Replace(org, "%s", tc.policy, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant %q", err, tc.want)
			}
		})
	}
	for approval, want := range map[string]string{"": "inherit", "inherit": "inherit", "true": "true", "false": "false"} {
		y := smtp + strings.Replace(org, "%s", "verify: {offered: [email_code]}, self_service: {enabled: true, allow_reset: true, require_approval: \""+approval+"\"}", 1)
		cfg, err := ParseConfig([]byte(y))
		if err != nil {
			t.Fatalf("%q: %v", approval, err)
		}
		p := cfg.Orgs[0].Policy.SelfService.policy()
		got := "inherit"
		if p.RequireApproval != nil {
			got = map[bool]string{true: "true", false: "false"}[*p.RequireApproval]
		}
		if !p.Enabled || !p.AllowReset || got != want {
			t.Fatalf("%q: policy %+v (approval %s)", approval, p, got)
		}
	}
}
