package bot

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/pwned"
	"github.com/unlockbot/unlockbot/bot/pwned/pwnedtest"
	"github.com/unlockbot/unlockbot/identity"
)

// screened is a harness whose org asks the strict fake range API about
// typed passwords.
func screened(t *testing.T, allowUnscreened bool) (*harness, *pwnedtest.Server) {
	t.Helper()
	fake := pwnedtest.New(t)
	c, err := pwned.New(pwned.Options{URL: fake.URL(), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, nil)
	h.org.Policy.Breaches, h.org.Policy.AllowUnscreened = c, allowUnscreened
	h.svc = h.replica(h.st)
	return h, fake
}

// refusedWhy is the audit's reason for the one refusal recorded.
func refusedWhy(t *testing.T, h *harness) string {
	t.Helper()
	for _, line := range strings.Split(h.audit.String(), "\n") {
		if strings.Contains(line, `"type":"request.refused"`) {
			_, rest, _ := strings.Cut(line, `"why":"`)
			why, _, _ := strings.Cut(rest, `"`)
			return why
		}
	}
	t.Fatal("no refusal audited")
	return ""
}

func assertNoRequest(t *testing.T, h *harness) {
	t.Helper()
	if keys, _ := h.st.List(context.Background(), "req:"); len(keys) != 0 {
		t.Fatal("a refused password left a request")
	}
}

// assertNoHashLeak: no output holds the password, 8 hex characters of its
// SHA-1 (the audit's own HMACs make shorter runs collide by chance), or the
// 5-character prefix the range API was sent, as a word of its own.
func assertNoHashLeak(t *testing.T, h *harness, pw string) {
	t.Helper()
	hash := pwnedtest.Hash(pw)
	if h.audit.String() == "" {
		t.Fatal("no audit record: the scan would prove nothing")
	}
	prefix := regexp.MustCompile(`(?i)\b` + hash[:5] + `\b`)
	for name, out := range map[string]string{"log": h.logs.String(), "audit": h.audit.String(), "chat": h.chat.all(), "store": h.storeDump()} {
		if strings.Contains(out, pw) {
			t.Fatalf("%s output holds the password", name)
		}
		if prefix.MatchString(out) {
			t.Fatalf("%s output holds the hash prefix", name)
		}
		up := strings.ToUpper(out)
		for i := 0; i+8 <= len(hash); i++ {
			if strings.Contains(up, hash[i:i+8]) {
				t.Fatalf("%s output holds hash characters %d–%d", name, i, i+8)
			}
		}
	}
}

// assertRefused submits pw and expects it refused beside the password
// field with msg, audited as why, after requests calls to the range API,
// with nothing left behind and nothing leaked.
func assertRefused(t *testing.T, h *harness, fake *pwnedtest.Server, pw, msg, why string, requests int) {
	t.Helper()
	_, err := h.submit("bob", pw)
	fieldErr(t, err, FieldPassword, msg)
	assertNoRequest(t, h)
	if got := refusedWhy(t, h); got != why {
		t.Fatalf("audited why %q, want %q", got, why)
	}
	if n := len(fake.Requests()); n != requests {
		t.Fatalf("%d range requests, want %d", n, requests)
	}
	assertNoHashLeak(t, h, pw)
}

func TestBreachedTypedPasswordRefused(t *testing.T) {
	h, fake := screened(t, false)
	const pw = "Velvet-Harbor-Lamp-81"
	fake.Breach(pw, 1234)
	assertRefused(t, h, fake, pw, msgBreachedPassword, "password_breached", 1)
}

func TestUnbreachedTypedPasswordPasses(t *testing.T) {
	h, fake := screened(t, false)
	const pw = "Quiet-Falcon-Drum-40"
	fake.PadWith(pw) // its own suffix, with count 0, in the answer
	r, err := h.submit("bob", pw)
	if err != nil || r.State != StatePendingApproval {
		t.Fatalf("submit: %v", err)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Fatalf("%d range requests, want 1", n)
	}
	assertNoHashLeak(t, h, pw)
}

func TestScreenDown(t *testing.T) {
	const pw = "Amber-Coast-Rain-77"
	t.Run("refuses by default", func(t *testing.T) {
		h, fake := screened(t, false)
		fake.FailNext(1, http.StatusServiceUnavailable, "")
		assertRefused(t, h, fake, pw, msgUnscreened, "password_unscreened", 1)
		if !strings.Contains(h.logs.String(), "HTTP 503") || !strings.Contains(h.logs.String(), "refused (policy)") {
			t.Fatal("the failed check is not logged with its cause")
		}
	})
	t.Run("allows when configured", func(t *testing.T) {
		h, fake := screened(t, true)
		fake.Delay(time.Second) // past the client's timeout
		r, err := h.submit("bob", pw)
		if err != nil || r.State != StatePendingApproval {
			t.Fatalf("submit: %v", err)
		}
		if !strings.Contains(h.logs.String(), "taken unchecked") {
			t.Fatal("the unchecked password is not logged as such")
		}
		assertNoHashLeak(t, h, pw)
	})
}

// The local list answers first: a common password is refused without a
// request to the range API.
func TestCommonTypedPasswordRefused(t *testing.T) {
	h, fake := screened(t, false)
	const pw = "Summer2024!!"
	if CheckPassword(identity.NewSecret(pw), h.org.Policy, AccountRef{Username: "bob"}) != "" {
		t.Fatal("the password must pass the other rules for this test to mean anything")
	}
	assertRefused(t, h, fake, pw, msgCommonPassword, "password_common", 0) // the local list answered alone
}

// Without a range API configured, the shipped list still applies.
func TestCommonPasswordRefusedWithoutScreen(t *testing.T) {
	h := newHarness(t, nil)
	_, err := h.submit("bob", "P@ssw0rd2026")
	fieldErr(t, err, FieldPassword, msgCommonPassword)
}

func TestOrgWordRefused(t *testing.T) {
	h := newHarness(t, nil)
	words, err := CommonPasswords().WithWords([]string{"acme"})
	if err != nil {
		t.Fatal(err)
	}
	h.org.Policy.Blocklist = words
	h.svc = h.replica(h.st)
	_, err = h.submit("bob", "Welcome-To-Acme-42")
	fieldErr(t, err, FieldPassword, msgCommonPassword)
	if r, err := h.submit("bob", "Velvet-Harbor-Lamp-81"); err != nil || r == nil {
		t.Fatalf("a password without the word: %v", err)
	}
}

// A generated password is random: it is never sent to the range API, not
// even its prefix. An unlock sets no password and asks nothing either.
func TestGeneratedAndUnlockOnlyNotScreened(t *testing.T) {
	h, fake := screened(t, false)
	fake.FailNext(10, http.StatusServiceUnavailable, "") // would refuse, were it asked
	if r, err := h.submit("bob", ""); err != nil || !r.Generated {
		t.Fatalf("generated: %v", err)
	}
	sub := Submission{Requester: tech, OrgID: "acme", Account: "alice", Mode: ModeUnlock, Reason: "Verified by call-back to HR number"}
	if _, err := h.svc.Submit(context.Background(), sub); err != nil {
		t.Fatalf("unlock only: %v", err)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("%d range requests", n)
	}
}

// The sentences offer the way out the form has: a generated password.
func TestScreenSentencesOfferAGeneratedPassword(t *testing.T) {
	for _, m := range []string{msgCommonPassword, msgBreachedPassword, msgUnscreened} {
		if !strings.Contains(m, "leave the field empty to generate one") || strings.Count(m, ".") != 1 {
			t.Errorf("%q: one sentence that offers a generated password", m)
		}
	}
}
