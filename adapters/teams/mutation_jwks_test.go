package teams

import (
	"bytes"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
)

// lockedLog is a log buffer the key cache's background refresh may write
// to while a test reads it.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Keys exactly three days old stay refused for a second token at the same
// instant, whose own refresh is skipped by the minute's rate limit: the
// age is checked again after the skip, not trusted (mutation testing found
// that second check's bound unguarded).
func TestKeysThreeDaysOldStayRefusedWhenTheRefreshIsSkipped(t *testing.T) {
	e := newVerifyEnv(t)
	if err := e.verify(e.msg()); err != nil {
		t.Fatal(err)
	}
	e.fake.SetMetadataDown(true)
	e.clock.Add(keysHardMaxAge)
	skew := teamstest.Skew(keysHardMaxAge)
	for i := range 2 {
		if got := reasonOf(e.verify(e.msg(), skew)); got != "keys_unavailable" {
			t.Fatalf("token %d with keys exactly %s old, endpoint down: %q, want keys_unavailable", i+1, keysHardMaxAge, got)
		}
		e.v.keys.bg.Wait()
	}
}

// A refusal while the refresh is rate-limited still says why the latest
// refresh failed, so the log names the outage, not "not fetched yet"
// (mutation testing found latestErr's choice unguarded).
func TestSkippedRefreshReportsTheLatestFailure(t *testing.T) {
	e := newVerifyEnv(t)
	e.fake.SetMetadataDown(true)
	for i := range 2 {
		err := e.verify(e.msg())
		if got := reasonOf(err); got != "keys_unavailable" {
			t.Fatalf("token %d, endpoint down: %q", i+1, got)
		}
		if !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), "not been fetched yet") {
			t.Fatalf("token %d's refusal does not name the outage: %v", i+1, err)
		}
	}
}

// The background refresh of day-old keys logs a failure, and only a
// failure (mutation testing found the warning's condition unguarded).
func TestBackgroundRefreshLogsOnlyItsFailure(t *testing.T) {
	fake := teamstest.New(t, teamstest.Options{})
	tech := teamstest.User{MRI: "29:1tech", AADObjectID: "00000000-0000-0000-0000-00000000aaaa", Name: "Tess Tech"}
	fake.AddUser(tech)
	clk := &clock{t: time.Now()}
	log := &lockedLog{}
	v, err := NewVerifier(VerifierConfig{AppID: fake.Options().AppID, TenantID: fake.Options().TenantID,
		MetadataURL: fake.MetadataURL(), HTTPClient: fake.Client(), Now: clk.Now, Log: zerolog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	act := fake.Message(tech, fake.Personal(tech), "unlock alice")
	const said = "periodic refresh failed"
	step := func(skew time.Duration) {
		t.Helper()
		if err := v.Verify(t.Context(), fake.Authorization(act, teamstest.Skew(skew)), act); err != nil {
			t.Fatalf("keys %s old still serve: %v", skew, err)
		}
		v.keys.bg.Wait()
	}
	step(0)
	clk.Add(keysMaxAge)
	step(keysMaxAge)
	if j := fake.JWKSFetches(); j != 2 || strings.Contains(log.String(), said) {
		t.Fatalf("a refresh that worked (%d JWKS fetches) is logged as failed:\n%s", j, log.String())
	}
	fake.SetMetadataDown(true)
	clk.Add(keysMaxAge)
	step(2 * keysMaxAge)
	if n := strings.Count(log.String(), said); n != 1 {
		t.Fatalf("%d warnings for one failed background refresh:\n%s", n, log.String())
	}
}

// A modulus or exponent with a stray character is refused, though the
// part before it decodes, and so is an exponent longer than 32 bits whose
// low bytes are 65537 (mutation testing found that base64's partial answer,
// or an exponent's overflowed value, would be taken as the key with an
// "or" of these checks made an "and").
func TestRSAKeyRefusesStrayOrOverlongParts(t *testing.T) {
	// 300 bytes (a multiple of 3: no base64 padding to cut a stray
	// character's decoded prefix short), over 2048 bits.
	n := b64(append([]byte{0xc5}, make([]byte, 299)...))
	e := b64(big.NewInt(65537).Bytes())
	if _, err := rsaKey(n, e); err != nil {
		t.Fatalf("the key itself: %v", err)
	}
	for name, ne := range map[string][2]string{
		"modulus with a stray character":  {n + "!", e},
		"exponent with a stray character": {n, e + "!"},
		"12-byte exponent ending 65537":   {n, b64([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 0, 1})},
	} {
		if _, err := rsaKey(ne[0], ne[1]); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
