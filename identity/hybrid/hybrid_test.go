package hybrid

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
)

const guid = "0f8fad5b-d9cb-469f-a165-70867728950e"

// tenant has a cloud-only user (dana) and a synced one (carol, AD account
// "carol", holding an Entra role); ad has carol, locked.
func sides() (cloud, ad *memory.Directory) {
	cloud = memory.New(
		memory.User{Account: identity.Account{ID: guid, Username: "dana@acme.test", UPN: "dana@acme.test", InScope: true, LockoutHidden: true}, Password: "Old-Passw0rd!"},
		memory.User{Account: identity.Account{ID: "1b4e28ba-2fa1-11d2-883f-0016d3cca427", Username: "carol@acme.test", UPN: "carol@acme.test",
			Mail: "carol@acme.test", InScope: true, LockoutHidden: true, Synced: true, OnPremAccount: "carol", OnPremDomain: "acme.local",
			ProtectedGroups: []string{"Helpdesk Administrator"}}, Password: "Old-Passw0rd!"},
	)
	ad = memory.New(memory.User{Account: identity.Account{Username: "carol", InScope: true,
		Lock: identity.LockState{Locked: true, BadCount: 5}, DenyGroups: []string{"VIPs"}}, Password: "Old-Passw0rd!"})
	return cloud, ad
}

func TestCloudOnlyStaysInEntra(t *testing.T) {
	cloud, ad := sides()
	d := New(cloud, ad)
	ctx := context.Background()
	a, err := d.Lookup(ctx, "dana@acme.test")
	if err != nil || a.ID != guid || !a.LockoutHidden {
		t.Fatalf("cloud-only lookup: %+v %v", a, err)
	}
	if err := d.SetPassword(ctx, a, identity.PasswordChange{Password: identity.NewSecret("New-Passw0rd!1")}); err != nil {
		t.Fatal(err)
	}
	if cloud.Counts().SetPassword != 1 || ad.Counts().SetPassword != 0 || ad.Counts().Lookup != 0 {
		t.Fatalf("cloud %+v ad %+v: a cloud-only account must not touch AD", cloud.Counts(), ad.Counts())
	}
}

