package teams

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// DefaultServiceURLHosts are the Bot Framework's connector hosts for
// Teams in the commercial cloud. A service URL comes from an activity
// whose token we verified, or from the store; sending the bot's token
// only to these hosts means a poisoned store record cannot collect it.
var DefaultServiceURLHosts = []string{"smba.trafficmanager.net", "*.botframework.com"}

// newHostAllowlist returns a check for service URLs: https on a listed
// host ("*.example.com" matches its subdomains). Plain http is allowed
// for loopback hosts only, which is what the tests' fake listens on.
func newHostAllowlist(hosts []string) (func(string) bool, error) {
	if len(hosts) == 0 {
		hosts = DefaultServiceURLHosts
	}
	for _, h := range hosts {
		if h == "" || strings.ContainsAny(h, "/:@ ") || strings.Count(h, "*") > 1 || (strings.Contains(h, "*") && !strings.HasPrefix(h, "*.")) {
			return nil, fmt.Errorf("service URL host %q is not a host name or *.domain", h)
		}
	}
	return func(raw string) bool {
		u, err := url.Parse(raw)
		if err != nil || u.User != nil || u.RawQuery != "" {
			return false
		}
		host := strings.ToLower(u.Hostname())
		switch u.Scheme {
		case "https":
		case "http":
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return false
			}
		default:
			return false
		}
		for _, h := range hosts {
			h = strings.ToLower(h)
			if sfx, wild := strings.CutPrefix(h, "*"); wild {
				if strings.HasSuffix(host, sfx) { // sfx starts with ".": the bare domain is not its own subdomain
					return true
				}
			} else if host == h {
				return true
			}
		}
		return false
	}, nil
}
