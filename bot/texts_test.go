package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store/memstore"
)

// Small rules mutation testing found unpinned.

func TestTruncateKeepsWhatFits(t *testing.T) {
	if got := truncate("abc", 3); got != "abc" {
		t.Errorf("a string of exactly the limit was cut: %q", got)
	}
	if got := truncate("abcd", 3); got != "ab…" {
		t.Errorf("truncate(abcd, 3) = %q", got)
	}
	if got := truncate("ééé", 3); got != "ééé" {
		t.Errorf("runes, not bytes: %q", got)
	}
}

func TestSealerRefusesAShortValue(t *testing.T) {
	s := NewEphemeralSealer()
	for _, n := range []int{0, 12, 12 + 15} { // shorter than nonce + tag
		if _, err := s.Open(make([]byte, n), "r1"); err == nil || !strings.Contains(err.Error(), "too short") {
			t.Errorf("a %d-byte value: %v", n, err)
		}
	}
	if _, err := s.Open(make([]byte, 12+16), "r1"); err == nil || strings.Contains(err.Error(), "too short") {
		t.Errorf("a value with room for nonce and tag is tried, and fails to open: %v", err)
	}
}

func TestDefaultLease(t *testing.T) {
	svc, err := New(Config{Store: memstore.New(), Sealer: NewEphemeralSealer(), Audit: &sinkSpy{}})
	if err != nil || svc.lease != 2*time.Minute {
		t.Fatalf("default lease %v (%v)", svc.lease, err)
	}
}

// "/unlock <name>" prefills a name of up to 64 characters, not more, and
// the channel preselects only an org the person serves.
func TestFormPrefill(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	initial := func(f Form, id FieldID) string {
		for _, fd := range f.Fields {
			if fd.ID == id && fd.Initial != nil {
				return fd.Initial.Value
			}
		}
		return ""
	}
	exact := strings.Repeat("a", maxQueryLen)
	if f, _ := h.svc.NewForm(ctx, tech, "C-acme", exact); initial(f, FieldAccount) != exact {
		t.Error("a 64-character name was not prefilled")
	}
	if f, _ := h.svc.NewForm(ctx, tech, "C-acme", exact+"a"); initial(f, FieldAccount) != "" {
		t.Error("a 65-character name was prefilled")
	}
	other := &Org{ID: "globex", Name: "Globex", Directory: h.dir, Tickets: h.tickets, Technicians: []string{"test:U9"}, Channels: []string{"test:C-globex"}}
	two := *h.org
	svc, err := New(Config{Store: h.st, Sealer: h.sealer, Audit: &sinkSpy{}, Orgs: []*Org{&two, other}, Now: h.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := svc.NewForm(ctx, tech, "C-globex", ""); initial(f, FieldOrg) != "acme" {
		t.Errorf("in another org's channel the form preselected %q, want the technician's only org", initial(f, FieldOrg))
	}
}

// The outcomes nobody waits for are still recorded: an expiry is audited
// and the card updated; a failed showing of a password is audited; a
// tamper alert that cannot be posted is logged.
func TestQuietOutcomesAreRecorded(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	h.clock.add(61 * time.Minute)
	if _, err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.audit.String(), `"type":"request.expired"`) || !strings.Contains(h.chat.all(), "Expired without a decision") {
		t.Fatal("an expiry is not audited, or the card not updated")
	}
	if got, _ := h.svc.Get(ctx, r.ID); got.State != StateExpired {
		t.Fatalf("state %s", got.State)
	}
	d := h.mustSubmit("bob", "")
	if _, err := h.svc.Approve(ctx, d.ID, approver); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.svc.RevealPassword(ctx, d.ID, tech); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.ConfirmReveal(ctx, d.ID, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.audit.String(), `"type":"password.reveal_failed"`) {
		t.Fatal("a failed showing is not audited")
	}
	h.chat.fail = errors.New("chat down")
	planted := []byte(`{"org":"acme"}`)
	if _, err := h.st.Create(ctx, requestKey("rplantedplantedpl"), planted, time.Hour); err != nil {
		t.Fatal(err)
	}
	_, _ = h.svc.Sweep(ctx)
	if !strings.Contains(h.logs.String(), "could not alert the approval channel") {
		t.Fatal("a tamper alert that could not be posted is not logged")
	}
}

// The refusal markers expire, so a flood of forged requests does not grow
// the store: real Redis, its TTL read back.
func TestRefusalMarkersExpire(t *testing.T) {
	st := newRedisForTTL(t)
	h := newHarness(t, st)
	if !h.svc.RecordRefusal(context.Background(), "slack", "team_mismatch", nil) {
		t.Fatal("not recorded")
	}
	ttl := keyTTL(t, st, "refusal:slack:team_mismatch:")
	if ttl <= time.Minute || ttl > 2*time.Minute {
		t.Fatalf("refusal marker TTL %v, want just under 2 minutes", ttl)
	}
}
