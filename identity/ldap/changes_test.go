package ldap_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// scratchOU creates an OU of n users (named e2e…, so tests listing the
// lab's accounts skip them) below the lab's delegated OU and removes it at
// cleanup. It returns the OU and the users' DNs.
func scratchOU(t *testing.T, s *ldaptest.Server, n int) (string, []string) {
	t.Helper()
	admin := s.Admin(t)
	tag := strings.ToLower(rand.Text()[:6])
	ou := "OU=delta-" + tag + "," + s.UsersDN
	if s.Kind == "ldap" {
		ou = "ou=delta-" + tag + "," + s.UsersDN
	}
	add := goldap.NewAddRequest(ou, nil)
	add.Attribute("objectClass", []string{"organizationalUnit"})
	add.Attribute("ou", []string{"delta-" + tag})
	if err := admin.Add(add); err != nil {
		t.Fatalf("create %s: %v", ou, err)
	}
	// Cleanups run last-in first-out: the users' before the OU's.
	t.Cleanup(func() {
		if err := s.Admin(t).Del(goldap.NewDelRequest(ou, nil)); err != nil {
			t.Errorf("remove %s: %v", ou, err)
		}
	})
	var dns []string
	for i := range n {
		dns = append(dns, addScratchUser(t, s, ou, ldaptest.ScratchPrefix+tag+string(rune('a'+i))))
	}
	return ou, dns
}

// addScratchUser adds one user with the lab password (so it can be locked).
func addScratchUser(t *testing.T, s *ldaptest.Server, ou, name string) string {
	t.Helper()
	var add *goldap.AddRequest
	if s.Kind == "ldap" {
		add = goldap.NewAddRequest("uid="+name+","+ou, nil)
		add.Attribute("objectClass", []string{"inetOrgPerson"})
		add.Attribute("uid", []string{name})
		add.Attribute("cn", []string{"Delta " + name})
		add.Attribute("sn", []string{"Delta"})
		add.Attribute("userPassword", []string{s.UserPassword})
	} else {
		add = goldap.NewAddRequest("CN="+name+","+ou, nil)
		add.Attribute("objectClass", []string{"user"})
		add.Attribute("sAMAccountName", []string{name})
		add.Attribute("displayName", []string{"Delta " + name})
		add.Attribute("unicodePwd", []string{string(ldaptest.UnicodePwd(s.UserPassword))})
		add.Attribute("userAccountControl", []string{"512"})
	}
	if err := s.Admin(t).Add(add); err != nil {
		t.Fatalf("create %s: %v", add.DN, err)
	}
	t.Cleanup(func() { _ = s.Admin(t).Del(goldap.NewDelRequest(add.DN, nil)) })
	return add.DN
}

func rename(t *testing.T, s *ldaptest.Server, dn, display string) {
	t.Helper()
	m := goldap.NewModifyRequest(dn, nil)
	m.Replace("displayName", []string{display})
	if err := s.Admin(t).Modify(m); err != nil {
		t.Fatalf("modify %s: %v", dn, err)
	}
}

// changeSome renames dns[0], locks dns[1], adds a user and deletes dns[2];
// it returns the new user's DN.
func changeSome(t *testing.T, s *ldaptest.Server, ou string, dns []string) string {
	t.Helper()
	rename(t, s, dns[0], "Renamed Person")
	s.Lock(t, dns[1])
	added := addScratchUser(t, s, ou, ldaptest.ScratchPrefix+"new"+strings.ToLower(rand.Text()[:4]))
	if err := s.Admin(t).Del(goldap.NewDelRequest(dns[2], nil)); err != nil {
		t.Fatal(err)
	}
	return added
}

// checkChanged: the delta carries the new facts of changeSome's accounts.
func checkChanged(t *testing.T, delta identity.Delta, dns []string) {
	t.Helper()
	if a := byID(delta.Changed, dns[0]); a.DisplayName != "Renamed Person" {
		t.Errorf("changed account: %+v", a)
	}
	if a := byID(delta.Changed, dns[1]); !a.Lock.Locked {
		t.Errorf("locked account not reported locked: %+v", a)
	}
}

func ids(as []identity.Account) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, strings.ToLower(a.ID))
	}
	slices.Sort(out)
	return out
}

func lower(dns ...string) []string {
	out := make([]string, 0, len(dns))
	for _, dn := range dns {
		out = append(out, strings.ToLower(dn))
	}
	slices.Sort(out)
	return out
}

