package main

import (
	"context"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/psa/kaseyabms/kaseyabmstest"
)

func bmsConfig(baseURL, block string) []byte {
	return []byte(`
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    psa:
      kind: kaseya_bms
      company_id: "250"
      kaseya_bms:
        base_url: ` + baseURL + `
` + block)
}

const bmsBlock = `        tenant: acme-msp
        username: bot@msp.example
        password_env: UNLOCKBOT_TEST_BMS_PASSWORD
        location_id: 11
        priority_id: 2
        source_id: 4
        status_id: 1
        type_id: 3
        note_type_id: 6
        resolve_status_id: 5
`

func TestKaseyaBMSConfigBuildsAWorkingClient(t *testing.T) {
	f := kaseyabmstest.New(t, "acme-msp", "bot@msp.example", "bms-api-pw")
	f.AddAccount(250, "Acme", 11)
	f.AddTicket(kaseyabmstest.Ticket{AccountID: 250, LocationID: 11, StatusID: 1, Title: "Locked out"})
	t.Setenv("UNLOCKBOT_TEST_BMS_PASSWORD", "bms-api-pw")
	cfg, err := ParseConfig(bmsConfig(f.URL, bmsBlock))
	if err != nil {
		t.Fatal(err)
	}
	tk, err := newTickets(cfg.Orgs[0], ticketDeps{store: memstore.New(), log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	list, err := tk.ListOpen(context.Background(), cfg.Orgs[0].PSA.CompanyID, "", 10)
	if err != nil || len(list) != 1 || list[0].Summary != "Locked out" || list[0].CompanyID != "250" {
		t.Fatalf("%+v %v", list, err)
	}
	if v := f.Violations(); len(v) > 0 {
		t.Fatalf("contract: %q", v)
	}
}

func TestKaseyaBMSConfigNamesBadKeys(t *testing.T) {
	_, err := ParseConfig(bmsConfig("http://bms.example.com", `        tenant: ""
        username: bot
        password_env: X
        password_file: /y
        location_id: 0
        priority_id: 2
        source_id: 4
        status_id: 1
        type_id: 3
        note_type_id: -1
`))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, key := range []string{"orgs[0].psa.kaseya_bms.base_url", "orgs[0].psa.kaseya_bms.tenant", "orgs[0].psa.kaseya_bms.password_env",
		"orgs[0].psa.kaseya_bms.location_id", "orgs[0].psa.kaseya_bms.note_type_id"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("missing %s in %v", key, err)
		}
	}
	_, err = ParseConfig([]byte(`
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    psa: {kind: kaseya_bms, company_id: acme}
`))
	if err == nil || !strings.Contains(err.Error(), "orgs[0].psa.kaseya_bms: is required") {
		t.Fatalf("missing block: %v", err)
	}
	_, err = ParseConfig([]byte(strings.Replace(string(bmsConfig("https://api.bms.kaseya.com", bmsBlock)), `password_env: UNLOCKBOT_TEST_BMS_PASSWORD`, `password: hunter2`, 1)))
	if err == nil || !strings.Contains(err.Error(), "password_env") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("inline password: %v", err)
	}
}
