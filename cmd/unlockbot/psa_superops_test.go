package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/psa/superops/superopstest"
)

func TestSuperOpsConfigBuildsAWorkingClient(t *testing.T) {
	fake := superopstest.New(t, "so-token-abc", "acme-msp", "New", "Working", "Resolved")
	fake.AddClient("4001", "Acme Ltd")
	fake.AddTicket("4001", "Locked out", "Working", time.Now())
	t.Setenv("SO_TOKEN", "so-token-abc")
	cfg, err := ParseConfig([]byte(`
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    psa:
      kind: superops
      company_id: "4001"
      superops:
        base_url: ` + fake.Endpoint() + `
        subdomain: acme-msp
        api_token_env: SO_TOKEN
        new_status: New
        resolved_status: Resolved
        open_statuses: [New, Working]
`))
	if err != nil {
		t.Fatal(err)
	}
	tk, err := newTickets(cfg.Orgs[0], ticketDeps{store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tk.ListOpen(context.Background(), "4001", "", 10)
	if err != nil || len(got) != 1 || got[0].CompanyID != "4001" {
		t.Fatalf("%+v %v", got, err)
	}
	if err := tk.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestSuperOpsConfigNamesBadKeys(t *testing.T) {
	_, err := ParseConfig([]byte(`
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    psa:
      kind: superops
      superops:
        base_url: "ftp://x"
`))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, k := range []string{"superops.base_url", "superops.subdomain", "superops.api_token_env", "superops.new_status", "superops.resolved_status", "superops.open_statuses"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("%q not named in %v", k, err)
		}
	}
	_, err = ParseConfig([]byte(`
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    psa: {kind: superops, company_id: "1"}
`))
	if err == nil || !strings.Contains(err.Error(), "psa.superops") {
		t.Fatalf("missing block: %v", err)
	}
	_, err = ParseConfig([]byte(`
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    psa:
      kind: superops
      superops: {token: abc}
`))
	if err == nil || !strings.Contains(err.Error(), "token_env") {
		t.Fatalf("inline token: %v", err)
	}
}
