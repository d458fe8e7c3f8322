package main

import (
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/psa/local"
)

// A psa.kind that is not built is refused when the config loads, naming
// the key and the kinds there are.
func TestUnknownPSAKindIsRefused(t *testing.T) {
	_, err := ParseConfig([]byte(`
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    psa: {kind: servicenow}
`))
	want := `config: orgs[0].psa.kind: must be local, connectwise, kaseya_bms, freshdesk or superops, got "servicenow"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want it to contain %q", err, want)
	}
	// newTickets says the same to a caller that skipped validation.
	_, err = newTickets(OrgConfig{ID: "acme", PSA: PSAConfig{Kind: "servicenow"}}, ticketDeps{store: memstore.New()})
	if err == nil || !strings.Contains(err.Error(), `psa.kind: must be local`) {
		t.Fatalf("newTickets: %v", err)
	}
}

// An empty kind is the local tickets.
func TestEmptyPSAKindIsLocal(t *testing.T) {
	tk, err := newTickets(OrgConfig{ID: "acme"}, ticketDeps{store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tk.(*local.Tickets); !ok {
		t.Fatalf("got %T, want local tickets", tk)
	}
}

// A real PSA needs the client company's id: it is never the org id by
// default (that would look up, or file tickets under, a wrong company).
func TestPSACompanyIDRequiredForRealPSAs(t *testing.T) {
	for _, kind := range []string{"connectwise", "kaseya_bms", "freshdesk", "superops"} {
		_, err := ParseConfig([]byte("orgs:\n  - id: acme\n    directory: {kind: demo, dev_mode: true}\n    psa: {kind: " + kind + "}\n"))
		if err == nil || !strings.Contains(err.Error(), "orgs[0].psa.company_id: is required with psa.kind "+kind) {
			t.Errorf("%s without company_id: %v", kind, err)
		}
	}
	c, err := ParseConfig([]byte("orgs:\n  - id: acme\n    directory: {kind: demo, dev_mode: true}\n"))
	if err != nil || c.Orgs[0].PSA.CompanyID != "acme" {
		t.Fatalf("local tickets: company %q, %v", c.Orgs[0].PSA.CompanyID, err)
	}
}

// A PSA's base URL carries its credentials and the password note: https,
// or plain http to localhost (the tests' fakes) only.
func TestPSABaseURLsAreHTTPS(t *testing.T) {
	for kind, block := range map[string]string{
		"connectwise": "connectwise: {base_url: \"http://cw.example/v4_6_release/apis/3.0\", company: m, public_key_env: A, private_key_env: B, client_id: x, board_id: 1, closed_status_id: 2}",
		"superops":    "superops: {base_url: \"http://api.superops.example/msp\", subdomain: s, api_token_env: T, new_status: N, resolved_status: R, open_statuses: [N]}",
		"freshdesk":   "freshdesk: {base_url: \"http://x.freshdesk.com\", api_key_env: K, fallback_requester_email: a@b.example}",
		"kaseya_bms":  "kaseya_bms: {base_url: \"http://api.bms.example\", tenant: t, username: u, password_env: P, location_id: 1, priority_id: 1, source_id: 1, status_id: 1, type_id: 1, note_type_id: 1}",
	} {
		_, err := ParseConfig([]byte("orgs:\n  - id: acme\n    directory: {kind: demo, dev_mode: true}\n    psa: {kind: " + kind + ", company_id: \"1\", " + block + "}\n"))
		if err == nil || !strings.Contains(err.Error(), "orgs[0].psa."+kind+".base_url") {
			t.Errorf("%s over plain http to another host: %v", kind, err)
		}
	}
}
