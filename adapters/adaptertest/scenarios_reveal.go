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
