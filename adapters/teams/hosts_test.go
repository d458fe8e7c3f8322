package teams

import "testing"

// The bot's token goes only to Bot Framework hosts over https (loopback
// over http, for the tests' fake), and a bad pattern is a start-up error.
func TestHostAllowlist(t *testing.T) {
	allow, err := newHostAllowlist(nil)
	if err != nil {
		t.Fatal(err)
	}
	for u, want := range map[string]bool{
		"https://smba.trafficmanager.net/emea/":      true,
		"https://SMBA.trafficmanager.net/teams/":     true,
		"https://europe.botframework.com/":           true,
		"https://a.b.botframework.com/x":             true,
		"https://botframework.com/":                  false, // the wildcard is for subdomains
		"https://evilbotframework.com/":              false,
		"https://smba.trafficmanager.net.evil.com/":  false,
		"http://smba.trafficmanager.net/emea/":       false, // never in clear
		"https://user:pw@smba.trafficmanager.net/":   false,
		"https://smba.trafficmanager.net/?x=1":       false,
		"ftp://smba.trafficmanager.net/":             false,
		"http://127.0.0.1:8080/":                     false, // loopback, but not listed
		"://bad":                                     false,
		"https://smba.trafficmanager.net:8443/emea/": true,
	} {
		if got := allow(u); got != want {
			t.Errorf("%s: %v, want %v", u, got, want)
		}
	}
	local, err := newHostAllowlist([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !local("http://127.0.0.1:8080/connector/") || local("http://10.0.0.1/") || local("https://smba.trafficmanager.net/") {
		t.Error("a listed loopback host over http, and nothing else, is allowed")
	}
	if lan, _ := newHostAllowlist([]string{"10.0.0.1"}); lan("http://10.0.0.1/") || !lan("https://10.0.0.1/") {
		t.Error("plain http to a host that is not loopback is refused even when listed")
	}
	for _, bad := range []string{"", "https://x", "a/b", "*x.com", "*.*.com", "x.*.com", "user@x.com", "x.com:443"} {
		if _, err := newHostAllowlist([]string{bad}); err == nil {
			t.Errorf("%q accepted as a host pattern", bad)
		}
	}
}
