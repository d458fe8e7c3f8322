package identity

import (
	"errors"
	"strings"
	"testing"
)

func TestScrub(t *testing.T) {
	const pw = "Sekr1t-Passw0rd!"
	leaky := E("op", KindInvalid, "echo "+pw, errors.Join(ErrPolicy, errors.New("server said "+pw)))
	got := Scrub(leaky, pw)
	if strings.Contains(got.Error(), pw) || strings.Contains(got.(*Error).Safe, pw) {
		t.Fatalf("password survived scrub: %v", got)
	}
	if KindOf(got) != KindInvalid || !errors.Is(got, ErrPolicy) || got.(*Error).Safe != "echo [redacted]" {
		t.Errorf("kind, sentinel or sentence lost: %v %q", KindOf(got), got.(*Error).Safe)
	}
	if !errors.Is(Scrub(E("op", KindUnavailable, "x", errors.New(pw)), pw), ErrUnavailable) {
		t.Error("an error without a sentinel did not become ErrUnavailable")
	}
	clean := errors.New("nothing secret")
	if Scrub(clean, pw) != clean || Scrub(leaky, "") != error(leaky) || Scrub(nil, pw) != nil {
		t.Error("an error without the secret was replaced")
	}
	if plain := Scrub(errors.New("raw "+pw), pw); strings.Contains(plain.Error(), pw) {
		t.Fatal("a plain error kept the password")
	}
}
