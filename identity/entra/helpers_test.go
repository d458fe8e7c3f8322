package entra_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/entra"
	"github.com/unlockbot/unlockbot/identity/entra/entratest"
)

// Users of the fake tenant.
const (
	aliceID = "11111111-1111-4111-8111-111111111111"
	bobID   = "22222222-2222-4222-8222-222222222222"
	carolID = "33333333-3333-4333-8333-333333333333" // synced
	daveID  = "44444444-4444-4444-8444-444444444444" // disabled
	eveID   = "55555555-5555-4555-8555-555555555555"
	denyID  = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
	innerID = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
	roleGrp = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
	goneID  = "dddddddd-dddd-4ddd-8ddd-dddddddddddd"
)

func tenant(t testing.TB) *entratest.Server {
	t.Helper()
	s := entratest.New()
	t.Cleanup(s.Close)
	s.AddUser(entratest.User{ID: aliceID, UPN: "alice@contoso.com", Mail: "alice@contoso.com", MailNickname: "alice", DisplayName: "Alice Smith", Enabled: true})
	s.AddUser(entratest.User{ID: bobID, UPN: "bob@contoso.com", Mail: "robert@contoso.com", MailNickname: "bob", DisplayName: "Bob Jones", Enabled: true})
	s.AddUser(entratest.User{ID: carolID, UPN: "carol@contoso.com", MailNickname: "carol", DisplayName: "Carol Hybrid", Enabled: true,
		Synced: true, SamAccountName: "carol", OnPremDomain: "corp.contoso.com"})
	s.AddUser(entratest.User{ID: daveID, UPN: "dave@contoso.com", MailNickname: "dave", DisplayName: "Dave Gone", Enabled: false})
	// Eve's mailNickname is "bob" too: "bob" is ambiguous.
	s.AddUser(entratest.User{ID: eveID, UPN: "eve@fabrikam.com", MailNickname: "bob", DisplayName: "Eve Other", Enabled: true})
	s.AddGroup(entratest.Group{ID: innerID, DisplayName: "Finance", Members: []string{bobID}})
	s.AddGroup(entratest.Group{ID: denyID, DisplayName: "VIPs", Members: []string{innerID}})
	return s
}

func config(s *entratest.Server) entra.Config {
	return entra.Config{TenantID: entratest.TenantID, ClientID: entratest.ClientID, ClientSecret: identity.NewSecret(entratest.Secret),
		AuthorityURL: s.AuthorityURL(), GraphURL: s.GraphURL(), DenyGroups: []string{denyID}, Timeout: 5 * time.Second}
}

// waits records retry waits instead of sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func dir(t testing.TB, s *entratest.Server, edit ...func(*entra.Config)) (*entra.Directory, *waits) {
	t.Helper()
	cfg := config(s)
	for _, e := range edit {
		e(&cfg)
	}
	d, err := entra.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &waits{}
	d.SetSleep(w.sleep)
	return d, w
}

func safe(err error) string {
	var ie *identity.Error
	if errors.As(err, &ie) {
		return ie.Safe
	}
	return ""
}

func lookup(t *testing.T, d *entra.Directory, name string) identity.Account {
	t.Helper()
	a, err := d.Lookup(context.Background(), name)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", name, err)
	}
	return a
}

func secret(s string) identity.Secret { return identity.NewSecret(s) }
