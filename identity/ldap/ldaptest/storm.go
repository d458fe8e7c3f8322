package ldaptest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// StormUsers makes sure the AD lab holds n users in OU=<ou> below the
// delegated OU (so the bot may reset them, and tests that list accounts
// skip them as scratch), named e2e<ou>-00001… in lower case, creating the
// missing ones with one ldapadd run. They have no password (userAccountControl 544), which
// keeps creation fast; the bot sets one. It returns their DNs in order.
// The users are kept between runs: a reliability or storm test locks them
// again and counts writes from their current metadata versions.
func (s *Server) StormUsers(t testing.TB, ou string, n int) []string {
	t.Helper()
	if s.Kind != "ad" {
		t.Fatalf("StormUsers needs the AD lab")
	}
	ouDN := "OU=" + ou + "," + s.UsersDN
	admin := s.Admin(t)
	have := map[string]bool{}
	res, err := admin.SearchWithPaging(ldap.NewSearchRequest(ouDN, ldap.ScopeSingleLevel, ldap.NeverDerefAliases,
		0, 0, false, "(objectClass=user)", []string{"sAMAccountName"}, nil), 1000)
	switch {
	case err == nil:
		for _, e := range res.Entries {
			have[strings.ToLower(e.GetAttributeValue("sAMAccountName"))] = true
		}
	case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject):
		add := ldap.NewAddRequest(ouDN, nil)
		add.Attribute("objectClass", []string{"organizationalUnit"})
		add.Attribute("ou", []string{ou})
		if err := admin.Add(add); err != nil {
			t.Fatalf("create %s: %v", ouDN, err)
		}
	default:
		t.Fatalf("list users in %s: %v", ouDN, err)
	}
	dns := make([]string, n)
	path := filepath.Join(t.TempDir(), "storm.ldif")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	realm, missing := dnsDomain(s.BaseDN), 0
	for i := range n {
		name := fmt.Sprintf("%s%s-%05d", ScratchPrefix, strings.ToLower(ou), i+1)
		dns[i] = "CN=" + name + "," + ouDN
		if have[name] {
			continue
		}
		missing++
		fmt.Fprintf(w, "dn: %s\nobjectClass: user\nsAMAccountName: %s\nuserPrincipalName: %s@%s\n"+
			"displayName: %s User %05d\nmail: %s@%s\nuserAccountControl: 544\n\n",
			dns[i], name, name, realm, ou, i+1, name, realm)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if missing == 0 {
		return dns
	}
	start := time.Now()
	cmd := exec.Command("ldapadd", "-c", "-x", "-H", s.URL, "-D", s.AdminDN, "-y", s.passwordFile(t), "-f", path)
	cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+s.CAFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ldapadd: %v\n%s", err, tail(out, 2000))
	}
	t.Logf("created %d storm users in %s in %v", missing, ouDN, time.Since(start).Round(time.Millisecond))
	return dns
}

// LockAll locks every dn for real (wrong-password binds up to the lockout
// threshold), on workers connections at once, and fails the test if one
// is not locked afterwards. At cleanup every dn is unlocked again as
// administrator, whatever the test did: hundreds of locked accounts left
// in the delegated OU would fill other tests' "locked first" listings.
func (s *Server) LockAll(t testing.TB, dns []string, workers int) {
	t.Helper()
	t.Cleanup(func() { s.unlockAll(t, dns) })
	work := make(chan string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One connection per worker: a failed bind leaves it usable,
			// so the TLS handshake is paid once, not per bad bind.
			c, err := s.dial()
			if err == nil {
				defer c.Close()
			}
			for dn := range work {
				if err != nil || !s.lockOn(c, dn) {
					mu.Lock()
					failed = append(failed, dn)
					mu.Unlock()
				}
			}
		}()
	}
	for _, dn := range dns {
		work <- dn
	}
	close(work)
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d of %d accounts not locked after bad binds, e.g. %s", len(failed), len(dns), failed[0])
	}
}

// unlockAll clears the lockout of every dn as administrator.
func (s *Server) unlockAll(t testing.TB, dns []string) {
	c := s.Admin(t)
	for _, dn := range dns {
		m := ldap.NewModifyRequest(dn, nil)
		m.Replace("lockoutTime", []string{"0"})
		if err := c.Modify(m); err != nil {
			t.Errorf("unlock %s at cleanup: %v", dn, err)
			return
		}
	}
}

// lockOn makes the bad binds for dn on c, then reads, as administrator on
// the same connection, whether dn is locked now.
func (s *Server) lockOn(c *ldap.Conn, dn string) bool {
	for i := range max(s.LockoutThreshold, 3) {
		if c.Bind(dn, fmt.Sprintf("wrong-%d-%d", time.Now().UnixNano(), i)) == nil {
			return false
		}
	}
	if c.Bind(s.AdminDN, s.AdminPassword) != nil {
		return false
	}
	res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"msDS-User-Account-Control-Computed"}, nil))
	if err != nil || len(res.Entries) != 1 {
		return false
	}
	var bits int
	fmt.Sscan(res.Entries[0].GetAttributeValue("msDS-User-Account-Control-Computed"), &bits)
	return bits&0x10 != 0
}

// LockedAmong returns the dns that are locked now, read on one
// administrator connection (msDS-User-Account-Control-Computed is
// constructed, so AD returns it only to base-object searches).
func (s *Server) LockedAmong(t testing.TB, dns []string) []string {
	t.Helper()
	c := s.Admin(t)
	var out []string
	for _, dn := range dns {
		res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
			"(objectClass=*)", []string{"msDS-User-Account-Control-Computed"}, nil))
		if err != nil || len(res.Entries) != 1 {
			t.Fatalf("read the lock state of %s: %v", dn, err)
		}
		var bits int
		fmt.Sscan(res.Entries[0].GetAttributeValue("msDS-User-Account-Control-Computed"), &bits)
		if bits&0x10 != 0 {
			out = append(out, dn)
		}
	}
	return out
}

// MetaVersions is MetaVersion for every user below base in one paged
// search: DN → version of attribute attid (0: never written).
func (s *Server) MetaVersions(t testing.TB, base string, attid uint32) map[string]int {
	t.Helper()
	res, err := s.Admin(t).SearchWithPaging(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		0, 0, false, "(objectClass=user)", []string{"replPropertyMetaData"}, nil), 500)
	if err != nil {
		t.Fatalf("read replPropertyMetaData below %s: %v", base, err)
	}
	out := make(map[string]int, len(res.Entries))
	for _, e := range res.Entries {
		v, err := metaVersion(e.GetRawAttributeValue("replPropertyMetaData"), attid)
		if err != nil {
			t.Fatalf("%s: %v", e.DN, err)
		}
		out[e.DN] = v
	}
	return out
}

// metaVersion decodes replPropertyMetaData: a 16-byte header (version 1,
// reserved, count, reserved), then 48-byte entries starting with attid
// and version.
func metaVersion(b []byte, attid uint32) (int, error) {
	if len(b) < 16 || binary.LittleEndian.Uint32(b) != 1 {
		return 0, fmt.Errorf("replPropertyMetaData: unexpected header (%d bytes)", len(b))
	}
	n := int(binary.LittleEndian.Uint32(b[8:]))
	if n < 0 || n > (len(b)-16)/48 {
		return 0, fmt.Errorf("replPropertyMetaData: %d entries in %d bytes", n, len(b))
	}
	for i := range n {
		e := b[16+48*i:]
		if binary.LittleEndian.Uint32(e) == attid {
			return int(binary.LittleEndian.Uint32(e[4:])), nil
		}
	}
	return 0, nil
}
