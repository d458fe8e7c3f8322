package mailer

import (
	"regexp"
	"testing"
)

// A Message-ID is in the sender's domain, or in unlockbot.invalid when the
// address has none: never "<id@>", which a mail server may refuse.
func TestMessageIDDomain(t *testing.T) {
	for from, domain := range map[string]string{
		"it@example.test": "example.test",
		"@example.test":   "example.test",
		"it@":             "unlockbot.invalid",
		"it@x":            "x",
		"it":              "unlockbot.invalid",
	} {
		want := regexp.MustCompile(`^<[0-9a-f]{32}@` + regexp.QuoteMeta(domain) + `>$`)
		if got := messageID(from); !want.MatchString(got) {
			t.Errorf("messageID(%q) = %q, want one @%s", from, got, domain)
		}
	}
}
