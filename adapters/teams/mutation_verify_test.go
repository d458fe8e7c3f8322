package teams

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
)

// The Authorization size limit is exact: a token of maxAuthorizationBytes
// is read (and refused here for its signature, its header having been
// changed), one byte more is refused unread (mutation testing found the
// bound unguarded; the header test's token is far over it).
func TestAuthorizationLimitIsExact(t *testing.T) {
	e := newVerifyEnv(t)
	act := e.msg()
	parts := strings.Split(strings.TrimPrefix(e.fake.Authorization(act), "Bearer "), ".")
	var header map[string]any
	if b, err := base64.RawURLEncoding.DecodeString(parts[0]); err != nil || json.Unmarshal(b, &header) != nil {
		t.Fatalf("the fake's token header: %v", err)
	}
	// A filler in the header makes the token exactly the limit long with a
	// signature segment that still decodes (no length of 1 mod 4).
	var token string
	for pad := 0; token == ""; pad++ {
		header["x"] = strings.Repeat("a", pad)
		b, _ := json.Marshal(header)
		h := base64.RawURLEncoding.EncodeToString(b)
		if sig := maxAuthorizationBytes - len(h) - len(parts[1]) - 2; sig >= len(parts[2]) && sig%4 != 1 {
			token = h + "." + parts[1] + "." + parts[2] + strings.Repeat("A", sig-len(parts[2]))
		}
	}
	if len(token) != maxAuthorizationBytes {
		t.Fatalf("built a token of %d bytes", len(token))
	}
	for _, c := range []struct {
		token, want string
	}{{token, "bad_signature"}, {token + "A", "malformed"}} {
		if got := reasonOf(e.v.Verify(t.Context(), "Bearer "+c.token, act)); got != c.want {
			t.Errorf("a token of %d bytes: %q, want %q", len(c.token), got, c.want)
		}
	}
}

// Only RS256 is accepted, even from the Bot Framework's own key: the
// token check names one algorithm, and the parser's list of valid methods
// is what holds it (mutation testing showed the other refusals, alg none
// and HS256, are caught without that list).
func TestVerifyRefusesOtherRSAAlgorithms(t *testing.T) {
	e := newVerifyEnv(t)
	for _, m := range []jwt.SigningMethod{jwt.SigningMethodRS512, jwt.SigningMethodPS256} {
		if got := reasonOf(e.verify(e.msg(), teamstest.SignedWith(m))); got != "algorithm" {
			t.Errorf("a token signed %s by the right key: %q, want algorithm", m.Alg(), got)
		}
	}
}

// A service URL that is only a slash is no service URL: neither the claim
// nor the activity may be empty, even where trimming the slash would make
// the two equal (mutation testing swapped the emptiness checks' "or" for
// an "and" unseen).
func TestMatchesRefusesAnEmptyServiceURLOnEitherSide(t *testing.T) {
	key := &signingKey{endorsements: []string{teamsChannelID}}
	for _, c := range [][2]string{{"/", ""}, {"", "/"}, {"", ""}} {
		tok := &Token{claims: botClaims{ServiceURL: c[0]}, key: key, tenantID: "t1"}
		if got := reasonOf(tok.matches(c[1], teamsChannelID, "t1", "")); got != "service_url" {
			t.Errorf("claim %q, activity %q: %q, want service_url", c[0], c[1], got)
		}
	}
	tok := &Token{claims: botClaims{ServiceURL: "https://smba.example/amer/"}, key: key, tenantID: "t1"}
	if err := tok.matches("https://smba.example/amer", teamsChannelID, "t1", ""); err != nil {
		t.Fatalf("the same service URL: %v", err)
	}
}

// A verifier without the token memory (verified nil: every token checked
// in full, as the benchmark's baseline runs it) verifies, twice, the same
// token (mutation testing found the nil test of put unguarded).
func TestVerifierWithoutTokenMemory(t *testing.T) {
	e := newVerifyEnv(t)
	e.v.verified = nil
	act := e.msg()
	h := e.fake.Authorization(act)
	for i := range 2 {
		if err := e.v.Verify(t.Context(), h, act); err != nil {
			t.Fatalf("check %d without the memory: %v", i+1, err)
		}
	}
}
