package ldaptest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// BulkUsers makes sure the AD lab holds n users named bulk-00001... in
// OU=<ou> below BaseDN, creating the missing ones with one ldapadd run of a
// generated LDIF as administrator. The users have no password
// (userAccountControl 544: normal account, password not required), which
// keeps creation fast: hashing a password costs Samba tens of milliseconds.
// It returns the OU's DN.
func (s *Server) BulkUsers(t testing.TB, ou string, n int) string {
	t.Helper()
	if s.Kind != "ad" {
		t.Fatalf("BulkUsers needs the AD lab")
	}
	ouDN := "OU=" + ou + "," + s.BaseDN
	admin := s.Admin(t)
	have := 0
	res, err := admin.SearchWithPaging(ldap.NewSearchRequest(ouDN, ldap.ScopeSingleLevel, ldap.NeverDerefAliases,
		0, 0, false, "(objectClass=user)", []string{"1.1"}, nil), 1000)
	switch {
	case err == nil:
		have = len(res.Entries)
	case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject):
		add := ldap.NewAddRequest(ouDN, nil)
		add.Attribute("objectClass", []string{"organizationalUnit"})
		add.Attribute("ou", []string{ou})
		if err := admin.Add(add); err != nil {
			t.Fatalf("create %s: %v", ouDN, err)
		}
	default:
		t.Fatalf("count users in %s: %v", ouDN, err)
	}
	if have >= n {
		return ouDN
	}

	path := filepath.Join(t.TempDir(), "bulk.ldif")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	realm := dnsDomain(s.BaseDN)
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("bulk-%05d", i)
		fmt.Fprintf(w, "dn: CN=%s,%s\nobjectClass: user\nsAMAccountName: %s\nuserPrincipalName: %s@%s\n"+
			"displayName: Bulk User %05d\nmail: %s@%s\nuserAccountControl: 544\n\n",
			name, ouDN, name, name, realm, i, name, realm)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	start := time.Now()
	cmd := exec.Command("ldapadd", "-c", "-x", "-H", s.URL, "-D", s.AdminDN, "-y", s.passwordFile(t), "-f", path)
	cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+s.CAFile)
	out, err := cmd.CombinedOutput()
	if err != nil && have == 0 {
		t.Fatalf("ldapadd: %v\n%s", err, tail(out, 2000))
	}
	t.Logf("created %d users in %s with ldapadd in %v", n-have, ouDN, time.Since(start).Round(time.Millisecond))
	return ouDN
}

// passwordFile writes the admin password for ldapadd -y (never on a command line).
func (s *Server) passwordFile(t testing.TB) string {
	path := filepath.Join(t.TempDir(), "admin.pw")
	if err := os.WriteFile(path, []byte(s.AdminPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// dnsDomain turns DC=example,DC=test into example.test.
func dnsDomain(base string) string {
	dn, err := ldap.ParseDN(base)
	if err != nil {
		return base
	}
	out := ""
	for _, r := range dn.RDNs {
		for _, a := range r.Attributes {
			if a.Type == "DC" || a.Type == "dc" {
				if out != "" {
					out += "."
				}
				out += a.Value
			}
		}
	}
	return out
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
