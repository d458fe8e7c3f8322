package main

import (
	"strings"
	"testing"
)

func TestEntraConfigErrorsNameTheKey(t *testing.T) {
	const ok = "tenant_id: 8f6b3c2e-1d4a-4b7e-9c0f-2a1b3c4d5e6f, client_id: 4a1e2b3c-5d6e-4f70-8a9b-0c1d2e3f4a5b, client_secret_env: S"
	for name, c := range map[string]struct{ dir, want string }{
		"no block":       {"kind: entra", "orgs[0].directory.entra: is required with kind entra"},
		"bad tenant":     {"kind: entra, entra: { tenant_id: x, client_id: 4a1e2b3c-5d6e-4f70-8a9b-0c1d2e3f4a5b, client_secret_env: S }", "orgs[0].directory.entra.tenant_id: must be the directory (tenant) id"},
		"no secret":      {"kind: entra, entra: { tenant_id: 8f6b3c2e-1d4a-4b7e-9c0f-2a1b3c4d5e6f, client_id: 4a1e2b3c-5d6e-4f70-8a9b-0c1d2e3f4a5b }", "entra.client_secret_env: set exactly one"},
		"inline secret":  {"kind: entra, entra: { " + ok + ", client_secret: hunter2 }", "field client_secret not found"},
		"on-prem ldap":   {"kind: entra, entra: { " + ok + " }, on_premises: { kind: ldap }", "orgs[0].directory.on_premises.kind: must be ad"},
		"on-prem no dn":  {"kind: entra, entra: { " + ok + " }, on_premises: { kind: ad, url: \"ldaps://dc:636\", bind_dn: b, bind_password_env: P }", "orgs[0].directory.on_premises.base_dn: is required"},
		"lock group dn":  {"kind: entra, intentional_lock_group: \"CN=Held,DC=corp\", entra: { " + ok + " }", "orgs[0].directory.intentional_lock_group: \"CN=Held,DC=corp\" is not a group object id"},
		"entra under ad": {"kind: ad, url: \"ldaps://dc:636\", bind_dn: b, bind_password_env: P, base_dn: d, entra: { " + ok + " }", "entra and on_premises belong to kind entra"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig([]byte("orgs:\n  - id: acme\n    directory: { " + c.dir + " }\n"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %q", err, c.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatal("the error repeats the secret")
			}
		})
	}
	if _, err := ParseConfig([]byte("orgs:\n  - id: acme\n    directory: { kind: entra, intentional_lock_group: 6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d, entra: { " + ok + " } }\n")); err != nil {
		t.Fatalf("a valid Entra org: %v", err)
	}
}
