package main

import (
	"context"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/psa/connectwise/connectwisetest"
)

const cwConfig = `
orgs:
  - id: acme
    name: Acme
    directory: {kind: demo, dev_mode: true}
    psa:
      kind: connectwise
      company_id: "250"
      connectwise:
        base_url: BASE
        company: msp
        public_key_env: CW_TEST_PUBLIC
        private_key_env: CW_TEST_PRIVATE
        client_id: 5f0c0ab4-1111-4e2b-9c8f-0123456789ab
        board_id: 12
        status_id: 1
        closed_status_id: 7
`

func TestConnectWiseConfigBuildsAWorkingClient(t *testing.T) {
	fake := connectwisetest.New(t, connectwisetest.Credentials{Company: "msp", PublicKey: "pub-k", PrivateKey: "priv-k", ClientID: "5f0c0ab4-1111-4e2b-9c8f-0123456789ab"})
	fake.AddCompany(connectwisetest.Company{ID: 250, Identifier: "Acme", Name: "Acme"})
	fake.AddBoard(12, connectwisetest.Status{ID: 1, Name: "New"}, connectwisetest.Status{ID: 7, Name: "Closed", Closed: true})
	fake.AddTicket(connectwisetest.Ticket{Summary: "Locked out", CompanyID: 250, BoardID: 12, StatusID: 1})
	t.Setenv("CW_TEST_PUBLIC", "pub-k")
	t.Setenv("CW_TEST_PRIVATE", "priv-k")

	cfg, err := ParseConfig([]byte(strings.Replace(cwConfig, "BASE", fake.URL, 1)))
	if err != nil {
		t.Fatal(err)
	}
	tk, err := newTickets(cfg.Orgs[0], ticketDeps{store: memstore.New(), log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if err := tk.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	list, err := tk.ListOpen(context.Background(), "250", "locked", 10)
	if err != nil || len(list) != 1 || list[0].Summary != "Locked out" {
		t.Fatalf("ListOpen %+v %v", list, err)
	}
}

func TestConnectWiseConfigNamesBadKeys(t *testing.T) {
	bad := `
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    psa:
      kind: connectwise
      company_id: acme
      connectwise:
        base_url: http://example.com/
        public_key_env: A
        public_key_file: /b
`
	_, err := ParseConfig([]byte(bad))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"orgs[0].psa.company_id", "orgs[0].psa.connectwise.base_url", "orgs[0].psa.connectwise.company",
		"orgs[0].psa.connectwise.public_key_env: set public_key_env or public_key_file, not both",
		"orgs[0].psa.connectwise.private_key_env", "orgs[0].psa.connectwise.client_id",
		"orgs[0].psa.connectwise.board_id", "orgs[0].psa.connectwise.closed_status_id",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nlacks %q", err, want)
		}
	}
	_, err = ParseConfig([]byte(strings.Replace(bad, "public_key_env: A", "private_key: hunter2", 1)))
	if err == nil || !strings.Contains(err.Error(), "private_key_env") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("inline key: %v", err)
	}
	_, err = ParseConfig([]byte(`
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    psa: {kind: connectwise, company_id: "1"}
`))
	if err == nil || !strings.Contains(err.Error(), "orgs[0].psa.connectwise: is required") {
		t.Fatalf("missing block: %v", err)
	}
}
