package ldap

import (
	"testing"

	"github.com/unlockbot/unlockbot/identity"
)

// The bot's own account is recognised by DN (however it is spelled) or, when
// bind_dn is a UPN, by UPN; no other account is, so an admin command can lock
// anyone but the bot.
func TestIsBotAccount(t *testing.T) {
	byDN := &Directory{cfg: Config{BindDN: "CN=unlockbot,OU=Service,DC=lab,DC=test"}}
	byUPN := &Directory{cfg: Config{BindDN: "unlockbot@lab.test"}}
	for _, c := range []struct {
		d    *Directory
		acct identity.Account
		want bool
	}{
		{byDN, identity.Account{ID: "cn=UnlockBot, ou=service,dc=lab,dc=test"}, true},
		{byDN, identity.Account{ID: "CN=unlockbot,OU=Service,DC=lab,DC=test", UPN: "unlockbot@lab.test"}, true},
		{byDN, identity.Account{ID: "CN=alice,OU=Service,DC=lab,DC=test", UPN: "alice@lab.test"}, false},
		{byDN, identity.Account{ID: "CN=unlockbot,OU=Other,DC=lab,DC=test"}, false},
		{byDN, identity.Account{}, false},
		{byDN, identity.Account{ID: "not a dn"}, false},
		{byUPN, identity.Account{ID: "CN=unlockbot,OU=Service,DC=lab,DC=test", UPN: "UnlockBot@Lab.Test"}, true},
		{byUPN, identity.Account{ID: "CN=alice,OU=Service,DC=lab,DC=test", UPN: "alice@lab.test"}, false},
		{byUPN, identity.Account{ID: "CN=unlockbot,OU=Service,DC=lab,DC=test"}, false},
	} {
		if got := c.d.IsBotAccount(c.acct); got != c.want {
			t.Errorf("bind %q, account %+v: IsBotAccount = %v, want %v", c.d.cfg.BindDN, c.acct, got, c.want)
		}
	}
}
