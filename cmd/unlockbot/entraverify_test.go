package main

import (
	"strings"
	"testing"
)

// TestEntraVerifyPolicyUsesGraphNames: one verify block written with AD's
// names reads Graph's properties on an Entra ID org, and the bot compares
// under the names entra fills.
func TestEntraVerifyPolicyUsesGraphNames(t *testing.T) {
	y := `smtp: {addr: "mail:587", from: "it@example.test"}
orgs:
  - id: acme
    directory: { kind: entra, entra: { tenant_id: 8f6b3c2e-1d4a-4b7e-9c0f-2a1b3c4d5e6f, client_id: 4a1e2b3c-5d6e-4f70-8a9b-0c1d2e3f4a5b, client_secret_env: S } }
    policy:
      verify:
        required: [email_code]
        offered: [personal_data]
        email_attribute: otherMailbox
        personal_data: [{label: Employee ID, attribute: employeeID}, {label: Mobile, attribute: mobile, last_digits: 4}, {label: Hired, attribute: employeeHireDate}]
`
	cfg, err := ParseConfig([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	oc := cfg.Orgs[0]
	p := oc.verifyPolicy()
	if p.EmailAttribute != "otherMails" || p.SMSAttribute != "mobilePhone" || p.PersonalData[0].Attribute != "employeeId" ||
		p.PersonalData[1].Attribute != "mobilePhone" || p.PersonalData[2].Attribute != "employeeHireDate" {
		t.Fatalf("policy for Entra ID: %+v", p)
	}
	if got := strings.Join(p.Attributes(), ","); got != "otherMails,employeeId,mobilePhone,employeeHireDate" {
		t.Fatalf("entra reads %s", got)
	}
	// An AD org keeps the names as written.
	oc.Directory.Kind = "ad"
	if p := oc.verifyPolicy(); p.EmailAttribute != "otherMailbox" || p.PersonalData[1].Attribute != "mobile" || p.SMSAttribute != "" {
		t.Fatalf("policy for AD: %+v", p)
	}
}
