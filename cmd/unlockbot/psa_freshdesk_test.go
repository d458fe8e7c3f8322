package main

import (
	"context"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/psa/freshdesk/freshdesktest"
)

func freshdeskYAML(baseURL, extra string) string {
	return `
orgs:
  - id: acme
    name: Acme
    directory: {kind: demo, dev_mode: true}
    psa:
      kind: freshdesk
      company_id: "501"
      freshdesk:
        base_url: ` + baseURL + `
        api_key_env: UNLOCKBOT_TEST_FD_KEY
        fallback_requester_email: helpdesk@msp.example
        group_id: 12
` + extra
}

// A freshdesk block parses and builds a client that talks to the fake.
func TestFreshdeskConfigBuildsAWorkingClient(t *testing.T) {
	const key = "fd-cmd-key-123"
	t.Setenv("UNLOCKBOT_TEST_FD_KEY", key)
	fake := freshdesktest.New(t, key)
	fake.AddCompany(501, "Acme")
	fake.AddGroup(12, "Desk")
	fake.AddContact(90, "helpdesk@msp.example", 501)
	fake.AddTicket(freshdesktest.Ticket{Subject: "VPN", CompanyID: 501})
	c, err := ParseConfig([]byte(freshdeskYAML(fake.URL, "        resolved_status: 5\n")))
	if err != nil {
		t.Fatal(err)
	}
	tk, err := newTickets(c.Orgs[0], ticketDeps{store: memstore.New(), log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tk.ListOpen(context.Background(), "501", "", 10)
	if err != nil || len(got) != 1 || got[0].Summary != "VPN" {
		t.Fatalf("%v %v", got, err)
	}
	if err := tk.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Validation names each bad key.
func TestFreshdeskConfigNamesBadKeys(t *testing.T) {
	y := strings.Replace(freshdeskYAML("http://acme.freshdesk.com", "        priority: 9\n        resolved_status: 3\n"), `company_id: "501"`, `company_id: acme`, 1)
	y = strings.Replace(y, "helpdesk@msp.example", "not-an-email", 1)
	_, err := ParseConfig([]byte(y))
	for _, want := range []string{
		"orgs[0].psa.company_id: must be the numeric Freshdesk company id",
		"orgs[0].psa.freshdesk.base_url: must use https",
		"orgs[0].psa.freshdesk.fallback_requester_email:",
		"orgs[0].psa.freshdesk.priority: must be 1 (low) to 4 (urgent), got 9",
		"orgs[0].psa.freshdesk.resolved_status:",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	_, err = ParseConfig([]byte(`
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    psa: {kind: freshdesk, company_id: "5"}
`))
	if err == nil || !strings.Contains(err.Error(), "orgs[0].psa.freshdesk: is required") {
		t.Fatalf("%v", err)
	}
	_, err = ParseConfig([]byte(strings.Replace(freshdeskYAML("https://acme.freshdesk.com", ""), "api_key_env: UNLOCKBOT_TEST_FD_KEY", "api_key: abc", 1)))
	if err == nil || !strings.Contains(err.Error(), "secrets are never written in the file") {
		t.Fatalf("%v", err)
	}
}
