package teams

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
)

func (e *verifyEnv) check(h string) (*Token, error) {
	return e.v.CheckToken(context.Background(), h)
}

// The same token bytes are checked in full once: the second use is the
// first check's Token. Other bytes are checked on their own.
func TestVerifiedTokenIsRemembered(t *testing.T) {
	e := newVerifyEnv(t)
	act := e.msg()
	h := e.fake.Authorization(act)
	t1, err := e.check(h)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := e.check(h)
	if err != nil {
		t.Fatal(err)
	}
	if t1 != t2 {
		t.Fatal("the same token was checked in full twice")
	}
	if err := t2.Matches(act); err != nil {
		t.Fatalf("remembered token does not match its activity: %v", err)
	}
	other, err := e.check(e.fake.Authorization(act, teamstest.Skew(time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	if other == t1 {
		t.Fatal("another token was answered with the first one's check")
	}
}

// A remembered token's lifetime is checked at each use, against the
// verifier's clock: a clock set back before its nbf (beyond the leeway)
// refuses it, past its exp plus the leeway too; between exp and exp plus
// the leeway it passes, as the whole check lets it.
func TestRememberedTokenLifetimeIsCheckedAtEachUse(t *testing.T) {
	e := newVerifyEnv(t)
	h := e.fake.Authorization(e.msg())
	if _, err := e.check(h); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(-maxClockSkew - time.Minute)
	if _, err := e.check(h); reasonOf(err) != "not_yet_valid" {
		t.Fatalf("clock before nbf: %v, want not_yet_valid", err)
	}
	e.clock.Add(maxClockSkew + time.Minute) // back to now
	if _, err := e.check(h); err != nil {
		t.Fatalf("clock back within the lifetime: %v", err)
	}
	e.clock.Add(time.Hour + time.Minute) // exp is an hour after signing
	if _, err := e.check(h); err != nil {
		t.Fatalf("a minute past exp, within the leeway: %v", err)
	}
	e.clock.Add(maxClockSkew)
	if _, err := e.check(h); reasonOf(err) != "expired" {
		t.Fatalf("past exp and the leeway: %v, want expired", err)
	}
}

// A remembered token whose key was withdrawn is refused once the keys
// are refreshed, as a token never seen before would be.
func TestRememberedTokenOfAWithdrawnKeyIsRefused(t *testing.T) {
	e := newVerifyEnv(t)
	h := e.fake.Authorization(e.msg())
	if _, err := e.check(h); err != nil {
		t.Fatal(err)
	}
	e.fake.RotateKeys(false)
	e.clock.Add(time.Minute)
	if err := e.verify(e.msg()); err != nil { // the new kid: the keys are refreshed
		t.Fatal(err)
	}
	if _, err := e.check(h); reasonOf(err) != "unknown_key" {
		t.Fatalf("token of the withdrawn key: %v, want unknown_key", err)
	}
}

// Once the keys are fetched again, a remembered token is checked in full
// again: a kid can come back naming other key material.
func TestRememberedTokenIsCheckedAgainAfterAKeyRefresh(t *testing.T) {
	e := newVerifyEnv(t)
	h := e.fake.Authorization(e.msg())
	t1, err := e.check(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.v.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	t2, err := e.check(h)
	if err != nil {
		t.Fatal(err)
	}
	if t1 == t2 {
		t.Fatal("the check made with the keys before the refresh was reused")
	}
}

// The key age limit holds for a remembered token: keys not refreshed for
// three days refuse it.
func TestRememberedTokenHonoursTheKeyAgeLimit(t *testing.T) {
	e := newVerifyEnv(t)
	if err := e.verify(e.msg()); err != nil { // keys fetched now
		t.Fatal(err)
	}
	e.fake.SetMetadataDown(true)
	h := e.fake.Authorization(e.msg(), teamstest.Skew(keysHardMaxAge))
	e.clock.Add(keysHardMaxAge - 4*time.Minute) // within the token's leeway, keys not yet too old
	if _, err := e.check(h); err != nil {
		t.Fatalf("keys just under the limit: %v", err)
	}
	e.v.keys.bg.Wait()
	e.clock.Add(5 * time.Minute)
	if _, err := e.check(h); reasonOf(err) != "keys_unavailable" {
		t.Fatalf("keys over the limit: %v, want keys_unavailable", err)
	}
}

// Bytes changed in a remembered token's signature are checked in full.
func TestTamperedRememberedTokenIsRefused(t *testing.T) {
	e := newVerifyEnv(t)
	h := e.fake.Authorization(e.msg())
	if _, err := e.check(h); err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndex(h, ".") + 20
	c := byte('A')
	if h[i] == 'A' {
		c = 'B'
	}
	if _, err := e.check(h[:i] + string(c) + h[i+1:]); reasonOf(err) != "bad_signature" {
		t.Fatalf("changed signature: %v, want bad_signature", err)
	}
	if _, err := e.check(h); err != nil {
		t.Fatalf("the original after the forgery: %v", err)
	}
}

// A refused token is not remembered.
func TestRefusedTokenIsNotRemembered(t *testing.T) {
	e := newVerifyEnv(t)
	h := e.fake.Authorization(e.msg(), teamstest.Audience("another-bot"))
	for range 2 {
		if _, err := e.check(h); reasonOf(err) != "audience" {
			t.Fatalf("%v, want audience", err)
		}
	}
	if n := len(e.v.verified.m); n != 0 {
		t.Fatalf("%d tokens remembered after refusals", n)
	}
}

// The cache stays within its bound: when full, expired entries make room
// first; when none has expired, it starts over.
func TestVerifiedTokensAreBounded(t *testing.T) {
	var c verifiedTokens
	now := time.Now()
	key := func(i int) string { return strings.Repeat("x", i+1) }
	for i := range maxVerifiedTokens {
		exp := now.Add(time.Hour)
		if i%2 == 0 {
			exp = now.Add(time.Minute)
		}
		c.put(key(i), verifiedToken{tok: &Token{}, exp: exp}, now)
	}
	if len(c.m) != maxVerifiedTokens {
		t.Fatalf("%d entries, want %d", len(c.m), maxVerifiedTokens)
	}
	now = now.Add(2 * time.Minute)
	c.put("new", verifiedToken{tok: &Token{}, exp: now.Add(time.Hour)}, now)
	if want := maxVerifiedTokens/2 + 1; len(c.m) != want {
		t.Fatalf("%d entries after the expired made room, want %d", len(c.m), want)
	}
	if _, ok := c.get(key(1), now); !ok {
		t.Fatal("an unexpired entry was dropped")
	}
	for i := 0; len(c.m) < maxVerifiedTokens; i++ {
		c.put("more"+key(i), verifiedToken{tok: &Token{}, exp: now.Add(time.Hour)}, now)
	}
	c.put("last", verifiedToken{tok: &Token{}, exp: now.Add(time.Hour)}, now)
	if len(c.m) != 1 {
		t.Fatalf("%d entries after a full cache started over, want 1", len(c.m))
	}
	c.put("late", verifiedToken{tok: &Token{}, exp: now}, now)
	if len(c.m) != 1 {
		t.Fatal("a token at its exp was remembered")
	}
	if _, ok := c.get("last", now.Add(time.Hour)); ok || len(c.m) != 0 {
		t.Fatal("an entry at its exp was served or kept")
	}
}
