package teams_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/adaptertest"
	"github.com/unlockbot/unlockbot/adapters/teams"
	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/bot/store"
)

// heldMarks is a store whose replay marks wait until released, or fail.
type heldMarks struct {
	store.Store
	mu      sync.Mutex
	hold    chan struct{}
	fail    error
	panics  bool
	waiting int
}

func (h *heldMarks) Mark(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	h.mu.Lock()
	hold, fail := h.hold, h.fail
	h.waiting++
	h.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if fail != nil {
		return false, fail
	}
	if h.panics {
		panic("store client bug")
	}
	return h.Store.Mark(ctx, key, ttl)
}

func (h *heldMarks) asked() int { h.mu.Lock(); defer h.mu.Unlock(); return h.waiting }

func newHeldTeams(t *testing.T, h *heldMarks) *contractTeams {
	env := adaptertest.NewEnv(t, bindings())
	h.Store = env.Store
	return newContractTeamsWith(t, env, func(c *teams.Config) { c.Store = h })
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// A technician's unlock in their personal chat is answered with the form
// while the replay check is still on the way: the form reaches Teams
// before the store has answered, and stays once it answers "first".
func TestFormGoesOutBesideTheReplayCheck(t *testing.T) {
	h := &heldMarks{hold: make(chan struct{})}
	d := newHeldTeams(t, h)
	tech := people[adaptertest.Technician]
	chat := d.fake.Personal(tech)
	code := make(chan int, 1)
	go func() {
		c, _ := d.fake.Deliver(d.mux, d.fake.Message(tech, chat, "unlock"))
		code <- c
	}()
	waitFor(t, "the form while the replay check is held", func() bool { return len(d.fake.Activities(chat.ID)) == 1 })
	if h.asked() != 1 {
		t.Fatalf("%d replay checks asked, want the one still held", h.asked())
	}
	close(h.hold)
	if c := <-code; c != http.StatusOK {
		t.Fatalf("answered %d", c)
	}
	d.Wait(t)
	if got := d.fake.Activities(chat.ID); len(got) != 1 || !strings.Contains(string(got[0].Card), `"Input.`) || len(d.fake.Deleted(chat.ID)) != 0 {
		t.Fatalf("after the check passed: %d activities, %d deleted; want the form, kept", len(got), len(d.fake.Deleted(chat.ID)))
	}
}

// A delivered activity replayed (the same id, the same conversation) is
// handled once. A replayed unlock draws its form too, and the form is taken back once
// the check says the message was handled before: one form is left, the
// first one.
func TestReplayedFormIsTakenBack(t *testing.T) {
	d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
	tech := people[adaptertest.Technician]
	chat := d.fake.Personal(tech)
	act := d.fake.Message(tech, chat, "unlock")
	for range 2 {
		if code, _ := d.fake.Deliver(d.mux, act); code != http.StatusOK {
			t.Fatalf("answered %d", code)
		}
	}
	d.Wait(t)
	left, gone := d.fake.Activities(chat.ID), d.fake.Deleted(chat.ID)
	if len(left) != 1 || len(gone) != 1 || gone[0] == left[0].ID {
		t.Fatalf("left %d, deleted %v; want the first form left and the replay's deleted", len(left), gone)
	}
	if n := d.fake.Calls()[teamstest.CallDelete]; n != 1 {
		t.Fatalf("%d delete calls, want 1", n)
	}
}

// A store that cannot say whether the message is new gets it answered
// 503 (Teams sends it again) and the form sent beside the check is taken
// back: nothing is left for a message not handled.
func TestFormTakenBackWhenTheCheckFails(t *testing.T) {
	h := &heldMarks{fail: errors.New("redis: connection refused")}
	d := newHeldTeams(t, h)
	tech := people[adaptertest.Technician]
	chat := d.fake.Personal(tech)
	if code, _ := d.fake.Deliver(d.mux, d.fake.Message(tech, chat, "unlock")); code != http.StatusServiceUnavailable {
		t.Fatalf("answered %d, want 503", code)
	}
	d.Wait(t)
	if left, gone := d.fake.Activities(chat.ID), d.fake.Deleted(chat.ID); len(left) != 0 || len(gone) != 1 {
		t.Fatalf("left %d, deleted %d; want the form sent and deleted", len(left), len(gone))
	}
}

// Anything but a technician's form waits for the check: a sentence, the
// refusal of someone who is no technician, a lock. Nothing reaches Teams
// while it is held, and a replay of them is answered by nobody.
func TestOtherMessagesWaitForTheReplayCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		who  teamstest.User
		text string
	}{
		{"help", people[adaptertest.Technician], "hello"},
		{"no technician", watcher, "unlock"},
		{"lock", people[adaptertest.Technician], "lock alice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &heldMarks{hold: make(chan struct{})}
			d := newHeldTeams(t, h)
			chat := d.fake.Personal(c.who)
			act := d.fake.Message(c.who, chat, c.text)
			code := make(chan int, 1)
			go func() {
				c, _ := d.fake.Deliver(d.mux, act)
				code <- c
			}()
			waitFor(t, "the replay check", func() bool { return h.asked() == 1 })
			time.Sleep(50 * time.Millisecond) // what would go out unchecked has had its moment
			if n := len(d.fake.Bodies()); n != 0 {
				t.Fatalf("%d bodies reached Teams before the replay check answered", n)
			}
			if strings.Contains(d.env.Audit(), `"type":"request.refused"`) {
				t.Fatalf("a refusal was recorded before the replay check answered:\n%s", d.env.Audit())
			}
			close(h.hold)
			if got := <-code; got != http.StatusOK {
				t.Fatalf("answered %d", got)
			}
			if got, _ := d.fake.Deliver(d.mux, act); got != http.StatusOK {
				t.Fatalf("replay answered %d", got)
			}
			d.Wait(t)
			if left, gone := d.fake.Activities(chat.ID), d.fake.Deleted(chat.ID); len(left) != 1 || len(gone) != 0 {
				t.Fatalf("left %d, deleted %d; want one answer, nothing deleted", len(left), len(gone))
			}
		})
	}
}