func TestSyncedIsResetInADWithTheCloudsGuardFacts(t *testing.T) {
	cloud, ad := sides()
	d := New(cloud, ad)
	ctx := context.Background()
	a, err := d.Lookup(ctx, "carol@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.ID, "CN=carol,") || a.Username != "carol@acme.test" || !a.Synced || a.LockoutHidden || !a.Lock.Locked {
		t.Fatalf("synced lookup %+v: want AD's account and lockout under the cloud name", a)
	}
	if strings.Join(a.ProtectedGroups, ",") != "Helpdesk Administrator" || strings.Join(a.DenyGroups, ",") != "VIPs" {
		t.Fatalf("guard facts %v / %v: want the Entra role and AD's deny group", a.ProtectedGroups, a.DenyGroups)
	}
	if err := d.SetPassword(ctx, a, identity.PasswordChange{Password: identity.NewSecret("New-Passw0rd!1"), Unlock: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.Unlock(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Verify(ctx, a, identity.NewSecret("New-Passw0rd!1"), false); err != nil {
		t.Fatal(err)
	}
	if ad.Counts().SetPassword != 1 || ad.Counts().Unlock != 2 || ad.Counts().Verify != 1 || cloud.Counts().SetPassword != 0 || cloud.Counts().Verify != 0 {
		t.Fatalf("ad %+v cloud %+v: a synced account is written in AD only", ad.Counts(), cloud.Counts())
	}
}

func TestSyncedWithoutADIsRefusedWithWhatToDo(t *testing.T) {
	cloud, _ := sides()
	ctx := context.Background()
	_, err := New(cloud, nil).Lookup(ctx, "carol@acme.test")
	if !errors.Is(err, identity.ErrSynced) || identity.KindOf(err) != identity.KindInvalid || !strings.Contains(safe(err), "reset it in AD") {
		t.Fatalf("synced without AD: %v", err)
	}
	// An account read elsewhere as synced is never written in the cloud.
	a := identity.Account{ID: "x", Username: "carol@acme.test", Synced: true}
	if err := New(cloud, nil).SetPassword(ctx, a, identity.PasswordChange{Password: identity.NewSecret("New-Passw0rd!1")}); !errors.Is(err, identity.ErrSynced) {
		t.Fatalf("cloud write of a synced account: %v", err)
	}
	if cloud.Counts().SetPassword != 0 {
		t.Fatal("the cloud was written")
	}
	// Synced, but its AD account is not under the org's base DN.
	_, empty := memory.New(), memory.New()
	_, err = New(cloud, empty).Lookup(ctx, "carol@acme.test")
	if !errors.Is(err, identity.ErrNotFound) || !strings.Contains(safe(err), "not under this organization's on_premises base DN") {
		t.Fatalf("synced, AD account missing: %v", err)
	}
}

func TestPingAsksBothSides(t *testing.T) {
	cloud, ad := sides()
	if err := New(cloud, ad).Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("ldap down")
	ad.FailNext("Ping", boom)
	if err := New(cloud, ad).Ping(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("ping with AD down: %v", err)
	}
}

func safe(err error) string {
	var e *identity.Error
	if errors.As(err, &e) {
		return e.SafeMessage()
	}
	return ""
}

// mailTenant is the memory tenant with a mail index, as Entra's
// LookupByMail answers.
type mailTenant struct {
	*memory.Directory
	byMail map[string]string // mail → name Lookup finds
}

func (m mailTenant) LookupByMail(ctx context.Context, addr string) (identity.Account, error) {
	name, ok := m.byMail[strings.ToLower(addr)]
	if !ok {
		return identity.Account{}, identity.E("test", identity.KindNotFound, "No such account.", identity.ErrNotFound)
	}
	return m.Lookup(ctx, name)
}

func TestSyncedKeepsTheTenantsPersonalFacts(t *testing.T) {
	cloud := memory.New(memory.User{Account: identity.Account{ID: "1b4e28ba-2fa1-11d2-883f-0016d3cca427", Username: "carol@acme.test",
		UPN: "carol@acme.test", Mail: "c.smith@acme.test", InScope: true, Synced: true, OnPremAccount: "carol",
		Manager: guid, Attributes: map[string]string{"employeeId": "E-7"}}})
	ad := memory.New(memory.User{Account: identity.Account{Username: "carol", InScope: true, Manager: "CN=boss,OU=Staff,DC=acme,DC=local"}})
	d := New(mailTenant{cloud, map[string]string{"c.smith@acme.test": "carol@acme.test"}}, ad)
	a, err := d.LookupByMail(context.Background(), "C.Smith@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.ID, "CN=carol,") || a.Manager != guid || a.Attributes["employeeId"] != "E-7" {
		t.Fatalf("synced by mail: ID %q, manager %q, employeeId set %t: want AD's account with the tenant's manager and facts",
			a.ID, a.Manager, a.Attributes["employeeId"] != "")
	}
	if _, err := d.LookupByMail(context.Background(), "nobody@acme.test"); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("unknown mail: %v", err)
	}
	// A tenant without a mail index finds nobody by mail.
	if _, err := New(cloud, ad).LookupByMail(context.Background(), "c.smith@acme.test"); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("tenant without LookupByMail: %v", err)
	}
}

func TestLockIsRoutedWhereTheAccountIsMastered(t *testing.T) {
	cloud, ad := sides()
	d := New(cloud, ad)
	ctx := context.Background()
	carol, err := d.Lookup(ctx, "carol@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	done, err := d.LockOnPurpose(ctx, carol, identity.LockDisable)
	if err != nil || !done.Blocked {
		t.Fatalf("synced lock = %+v, %v", done, err)
	}
	if ad.Counts().LockOnPurpose != 1 || cloud.Counts().LockOnPurpose != 0 {
		t.Fatalf("ad %+v cloud %+v: a synced account is locked in AD", ad.Counts(), cloud.Counts())
	}
	if back, _ := d.Lookup(ctx, "carol@acme.test"); !back.IntentionalLock || !back.Disabled {
		t.Fatalf("read-back %+v", back)
	}
	if err := d.ReleaseLock(ctx, carol, done); err != nil || ad.Counts().ReleaseLock != 1 {
		t.Fatalf("release: %v %+v", err, ad.Counts())
	}
	dana, _ := d.Lookup(ctx, "dana@acme.test")
	if _, err := d.LockOnPurpose(ctx, dana, identity.LockGroup); err != nil || cloud.Counts().LockOnPurpose != 1 {
		t.Fatalf("cloud lock: %v %+v", err, cloud.Counts())
	}
	// Held in the tenant only (a cloud group holding a synced user): refused too.
	cloudOnly, _ := cloud.Lookup(ctx, "carol@acme.test")
	cloudOnly.IntentionalLock = true
	if a, _ := d.route(ctx, "t", cloudOnly, nil); !a.IntentionalLock {
		t.Fatal("a lock on the tenant side must survive routing to AD")
	}
	if _, err := New(cloud, nil).LockOnPurpose(ctx, carol, identity.LockGroup); !errors.Is(err, identity.ErrSynced) {
		t.Fatalf("synced without AD: %v", err)
	}
}
