package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/psa/connectwise/connectwisetest"
	"github.com/unlockbot/unlockbot/psa/freshdesk/freshdesktest"
	"github.com/unlockbot/unlockbot/psa/kaseyabms/kaseyabmstest"
	"github.com/unlockbot/unlockbot/psa/superops/superopstest"
)

// What a technician reads when a PSA refuses unlockbot's credentials is
// the vendor's sentence naming the setting to check (through
// bot.SafeMessage, as the flow shows it), never the credential.
func TestPSACredentialErrorsReachTheTechnicianAsSentences(t *testing.T) {
	build := func(t *testing.T, y string) func() error {
		t.Helper()
		c, err := ParseConfig([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		tk, err := newTickets(c.Orgs[0], ticketDeps{store: memstore.New(), log: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		return func() error { _, err := tk.ListOpen(context.Background(), c.Orgs[0].PSA.CompanyID, "", 10); return err }
	}
	t.Run("connectwise", func(t *testing.T) {
		fake := connectwisetest.New(t, connectwisetest.Credentials{Company: "msp", PublicKey: "pub-k", PrivateKey: "priv-k", ClientID: "5f0c0ab4-1111-4e2b-9c8f-0123456789ab"})
		t.Setenv("CW_TEST_PUBLIC", "pub-k")
		t.Setenv("CW_TEST_PRIVATE", "wrong-private-key")
		err := build(t, strings.Replace(cwConfig, "BASE", fake.URL, 1))()
		if s := bot.SafeMessage(err); !strings.Contains(s, "check psa.connectwise") || strings.Contains(s, "wrong-private-key") {
			t.Fatalf("technician reads %q (%v)", s, err)
		}
	})
	t.Run("freshdesk", func(t *testing.T) {
		fake := freshdesktest.New(t, "fd-right-key")
		fake.AddCompany(501, "Acme")
		t.Setenv("UNLOCKBOT_TEST_FD_KEY", "fd-wrong-key")
		err := build(t, freshdeskYAML(fake.URL, ""))()
		if s := bot.SafeMessage(err); !strings.Contains(s, "check psa.freshdesk.api_key") || strings.Contains(s, "fd-wrong-key") {
			t.Fatalf("technician reads %q (%v)", s, err)
		}
	})
	t.Run("kaseya_bms", func(t *testing.T) {
		f := kaseyabmstest.New(t, "acme-msp", "bot@msp.example", "bms-api-pw")
		f.AddAccount(250, "Acme", 11)
		t.Setenv("UNLOCKBOT_TEST_BMS_PASSWORD", "bms-wrong-pw")
		err := build(t, string(bmsConfig(f.URL, bmsBlock)))()
		if s := bot.SafeMessage(err); !strings.Contains(s, "Kaseya BMS") || strings.Contains(s, "bms-wrong-pw") || strings.Contains(s, "Something went wrong") {
			t.Fatalf("technician reads %q (%v)", s, err)
		}
		t.Log(bot.SafeMessage(err))
	})
	t.Run("superops", func(t *testing.T) {
		fake := superopstest.New(t, "so-right-token", "acme-msp", "New", "Working", "Resolved")
		fake.AddClient("4001", "Acme Ltd")
		fake.AddTicket("4001", "Locked out", "Working", time.Now())
		t.Setenv("SO_TOKEN", "so-wrong-token")
		err := build(t, `
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    psa:
      kind: superops
      company_id: "4001"
      superops:
        base_url: `+fake.Endpoint()+`
        subdomain: acme-msp
        api_token_env: SO_TOKEN
        client_name: Acme Ltd
        new_status: New
        resolved_status: Resolved
        open_statuses: [New, Working]
`)()
		if s := bot.SafeMessage(err); !strings.Contains(s, "check psa.superops.api_token") || strings.Contains(s, "so-wrong-token") {
			t.Fatalf("technician reads %q (%v)", s, err)
		}
	})
}
