package adaptertest

import (
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/bot"
)

// An approval by someone other than the requester runs the reset once; the
// card shows the outcome and who approved, the thread confirms it and the
// requester is told privately, with the password behind Reveal.
func testApprovedByAnother(r *run) {
	card, id := r.submit(Technician)
	if f := r.click(Approver, card, bot.ActionApprove); f != nil {
		r.t.Fatalf("Approve opened a form: %+v", f)
	}
	if c := r.env.Dir.Counts(); c.SetPassword != 1 || c.Unlock != 1 {
		r.t.Fatalf("directory writes %+v, want one password set with its unlock", c)
	}
	if u, _ := r.env.Dir.User(Locked); u.Lock.Locked || u.Password == "Old-Passw0rd!" {
		r.t.Fatalf("%s locked=%t, password unchanged=%t", Locked, u.Lock.Locked, u.Password == "Old-Passw0rd!")
	}
	done := r.card()
	if len(done.Buttons) != 0 || !strings.Contains(done.Text, "Done") {
		r.t.Errorf("final card still offers %+v or does not say Done:\n%s", done.Buttons, done)
	}
	if by := done.Field("Approved by"); !strings.Contains(by, string(Approver)) {
		r.t.Errorf("Approved by %q, want the approver", by)
	}
	if n := repliesSaying(done, "Reset complete"); n != 1 {
		r.t.Errorf("%d confirmations in the thread, want 1: %+v", n, done.Replies)
	}
	r.revealable(id)
	if n := len(r.p.Private(r.t, Approver)); n != 0 {
		r.t.Errorf("the approver was told %d things privately: %+v", n, r.p.Private(r.t, Approver))
	}
}

// The requester cannot approve their own request, even as an approver.
func testSelfApprovalRefused(r *run) {
	card, _ := r.submit(Approver)
	r.click(Approver, card, bot.ActionApprove)
	if got := r.told(Approver, "two-person rule"); len(got) != 1 {
		r.t.Fatalf("requester-approver told %+v, want one refusal naming the two-person rule", r.p.Private(r.t, Approver))
	}
	r.unchanged()
	r.pending()
}

// Someone who is not an approver cannot approve, nor deny: they are told
// so at once, and asked for no reason.
func testNonApproverRefused(r *run) {
	card, _ := r.submit(Technician)
	r.click(Outsider, card, bot.ActionApprove)
	if f := r.click(Outsider, card, bot.ActionDeny); f != nil {
		r.t.Errorf("a non-approver was asked for a reason to deny: %+v", f)
	}
	if got, all := r.told(Outsider, "not an approver"), r.p.Private(r.t, Outsider); len(got) != 2 || len(all) != 2 {
		r.t.Fatalf("outsider told %+v, want two refusals saying they are not an approver", all)
	}
	r.unchanged()
	r.pending()
}

// Two clicks on Approve at once reset once; the second click is told the
// request is already approved.
func testDoubleApprove(r *run) {
	card, id := r.submit(Technician)
	concurrently(2, func() { r.p.Click(r.t, Approver, card, bot.ActionApprove) })
	r.p.Wait(r.t)
	if c := r.env.Dir.Counts(); c.SetPassword != 1 {
		r.t.Fatalf("password set %d times, want 1", c.SetPassword)
	}
	if n := repliesSaying(r.card(), "Reset complete"); n != 1 {
		r.t.Errorf("%d confirmations in the thread, want 1", n)
	}
	r.revealable(id)
	if got, all := r.told(Approver, "already approved"), r.p.Private(r.t, Approver); len(got) != 1 || len(all) != 1 {
		r.t.Errorf("approver told %+v, want one 'already approved'", all)
	}
}

