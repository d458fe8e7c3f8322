package bot

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// limitSeen notes when the daily limit is first asked.
type limitSeen struct {
	store.Store
	seen atomic.Bool
}

func (s *limitSeen) Reserve(ctx context.Context, key, member string, now time.Time, window time.Duration, limit int) (bool, int, error) {
	if strings.HasPrefix(key, "limit:") {
		s.seen.Store(true)
	}
	return s.Store.Reserve(ctx, key, member, now, window, limit)
}

// waitingLookup is a directory whose lookup waits (up to a second) for the
// store to be asked about the limit, and says whether it was; alias names
// another account's username, as a directory resolving a nickname does.
type waitingLookup struct {
	identity.Directory
	st    *limitSeen
	saw   chan bool
	alias map[string]string
}

func (d waitingLookup) Lookup(ctx context.Context, name string) (identity.Account, error) {
	if d.saw != nil {
		for deadline := time.Now().Add(time.Second); !d.st.seen.Load() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		d.saw <- d.st.seen.Load()
	}
	if to, ok := d.alias[name]; ok {
		name = to
	}
	return d.Directory.Lookup(ctx, name)
}

func breakGlassOn(svc *Service, account, pw string) (*Request, error) {
	sub := Submission{Requester: tech, OrgID: "acme", Account: account, Reason: "Verified by call-back"}
	if pw != "" {
		sub.Password = identity.NewSecret(pw)
	}
	return svc.BreakGlass(context.Background(), sub)
}

// TestTheAccountsStoreReadsGoBesideTheLookup: for a name typed as a plain
// username, the day's limit (a place taken, for a request that runs at
// once) and the week's unlocks are asked while the directory looks the
// account up, not after.
func TestTheAccountsStoreReadsGoBesideTheLookup(t *testing.T) {
	h := newHarness(t, nil)
	st := &limitSeen{Store: h.st}
	w := waitingLookup{Directory: h.dir, st: st, saw: make(chan bool, 4)}
	h.org.Directory = w
	svc := h.replica(st)
	r, err := breakGlassOn(svc, "alice", "")
	if err != nil || r.State != StateDone {
		t.Fatalf("break glass: %v", err)
	}
	if !<-w.saw {
		t.Fatal("the lookup ran alone: the store was asked after it")
	}
	if n, _ := svc.resetsToday(context.Background(), h.org, "alice"); n != 1 || !r.Steps.Reserved {
		t.Fatalf("%d of alice's resets today, reserved %t; want this one", n, r.Steps.Reserved)
	}
}

// TestAGuessedUsernameTheDirectoryResolvesElsewhereIsAskedAgain: a typed
// name the directory resolves to another account (a nickname) gets its
// answers for the account's own username, and the place taken for the
// typed name is given back.
func TestAGuessedUsernameTheDirectoryResolvesElsewhereIsAskedAgain(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Directory = waitingLookup{Directory: h.dir, alias: map[string]string{"ali": "alice"}}
	svc := h.replica(h.st)
	r, err := breakGlassOn(svc, "ali", "")
	if err != nil || r.State != StateDone || r.Account.Username != "alice" {
		t.Fatalf("break glass: %v", err)
	}
	ctx := context.Background()
	guessed, _ := svc.resetsToday(ctx, h.org, "ali")
	real, _ := svc.resetsToday(ctx, h.org, "alice")
	if guessed != 0 || real != 1 {
		t.Fatalf("resets today: %d under the typed name, %d under alice; want 0 and 1", guessed, real)
	}
}

// TestARefusedSubmissionKeepsNoPlaceUnderTheLimit: a request refused after
// its place was taken beside the lookup (a protected account; a password
// the policy refuses) gives it back.
func TestARefusedSubmissionKeepsNoPlaceUnderTheLimit(t *testing.T) {
	for _, tc := range []struct{ account, pw string }{{"dadmin", ""}, {"bob", "short"}} {
		h := newHarness(t, nil)
		var v *ValidationError
		if _, err := breakGlassOn(h.svc, tc.account, tc.pw); !errors.As(err, &v) {
			t.Fatalf("%s: %v; want a refusal", tc.account, err)
		}
		if n, _ := h.svc.resetsToday(context.Background(), h.org, tc.account); n != 0 {
			t.Fatalf("%s: %d places left taken after the refusal", tc.account, n)
		}
	}
}

// weekDown is a store whose unlock history cannot be read.
type weekDown struct{ store.Store }

func (s weekDown) Reserve(ctx context.Context, key, member string, now time.Time, window time.Duration, limit int) (bool, int, error) {
	if strings.HasPrefix(key, "unlocks:") {
		return false, 0, errors.New("store: connection reset")
	}
	return s.Store.Reserve(ctx, key, member, now, window, limit)
}

// TestAStoppedNicknameKeepsNoPlaceUnderEitherName: a typed name the
// directory resolves to another account, stopped after the account's own
// name was asked again and its place taken (the week's unlocks could not
// be read), gives back the places under both names.
func TestAStoppedNicknameKeepsNoPlaceUnderEitherName(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Directory = waitingLookup{Directory: h.dir, alias: map[string]string{"ali": "alice"}}
	svc := h.replica(weekDown{h.st})
	if _, err := breakGlassOn(svc, "ali", ""); KindOf(err) != KindUnavailable {
		t.Fatalf("%v; want the store's failure", err)
	}
	ctx := context.Background()
	for _, name := range []string{"ali", "alice"} {
		if n, _ := h.svc.resetsToday(ctx, h.org, name); n != 0 {
			t.Errorf("%d places left taken under %s", n, name)
		}
	}
}

// TestOnlyAPlainUsernameIsGuessedAt: a UPN, DOMAIN\name, a DN, a display
// name or an overlong name is never a username as typed, so no store key is
// made for it before the directory names the account.
func TestOnlyAPlainUsernameIsGuessedAt(t *testing.T) {
	for typed, want := range map[string]bool{"alice": true, "a.smith-2": true, "ALICE": true, "": false,
		"alice@corp.example": false, `CORP\alice`: false, "CN=alice,OU=Staff": false, "Alice Smith": false,
		strings.Repeat("a", 64): true, strings.Repeat("a", 65): false, "tab\tname": false} {
		if got := plainUsername(typed); got != want {
			t.Errorf("plainUsername(%q) = %t, want %t", typed, got, want)
		}
	}
}
