package adaptertest

import (
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot"
)

// The command opens the request form, preselecting the org of the channel
// and the account typed after the command; nothing is posted yet.
func testCommandOpensForm(r *run) {
	f := r.p.Command(r.t, Technician, Locked)
	for _, id := range []bot.FieldID{bot.FieldOrg, bot.FieldAccount, bot.FieldReason} {
		if _, ok := f.Input(id); !ok {
			r.t.Errorf("the form has no %s field: %+v", id, f.Inputs)
		}
	}
	if in, _ := f.Input(bot.FieldAccount); in.Initial != Locked {
		r.t.Errorf("account field starts at %q, want %q (typed after the command)", in.Initial, Locked)
	}
	if in, _ := f.Input(bot.FieldOrg); in.Initial != OrgID {
		r.t.Errorf("org field starts at %q, want %q (the channel's org)", in.Initial, OrgID)
	}
	r.p.Wait(r.t)
	if n := len(r.p.Approvals(r.t)); n != 0 {
		r.t.Errorf("%d approval cards before anything was submitted", n)
	}
}

// A form without its org or its account is refused with the error next to
// that field; nothing is posted, nothing written.
func testValidationErrors(r *run) {
	for _, tc := range []struct {
		name  string
		drop  bot.FieldID
		about string
	}{
		{"MissingOrg", bot.FieldOrg, "organization"},
		{"MissingAccount", bot.FieldAccount, "account"},
	} {
		r.t.Run(tc.name, func(t *testing.T) {
			f := r.p.Command(t, Technician, "")
			vals := validValues()
			delete(vals, tc.drop)
			errs := r.p.Submit(t, Technician, f, vals)
			if msg := errs[tc.drop]; !strings.Contains(strings.ToLower(msg), tc.about) {
				t.Fatalf("errors %v, want one on %s about the %s", errs, tc.drop, tc.about)
			}
			if msg := errs[bot.FieldReason]; msg != "" {
				t.Errorf("a valid reason was refused: %q", msg)
			}
		})
	}
	r.p.Wait(r.t)
	if n := len(r.p.Approvals(r.t)); n != 0 {
		r.t.Errorf("%d approval cards for refused forms", n)
	}
	if c := r.env.Dir.Counts(); c.Lookup != 0 {
		r.t.Errorf("a refused form reached the directory: %+v", c)
	}
	r.unchanged()
}

// A valid form posts one card to the approval channel: who asks, for which
// account, why, and the two decisions, each carrying the request id.
func testSubmitPostsApproval(r *run) {
	card, id := r.submit(Technician)
	if b, ok := card.Button(bot.ActionDeny); !ok || b.RequestID != id {
		r.t.Errorf("no Deny button for request %s: %+v", id, card.Buttons)
	}
	if len(card.Buttons) != 2 {
		r.t.Errorf("buttons %+v, want Approve and Deny only", card.Buttons)
	}
	s := card.String()
	for _, want := range []string{Locked, string(Technician), reason} {
		if !strings.Contains(s, want) {
			r.t.Errorf("the card does not say %q:\n%s", want, s)
		}
	}
	if len(card.Replies) != 0 {
		r.t.Errorf("replies before a decision: %+v", card.Replies)
	}
	r.unchanged()
}
