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
	if got := Truncate("abc", 3); got != "abc" {
		t.Errorf("a string of exactly the limit was cut: %q", got)
	}
	if got := Truncate("abcd", 3); got != "ab…" {
		t.Errorf("Truncate(abcd, 3) = %q", got)
	}
	if got := Truncate("ééé", 3); got != "ééé" {
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
	if _, err := h.st.Schedule(ctx, dueSet, "rplantedplantedpl", h.clock.now()); err != nil {
		t.Fatal(err) // planted in the due-set too, or the sweep never reads it
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

// The stored form: a header and no record is not a record, even with a
// MAC that holds over nothing; the org a record claims is read from our
// format and from plain JSON alike (for the alert only).
func TestRecordFormat(t *testing.T) {
	s := NewEphemeralSealer()
	empty := append([]byte{recordFormat}, s.recordMAC("req:r1", 1, nil)...)
	if _, err := s.openRecord("req:r1", 1, empty); err == nil {
		t.Fatal("a header without a record opened")
	}
	sealed, _ := s.sealRecord("req:r1", 3, []byte(`{"org":"acme"}`))
	if rec, err := s.openRecord("req:r1", 3, sealed); err != nil || string(rec) != `{"org":"acme"}` {
		t.Fatalf("a sealed record did not open: %q %v", rec, err)
	}
	for name, v := range map[string][]byte{"ours": sealed, "plain JSON": []byte(`{"org":"acme"}`)} {
		if got := claimedOrg(v); got != "acme" {
			t.Errorf("%s: claimed org %q", name, got)
		}
	}
	if got := claimedOrg(empty); got != "" {
		t.Errorf("a header alone claims %q", got)
	}
}

// Orgs are offered by name, and a channel preselects its org even for a
// technician of several.
func TestOrgChoiceInTheForm(t *testing.T) {
	h := newHarness(t, nil)
	zeta := &Org{ID: "zeta", Name: "Zeta", Directory: h.dir, Tickets: h.tickets, Technicians: []string{"test:U1"}, Channels: []string{"test:C-zeta"}}
	alpha := &Org{ID: "alpha", Name: "Alpha", Directory: h.dir, Tickets: h.tickets, Technicians: []string{"test:U1"}, Channels: []string{"test:C-alpha"}}
	acme := *h.org
	svc, err := New(Config{Store: h.st, Sealer: h.sealer, Audit: &sinkSpy{}, Orgs: []*Org{zeta, &acme, alpha}, Now: h.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	f, err := svc.NewForm(context.Background(), tech, "C-zeta", "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range f.Fields[0].Options {
		names = append(names, o.Label)
	}
	if strings.Join(names, ",") != "Acme,Alpha,Zeta" {
		t.Errorf("orgs offered as %v, want by name", names)
	}
	if f.Fields[0].Initial == nil || f.Fields[0].Initial.Value != "zeta" {
		t.Errorf("the channel's org was not preselected: %+v", f.Fields[0].Initial)
	}
	if f, _ := svc.NewForm(context.Background(), tech, "C-elsewhere", ""); f.Fields[0].Initial != nil {
		t.Errorf("a channel of no org preselected %+v for a technician of three", f.Fields[0].Initial)
	}
}
