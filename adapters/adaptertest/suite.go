// Package adaptertest is the contract every chat adapter meets: one list of
// scenarios (command, form, approval, refusals, reveal, retry, expiry), run
// by each adapter's tests against its own strict fake through a small
// Platform driver, so Slack and Teams cannot drift apart unnoticed. The
// flow behind the adapter is built here (NewEnv), the same for every
// platform; an adapter brings only how its people are named (Bindings).
package adaptertest

import (
	"strings"
	"sync"
	"testing"

	"github.com/unlockbot/unlockbot/bot"
)

// Run runs every scenario on a fresh Env and the platform newPlatform
// builds on it (its adapter on env.Service, env.Store and env.Log). The
// scenarios run in parallel.
func Run(t *testing.T, b Bindings, newPlatform func(t *testing.T, env *Env) Platform) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			env := NewEnv(t, b)
			sc.fn(&run{t: t, env: env, p: newPlatform(t, env)})
		})
	}
}

type scenario struct {
	name string
	fn   func(*run)
}

func scenarios() []scenario {
	return []scenario{
		{"CommandOpensForm", testCommandOpensForm},
		{"ValidationErrorsPerField", testValidationErrors},
		{"SubmitPostsApproval", testSubmitPostsApproval},
		{"ApprovedByAnother", testApprovedByAnother},
		{"SelfApprovalRefused", testSelfApprovalRefused},
		{"NonApproverRefused", testNonApproverRefused},
		{"DoubleApproveResetsOnce", testDoubleApprove},
		{"ClickAnsweredBeforeTheReset", testClickAnsweredBeforeTheReset},
		{"DenyWithReason", testDenyWithReason},
		{"RevealOnce", testRevealOnce},
		{"TypedPasswordNeverSent", testTypedPasswordNeverSent},
		{"RetryContinues", testRetryContinues},
		{"LateClickAfterExpiry", testLateClickAfterExpiry},
	}
}

// reason passes the form's checks; it is what an approver reads.
const reason = "Called back on the HR phone number"

// run is one scenario's environment, platform and helpers.
type run struct {
	t   *testing.T
	env *Env
	p   Platform
}

func validValues() map[bot.FieldID]string {
	return map[bot.FieldID]string{bot.FieldOrg: OrgID, bot.FieldAccount: Locked, bot.FieldTemporary: "true", bot.FieldReason: reason}
}

// submit asks for a reset of the locked account as u and returns the
// approval card it posted, the only one so far.
func (r *run) submit(u User) (Message, string) {
	r.t.Helper()
	return r.submitValues(u, validValues())
}

// submitValues is submit with the form filled in with vals.
func (r *run) submitValues(u User, vals map[bot.FieldID]string) (Message, string) {
	r.t.Helper()
	f := r.p.Command(r.t, u, "")
	if errs := r.p.Submit(r.t, u, f, vals); errs != nil {
		r.t.Fatalf("valid form refused: %v", errs)
	}
	r.p.Wait(r.t)
	card := r.card()
	b, ok := card.Button(bot.ActionApprove)
	if !ok || b.RequestID == "" {
		r.t.Fatalf("approval card offers no Approve button for a request: %+v", card)
	}
	return card, b.RequestID
}

// click presses a button and waits for what it started.
func (r *run) click(u User, m Message, action bot.ActionID) *Form {
	r.t.Helper()
	f := r.p.Click(r.t, u, m, action)
	r.p.Wait(r.t)
	return f
}

// card is the one approval card of the scenario, in its latest state.
func (r *run) card() Message {
	r.t.Helper()
	cards := r.p.Approvals(r.t)
	if len(cards) != 1 {
		r.t.Fatalf("%d approval cards, want 1: %+v", len(cards), cards)
	}
	return cards[0]
}

// told returns what u was shown privately that says want.
func (r *run) told(u User, want string) []Message {
	r.t.Helper()
	var out []Message
	for _, m := range r.p.Private(r.t, u) {
		if strings.Contains(m.String(), want) {
			out = append(out, m)
		}
	}
	return out
}

// revealable is the technician's private "done" message with its Reveal
// button for id; there must be exactly one.
func (r *run) revealable(id string) Message {
	r.t.Helper()
	var out []Message
	for _, m := range r.p.Private(r.t, Technician) {
		if b, ok := m.Button(bot.ActionReveal); ok && b.RequestID == id {
			out = append(out, m)
		}
	}
	if len(out) != 1 {
		r.t.Fatalf("%d private messages with a Reveal button, want 1: %+v", len(out), r.p.Private(r.t, Technician))
	}
	return out[0]
}

// unchanged asserts that the directory saw no write.
func (r *run) unchanged() {
	r.t.Helper()
	c := r.env.Dir.Counts()
	if c.SetPassword != 0 || c.Unlock != 0 {
		r.t.Fatalf("the directory was written: %+v", c)
	}
	if u, _ := r.env.Dir.User(Locked); !u.Lock.Locked {
		r.t.Fatalf("%s is no longer locked", Locked)
	}
}

// pending asserts the card still asks for a decision.
func (r *run) pending() {
	r.t.Helper()
	c := r.card()
	for _, a := range []bot.ActionID{bot.ActionApprove, bot.ActionDeny} {
		if _, ok := c.Button(a); !ok {
			r.t.Fatalf("the card lost its %s button: %+v", a, c)
		}
	}
}

// repliesSaying counts the replies under the card that say want.
func repliesSaying(card Message, want string) int {
	n := 0
	for _, m := range card.Replies {
		if strings.Contains(m.String(), want) {
			n++
		}
	}
	return n
}

// concurrently runs fn n times at once and waits for all of them.
func concurrently(n int, fn func()) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
	}
	wg.Wait()
}