func byID(as []identity.Account, id string) identity.Account {
	for _, a := range as {
		if strings.EqualFold(a.ID, id) {
			return a
		}
	}
	return identity.Account{}
}

// TestADChangesReadsOnlyWhatChanged: after a full read, a delta returns
// exactly the accounts changed, added or locked since (by uSNChanged), a
// quiet directory returns only the accounts still locked, and a cursor
// from another DC or from the future gives a full read.
func TestADChangesReadsOnlyWhatChanged(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	ou, dns := scratchOU(t, s, 6)
	d := newDir(t, s, func(c *ldap.Config) { c.BaseDN = ou })

	full, err := d.Changes(ctx, "")
	if err != nil || !full.Full || len(full.Changed) != 6 || !strings.HasPrefix(full.Cursor, "usn:") {
		t.Fatalf("full read: %d accounts, full %v, cursor %q, %v", len(full.Changed), full.Full, full.Cursor, err)
	}
	quiet, err := d.Changes(ctx, full.Cursor)
	if err != nil || quiet.Full || len(quiet.Changed) != 0 {
		t.Fatalf("nothing changed, yet %d entries read (full %v): %v", len(quiet.Changed), quiet.Full, err)
	}

	added := changeSome(t, s, ou, dns)
	delta, err := d.Changes(ctx, quiet.Cursor)
	if err != nil || delta.Full {
		t.Fatalf("delta: full %v, %v", delta.Full, err)
	}
	if got, want := ids(delta.Changed), lower(dns[0], dns[1], added); !slices.Equal(got, want) {
		t.Fatalf("delta read %v, want exactly %v (the deletion comes with the next full read)", got, want)
	}
	checkChanged(t, delta, dns)

	// Steady state: only the locked account is read again (its lockout
	// may expire without a write).
	steady, err := d.Changes(ctx, delta.Cursor)
	if err != nil || steady.Full || !slices.Equal(ids(steady.Changed), lower(dns[1])) {
		t.Fatalf("steady state read %v (full %v), want only the locked %s: %v", ids(steady.Changed), steady.Full, dns[1], err)
	}
	s.Restore(t, dns[1])

	// The full read drops the deleted account.
	again, err := d.Changes(ctx, "")
	if err != nil || len(again.Changed) != 6 || byID(again.Changed, dns[2]).ID != "" {
		t.Fatalf("full read after a delete: %v, %v", ids(again.Changed), err)
	}

	// Another DC (or a restored one) and a USN that went backwards: full.
	inv, usn, _ := strings.Cut(strings.TrimPrefix(delta.Cursor, "usn:"), ":")
	for _, c := range []string{"usn:00ff:" + usn, "usn:" + inv + ":99999999999", "bogus", "ts:20260101000000Z"} {
		got, err := d.Changes(ctx, c)
		if err != nil || !got.Full || len(got.Changed) != 6 {
			t.Errorf("cursor %q: full %v, %d accounts, %v", c, got.Full, len(got.Changed), err)
		}
	}
}

