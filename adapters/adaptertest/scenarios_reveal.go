package adaptertest

import (
	"strings"

	"github.com/unlockbot/unlockbot/bot"
)

// The generated password is shown once, to the requester only: another
// person's press is refused before it could consume the reveal, a second
// press is refused, and the password is in nothing else the platform got.
func testRevealOnce(r *run) {
	card, id := r.submit(Technician)
	r.click(Approver, card, bot.ActionApprove)
	dm := r.revealable(id)
	u, _ := r.env.Dir.User(Locked)
	pw := u.Password

	r.click(Approver, dm, bot.ActionReveal)
	if got := r.told(Approver, "Only the technician"); len(got) != 1 {
		r.t.Errorf("another person's reveal: told %+v, want one refusal", r.p.Private(r.t, Approver))
	}
	r.click(Technician, dm, bot.ActionReveal)
	if got := r.told(Technician, pw); len(got) != 1 {
		r.t.Fatalf("the requester was shown the password %d times, want 1", len(got))
	}
	r.click(Technician, dm, bot.ActionReveal)
	if got := r.told(Technician, "only once"); len(got) != 1 {
		r.t.Errorf("second reveal: told %+v, want one refusal saying only once", r.p.Private(r.t, Technician))
	}
	r.shownOnce(pw)
}

// A failure after the password was set offers Retry; the retry runs the
// failed step again but does not set the password a second time, and the
// password then revealed is the one the directory holds.
func testRetryContinues(r *run) {
	r.env.Dir.FailNext("Verify", DirectoryDown())
	card, id := r.submit(Technician)
	r.click(Approver, card, bot.ActionApprove)
	failed := r.card()
	if b, ok := failed.Button(bot.ActionRetry); !ok || b.RequestID != id || len(failed.Buttons) != 1 {
		r.t.Fatalf("failed card offers %+v, want Retry only:\n%s", failed.Buttons, failed)
	}
	if c := r.env.Dir.Counts(); c.SetPassword != 1 || c.Verify != 1 {
		r.t.Fatalf("before retry %+v, want the password set and one verify (failed)", c)
	}
	if got := r.told(Technician, "Not completed"); len(got) != 1 {
		r.t.Errorf("technician told %+v, want one failure notice", r.p.Private(r.t, Technician))
	}

	r.click(Technician, failed, bot.ActionRetry)
	if c := r.env.Dir.Counts(); c.SetPassword != 1 || c.Verify != 2 {
		r.t.Fatalf("after retry %+v, want SetPassword still 1 and Verify run again", c)
	}
	done := r.card()
	if len(done.Buttons) != 0 || !strings.Contains(done.Text, "Done") {
		r.t.Fatalf("after retry the card offers %+v or does not say Done:\n%s", done.Buttons, done)
	}
	if n := repliesSaying(done, "Reset complete"); n != 1 {
		r.t.Errorf("%d confirmations in the thread, want 1", n)
	}
	r.click(Technician, r.revealable(id), bot.ActionReveal)
	u, _ := r.env.Dir.User(Locked)
	if got := r.told(Technician, u.Password); len(got) != 1 {
		r.t.Fatalf("the password shown is not the one the directory holds")
	}
	r.shownOnce(u.Password)
}

// typed is a password a technician might type: it passes the org's policy
// and holds the characters JSON, HTML and form encoding each change, so the
// scan of every encoding is put to work.
const typed = `Kite<&>"Harbor" 42+%/`

// A password the technician typed is set as typed and never sent back: no
// body to the platform, no log line, no audit record carries it. The done
// message tells them to give the user the password they typed and offers
// nothing to reveal.
func testTypedPasswordNeverSent(r *run) {
	vals := validValues()
	vals[bot.FieldMode] = string(bot.ModeReset)
	vals[bot.FieldPassword] = typed
	card, id := r.submitValues(Technician, vals)
	r.click(Approver, card, bot.ActionApprove)
	if c := r.env.Dir.Counts(); c.SetPassword != 1 {
		r.t.Fatalf("password set %d times, want 1", c.SetPassword)
	}
	if u, _ := r.env.Dir.User(Locked); u.Password != typed || u.Lock.Locked {
		r.t.Fatalf("%s holds password %q (locked=%t), want the typed one, unlocked", Locked, u.Password, u.Lock.Locked)
	}
	if done := r.card(); !strings.Contains(done.Text, "Done") || repliesSaying(done, "Reset complete") != 1 {
		r.t.Errorf("the card does not say Done with one confirmation:\n%s\n%+v", done, done.Replies)
	}
	if got := r.told(Technician, "Give the user the password you typed"); len(got) != 1 || !strings.Contains(got[0].String(), id) {
		r.t.Errorf("technician told %+v, want one done message for %s saying to give the typed password", r.p.Private(r.t, Technician), id)
	}
	for _, u := range []User{Technician, Approver, Outsider} {
		for _, m := range r.p.Private(r.t, u) {
			if _, ok := m.Button(bot.ActionReveal); ok {
				r.t.Errorf("the %s was offered a Reveal button for a typed password: %+v", u, m)
			}
		}
	}
	r.neverSent(typed)
}