// Deny asks for a reason; the reason reaches the card and the requester,
// and the directory is not touched.
func testDenyWithReason(r *run) {
	const why = "Caller could not give the <employee> number & PIN"
	card, _ := r.submit(Technician)
	f := r.click(Approver, card, bot.ActionDeny)
	if f == nil || len(f.Inputs) != 1 {
		r.t.Fatalf("Deny opened %+v, want a form asking one thing (the reason)", f)
	}
	if errs := r.p.Submit(r.t, Approver, *f, map[bot.FieldID]string{f.Inputs[0].ID: why}); errs != nil {
		r.t.Fatalf("reason refused: %v", errs)
	}
	r.p.Wait(r.t)
	r.unchanged()
	c := r.card()
	if len(c.Buttons) != 0 || !strings.Contains(c.String(), why) {
		r.t.Errorf("denied card offers %+v or lacks the reason:\n%s", c.Buttons, c)
	}
	if by := c.Field("Denied by"); !strings.Contains(by, string(Approver)) {
		r.t.Errorf("Denied by %q, want the approver", by)
	}
	if got := r.told(Technician, why); len(got) != 1 {
		r.t.Errorf("technician told %+v, want the reason once", r.p.Private(r.t, Technician))
	}
}

// A click after the request expired is refused with a sentence saying so;
// the card stops offering a decision and nothing is written.
func testLateClickAfterExpiry(r *run) {
	card, _ := r.submit(Technician)
	r.env.Advance(ApprovalTTL + time.Minute)
	r.click(Approver, card, bot.ActionApprove)
	if got := r.told(Approver, "expired"); len(got) != 1 || !strings.Contains(got[0].Text, "submit it again") {
		r.t.Fatalf("approver told %+v, want one sentence: expired, submit it again", r.p.Private(r.t, Approver))
	}
	r.unchanged()
	c := r.card()
	if len(c.Buttons) != 0 || !strings.Contains(c.Text, "Expired") {
		r.t.Errorf("expired card offers %+v or does not say so:\n%s", c.Buttons, c)
	}
	if got := r.told(Technician, "expired"); len(got) != 1 {
		r.t.Errorf("technician told %+v, want one expiry notice", r.p.Private(r.t, Technician))
	}
}

// stuck bounds a wait for something that must happen without waiting on
// the clock: it turns a hang (an answer blocked on a held call) into a
// failure, and is never reached when the adapter is right.
const stuck = 10 * time.Second

// The platform's answer to Approve does not wait for the reset: with the
// password write held in the directory, the click is answered, the write
// then arrives and waits, nothing is done yet; released, the reset
// completes once.
func testClickAnsweredBeforeTheReset(r *run) {
	card, id := r.submit(Technician)
	reached, release := r.env.Dir.HoldNext("SetPassword")
	r.t.Cleanup(release)
	answered := make(chan *Form, 1)
	go func() { answered <- r.p.Click(r.t, Approver, card, bot.ActionApprove) }()
	select {
	case f := <-answered:
		if f != nil {
			r.t.Errorf("Approve opened a form: %+v", f)
		}
	case <-time.After(stuck):
		release()
		<-answered // Click reports on r.t: let it finish before the test does
		r.t.Fatalf("Approve was not answered while the password write was held: the answer waits for the reset")
	}
	select {
	case <-reached:
	case <-time.After(stuck):
		r.t.Fatalf("the reset never reached the directory after Approve was answered (counts %+v)", r.env.Dir.Counts())
	}
	if c := r.env.Dir.Counts(); c.SetPassword != 0 {
		r.t.Fatalf("password set %d times while the write is held", c.SetPassword)
	}
	if c := r.card(); strings.Contains(c.Text, "Done") || repliesSaying(c, "Reset complete") != 0 {
		r.t.Errorf("the card says done while the write is held:\n%s\n%+v", c, c.Replies)
	}
	for _, m := range r.p.Private(r.t, Technician) {
		if _, ok := m.Button(bot.ActionReveal); ok {
			r.t.Errorf("the technician was offered the password while the write is held: %+v", m)
		}
	}

	release()
	r.p.Wait(r.t)
	if c := r.env.Dir.Counts(); c.SetPassword != 1 || c.Unlock != 1 {
		r.t.Fatalf("after release %+v, want one password set with its unlock", c)
	}
	done := r.card()
	if !strings.Contains(done.Text, "Done") || repliesSaying(done, "Reset complete") != 1 {
		r.t.Errorf("after release the card does not say Done with one confirmation:\n%s\n%+v", done, done.Replies)
	}
	r.revealable(id)
}