// TestSlapdChangesReadsOnlyWhatChanged: the same with OpenLDAP and
// modifyTimestamp. The delta overlaps the previous one by a second, so
// accounts written in the cursor's last second are read again; everything
// it returns beyond the changes must be such an overlap.
func TestSlapdChangesReadsOnlyWhatChanged(t *testing.T) {
	s := ldaptest.Slapd(t)
	ctx := ctxT(t)
	ou, dns := scratchOU(t, s, 6)
	d := newDir(t, s, func(c *ldap.Config) { c.BaseDN = ou })
	time.Sleep(2100 * time.Millisecond) // out of the creation's overlap second
	rename(t, s, dns[5], "Marker")      // moves the cursor past the creation

	full, err := d.Changes(ctx, "")
	if err != nil || !full.Full || len(full.Changed) != 6 || !strings.HasPrefix(full.Cursor, "ts:") {
		t.Fatalf("full read: %d accounts, full %v, cursor %q, %v", len(full.Changed), full.Full, full.Cursor, err)
	}
	time.Sleep(2100 * time.Millisecond)
	quiet, err := d.Changes(ctx, full.Cursor)
	if err != nil || quiet.Full || !slices.Equal(ids(quiet.Changed), lower(dns[5])) {
		t.Fatalf("nothing changed: read %v (full %v), want only the overlap %s: %v", ids(quiet.Changed), quiet.Full, dns[5], err)
	}

	added := changeSome(t, s, ou, dns)
	delta, err := d.Changes(ctx, quiet.Cursor)
	if err != nil || delta.Full {
		t.Fatalf("delta: full %v, %v", delta.Full, err)
	}
	if got, want := ids(delta.Changed), lower(dns[0], dns[1], added, dns[5]); !slices.Equal(got, want) {
		t.Fatalf("delta read %v, want exactly %v", got, want)
	}
	checkChanged(t, delta, dns)

	// A quiet period: the locked account and the last second's writes only.
	time.Sleep(2100 * time.Millisecond)
	steady, err := d.Changes(ctx, delta.Cursor)
	if err != nil || steady.Full || len(steady.Changed) > 3 || byID(steady.Changed, dns[1]).ID == "" || byID(steady.Changed, dns[3]).ID != "" {
		t.Fatalf("steady state read %v (full %v): %v", ids(steady.Changed), steady.Full, err)
	}
	if again, err := d.Changes(ctx, "garbage"); err != nil || !again.Full || len(again.Changed) != 6 || byID(again.Changed, dns[2]).ID != "" {
		t.Fatalf("full read after a delete: %v, %v", ids(again.Changed), err)
	}
}

// TestADDeltaFigures measures a refresh at scale (UNLOCKBOT_BENCH_DELTA=N:
// N bulk users in OU=Bulk, created the first time): entries and time of a
// full read against a delta after 10 changes.
func TestADDeltaFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("UNLOCKBOT_BENCH_DELTA"))
	if n <= 0 {
		t.Skip("set UNLOCKBOT_BENCH_DELTA=2000 (or 10000) to measure a delta refresh at scale")
	}
	s := ldaptest.AD(t)
	ou := s.BulkUsers(t, "Bulk", n)
	d := newDir(t, s, func(c *ldap.Config) { c.BaseDN = ou })
	ctx := ctxT(t)
	start := time.Now()
	full, err := d.Changes(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	fullTook := time.Since(start)
	for i := 1; i <= 10; i++ {
		rename(t, s, fmt.Sprintf("CN=bulk-%05d,%s", i*7, ou), fmt.Sprintf("Bulk User %05d r%d", i*7, time.Now().Unix()))
	}
	start = time.Now()
	delta, err := d.Changes(ctx, full.Cursor)
	if err != nil || delta.Full || len(delta.Changed) != 10 {
		t.Fatalf("delta after 10 changes: %d entries, full %v, %v", len(delta.Changed), delta.Full, err)
	}
	t.Logf("%d accounts: full read %d entries in %v; delta after 10 changes %d entries in %v",
		n, len(full.Changed), fullTook.Round(time.Millisecond), len(delta.Changed), time.Since(start).Round(time.Millisecond))
}

// TestADCursorNamesTheDatabase: the cursor names the DC's database by its
// invocationId (not by the DC's name, which a restore keeps), so a restored
// DC, whose USNs repeat, gives a full read.
func TestADCursorNamesTheDatabase(t *testing.T) {
	s := ldaptest.AD(t)
	admin := s.Admin(t)
	root, err := admin.Search(goldap.NewSearchRequest("", goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"dsServiceName"}, nil))
	if err != nil || len(root.Entries) != 1 {
		t.Fatalf("root DSE: %v", err)
	}
	ntds, err := admin.Search(goldap.NewSearchRequest(root.Entries[0].GetAttributeValue("dsServiceName"), goldap.ScopeBaseObject,
		goldap.NeverDerefAliases, 1, 0, false, "(objectClass=*)", []string{"invocationId"}, nil))
	if err != nil || len(ntds.Entries) != 1 {
		t.Fatalf("NTDS Settings: %v", err)
	}
	want := hex.EncodeToString(ntds.Entries[0].GetRawAttributeValue("invocationId"))
	ou, _ := scratchOU(t, s, 1)
	delta, err := newDir(t, s, func(c *ldap.Config) { c.BaseDN = ou }).Changes(ctxT(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if inv, _, _ := strings.Cut(strings.TrimPrefix(delta.Cursor, "usn:"), ":"); want == "" || inv != want {
		t.Fatalf("cursor %q names database %q, want the invocationId %q", delta.Cursor, inv, want)
	}
}
