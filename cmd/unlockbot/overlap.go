package main

import (
	"fmt"
	"net/url"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// checkOverlaps refuses two orgs whose base DNs nest on the same directory:
// the outer org's technicians could reset the inner org's accounts under
// the outer org's (maybe weaker) policy, approvers and limits, and the
// per-org isolation an MSP relies on would be a promise the config breaks.
// Deny groups cannot fix that; only separate subtrees can.
func checkOverlaps(orgs []OrgConfig, bad func(key, format string, args ...any)) {
	type scope struct {
		i    int
		srv  server
		base *goldap.DN
	}
	var seen []scope
	for i, o := range orgs {
		srv, ok := directoryServer(o.Directory)
		if !ok {
			continue
		}
		base, err := goldap.ParseDN(o.Directory.BaseDN)
		if err != nil || len(base.RDNs) == 0 {
			continue // reported as a bad base_dn already
		}
		for _, s := range seen {
			if !s.srv.same(srv) {
				continue
			}
			if s.base.EqualFold(base) || s.base.AncestorOfFold(base) || base.AncestorOfFold(s.base) {
				other := orgs[s.i]
				bad(fmt.Sprintf("orgs[%d].directory.base_dn", i),
					"%q overlaps orgs[%d] (%s), %q, on the same directory %s: one org's technicians could reset the other's accounts under the wrong policy; give each org its own subtree",
					o.Directory.BaseDN, s.i, other.ID, other.Directory.BaseDN, srv.host)
			}
		}
		seen = append(seen, scope{i, srv, base})
	}
}

// server is where an org's directory URL points.
type server struct {
	host, port string
	ad         bool
}

// same reports whether two URLs reach one directory. Active Directory
// serves the same data on 389, 636 and the global catalog ports, so when
// either side is AD the host alone decides; two generic LDAP servers on
// one host may be different directories, told apart by port.
func (a server) same(b server) bool {
	return a.host == b.host && (a.ad || b.ad || a.port == b.port)
}

func directoryServer(d DirectoryConfig) (server, bool) {
	if d.Kind != "ad" && d.Kind != "ldap" {
		return server{}, false
	}
	u, err := url.Parse(d.URL)
	if err != nil || u.Hostname() == "" {
		return server{}, false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"ldaps": "636", "ldap": "389"}[u.Scheme]
	}
	return server{host: strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), port: port, ad: d.Kind == "ad"}, true
}
