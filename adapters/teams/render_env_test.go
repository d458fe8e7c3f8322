package teams

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
	"github.com/unlockbot/unlockbot/psa/local"
)

// The cards the render tests draw come from the flow itself: a bot.Service
// on a memory directory, whose Notifier for "teams" keeps every card it
// is handed. No adapter is involved, so the renderers are tested alone.

const (
	renderTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	renderChan   = "19:acme@thread.tacv2"
	renderAppr   = "19:approvals@thread.tacv2"

	// What the directory holds for alice's personal-data check.
	renderEmployeeID = "E-4711"
	renderMobileEnd  = "9876"
)

var (
	renderTech     = bot.Actor{Platform: Platform, Tenant: renderTenant, ID: "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f1", Name: "Tess Tech"}
	renderApprover = bot.Actor{Platform: Platform, Tenant: renderTenant, ID: "a1b2c3d4-e5f6-4789-8abc-def012345678", Name: "Abe Approver"}
)

// sentCard is one card the service handed its notifier.
type sentCard struct {
	kind string // post, update, thread, notify
	card bot.Card
}

type cardLog struct {
	mu    sync.Mutex
	cards []sentCard
	said  []string // Whisper sentences
}

func (l *cardLog) add(kind string, c bot.Card) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cards = append(l.cards, sentCard{kind, c})
}

func (l *cardLog) PostApproval(_ context.Context, ch string, c bot.Card) (bot.MessageRef, error) {
	l.add("post", c)
	return bot.MessageRef{Channel: ch, ID: "1"}, nil
}

func (l *cardLog) UpdateApproval(_ context.Context, _ bot.MessageRef, c bot.Card) error {
	l.add("update", c)
	return nil
}

func (l *cardLog) ReplyInThread(_ context.Context, _ bot.MessageRef, c bot.Card) error {
	l.add("thread", c)
	return nil
}

func (l *cardLog) Notify(_ context.Context, _ bot.Actor, c bot.Card) error {
	l.add("notify", c)
	return nil
}

func (l *cardLog) Whisper(_ context.Context, _ string, _ bot.Actor, text string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.said = append(l.said, text)
	return nil
}

// last is the latest card of kind.
func (l *cardLog) last(t *testing.T, kind string) bot.Card {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.cards) - 1; i >= 0; i-- {
		if l.cards[i].kind == kind {
			return l.cards[i].card
		}
	}
	t.Fatalf("no %s card among %d", kind, len(l.cards))
	return bot.Card{}
}

func (l *cardLog) all() []bot.Card {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []bot.Card
	for _, s := range l.cards {
		out = append(out, s.card)
	}
	return out
}

type renderEnv struct {
	svc  *bot.Service
	chat *cardLog
}

func newRenderEnv(t *testing.T) *renderEnv {
	t.Helper()
	return newRenderEnvVerifying(t, bot.VerifyPolicy{})
}

// newRenderEnvVerifying is the render env whose org verifies callers
// with v; alice's employeeID and mobile are there to be asked.
func newRenderEnvVerifying(t *testing.T, v bot.VerifyPolicy) *renderEnv {
	t.Helper()
	var st store.Store = memstore.New()
	alice := memory.User{Account: identity.Account{Username: "alice", DisplayName: "Alice Person", InScope: true,
		Attributes: map[string]string{"employeeID": renderEmployeeID, "mobile": "+1 555 0100 " + renderMobileEnd}}, Password: "Old-Passw0rd!"}
	alice.Lock.Locked = true
	dir := memory.New(alice)
	sealer := bot.NewEphemeralSealer()
	key := func(a bot.Actor) string { return a.Platform + ":" + a.Tenant + ":" + a.ID }
	org := &bot.Org{
		ID: "acme", Name: "Acme", Directory: dir, Tickets: local.New(store.Values{Store: st}, "acme", sealer.SealBytes), PSACompanyID: "acme-co",
		Policy:          bot.Policy{RequireApproval: true, Verify: v},
		Technicians:     []string{key(renderTech), key(renderApprover)},
		Approvers:       []string{key(renderApprover)},
		Channels:        []string{Platform + ":" + renderChan},
		ApprovalChannel: map[string]string{Platform: renderAppr},
	}
	chat := &cardLog{}
	svc, err := bot.New(bot.Config{Store: st, Sealer: sealer, Audit: jsonl.New(io.Discard, nil), Orgs: []*bot.Org{org},
		Notifiers: map[string]bot.Notifier{Platform: chat}, Log: zerolog.Nop(), Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return &renderEnv{svc: svc, chat: chat}
}

// submit files alice's reset as Tess and returns the request id.
func (e *renderEnv) submit(t *testing.T, reason string) string {
	t.Helper()
	r, err := e.svc.Submit(t.Context(), bot.Submission{Requester: renderTech, OrgID: "acme", Account: "alice", Temporary: true,
		Reason: reason, Origin: renderChan})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// normalize replaces what varies between runs (the request id, the
// expiry time) in a rendered card.
func normalize(b []byte, id string) []byte {
	s := string(b)
	if id != "" {
		s = strings.ReplaceAll(s, id, "rREQUEST")
	}
	s = expiresAt.ReplaceAllString(s, "expires HH:MM UTC")
	return []byte(s)
}

func mri(i int) string { return fmt.Sprintf("29:1approver%02d", i) }