// A handler stopped by a panic in the check (net/http recovers it) still
// lets the message's work end: the form is taken back and the adapter
// shuts down instead of waiting forever.
func TestFormTakenBackWhenTheCheckPanics(t *testing.T) {
	d := newHeldTeams(t, &heldMarks{panics: true})
	tech := people[adaptertest.Technician]
	chat := d.fake.Personal(tech)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the store's panic did not reach the handler")
			}
		}()
		d.fake.Deliver(d.mux, d.fake.Message(tech, chat, "unlock"))
	}()
	d.Wait(t)
	if left, gone := d.fake.Activities(chat.ID), d.fake.Deleted(chat.ID); len(left) != 0 || len(gone) != 1 {
		t.Fatalf("left %d, deleted %d; want the form sent and deleted", len(left), len(gone))
	}
}

// "unlock <account>" sent beside the check still shows the account's
// facts: the form is updated with them once the check passed.
func TestEarlyFormGetsTheAccountsFacts(t *testing.T) {
	d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
	tech := people[adaptertest.Technician]
	chat := d.fake.Personal(tech)
	if code, _ := d.fake.Deliver(d.mux, d.fake.Message(tech, chat, "unlock "+adaptertest.Locked)); code != http.StatusOK {
		t.Fatalf("answered %d", code)
	}
	d.Wait(t)
	got := d.fake.Activities(chat.ID)
	if len(got) != 1 || got[0].Versions != 2 || !strings.Contains(strings.ToLower(string(got[0].Card)), "locked") {
		t.Fatalf("%d activities (versions %v); want the form, updated once with the account's facts", len(got), versions(got))
	}
}

func versions(ps []teamstest.Posted) []int {
	var v []int
	for _, p := range ps {
		v = append(v, p.Versions)
	}
	return v
}
