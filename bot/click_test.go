package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/identity"
)

func (h *harness) drain() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.svc.Drain(ctx); err != nil {
		h.t.Fatalf("jobs did not end: %v", err)
	}
}

func (h *harness) state(id string) State {
	h.t.Helper()
	r, err := h.svc.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r.State
}

// An Approve click is a job: the answer is empty at once, the reset runs
// after it, and a refusal reaches the clicker where they clicked.
func TestClickApproveRunsAfterTheAnswer(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	if a := h.svc.Click(context.Background(), Click{Action: ActionApprove, RequestID: r.ID, Actor: tech, Where: "C-approvals"}); a != (Answer{}) {
		t.Fatalf("approve answered %+v, want nothing", a)
	}
	h.drain()
	if s := h.state(r.ID); s != StatePendingApproval {
		t.Fatalf("self-approval moved the request to %s", s)
	}
	if all := h.chat.all(); !strings.Contains(all, "whisper test:U1@C-approvals") || !strings.Contains(all, "two-person rule") {
		t.Fatalf("the requester was not told why, where they clicked:\n%s", all)
	}
	h.svc.Click(context.Background(), Click{Action: ActionApprove, RequestID: r.ID, Actor: approver, Where: "C-approvals"})
	h.drain()
	if s := h.state(r.ID); s != StateDone {
		t.Fatalf("approved request is %s, want done", s)
	}
	if strings.Contains(h.chat.all(), "whisper test:U2") {
		t.Fatalf("a click that went through was answered with a whisper:\n%s", h.chat.all())
	}
}

// Deny asks for a reason only from someone who may deny; the reason comes
// back as the deny form's answer and the denial runs after it.
func TestClickDenyAsksForAReasonThenDenies(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	a := h.svc.Click(context.Background(), Click{Action: ActionDeny, RequestID: r.ID, Actor: other})
	if a.Form != nil || !strings.Contains(a.Tell, "not an approver") {
		t.Fatalf("non-approver's deny answered %+v", a)
	}
	a = h.svc.Click(context.Background(), Click{Action: ActionDeny, RequestID: r.ID, Actor: approver})
	if a.Form == nil || a.Tell != "" || a.Form.ID != FormDeny || a.Form.Context != r.ID || len(a.Form.Fields) != 1 || a.Form.Fields[0].ID != FieldDenyReason {
		t.Fatalf("approver's deny answered %+v, want the deny form for %s", a, r.ID)
	}
	if s := h.state(r.ID); s != StatePendingApproval {
		t.Fatalf("asking for a reason moved the request to %s", s)
	}
	fa := h.svc.SubmitForm(context.Background(), FormReply{Form: FormDeny, Actor: approver, Context: r.ID, Where: "C-approvals",
		Values: FormValues{FieldDenyReason: "caller failed the call-back"}})
	if len(fa.Errors) != 0 || fa.Replace != nil {
		t.Fatalf("deny form answered %+v, want it closed", fa)
	}
	h.drain()
	got, _ := h.svc.Get(context.Background(), r.ID)
	if got.State != StateDenied || got.DenyReason != "caller failed the call-back" || got.Approver == nil || !got.Approver.Same(approver) {
		t.Fatalf("after the deny form: %s reason %q by %+v", got.State, got.DenyReason, got.Approver)
	}
	if a := h.svc.Click(context.Background(), Click{Action: ActionDeny, RequestID: r.ID, Actor: approver}); a.Form != nil || !strings.Contains(a.Tell, "already denied") {
		t.Fatalf("deny of a denied request answered %+v", a)
	}
}

// Reveal shows the password once through Show; a second click, or a
// platform that cannot show privately, gets a sentence and no password.
func TestClickRevealShowsOnce(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(context.Background(), r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if a := h.svc.Click(context.Background(), Click{Action: ActionReveal, RequestID: r.ID, Actor: tech}); !strings.Contains(a.Tell, "cannot be shown here") {
		t.Fatalf("reveal without Show answered %+v", a)
	}
	var shown []Card
	show := func(_ context.Context, c Card) error { shown = append(shown, c); return nil }
	if a := h.svc.Click(context.Background(), Click{Action: ActionReveal, RequestID: r.ID, Actor: approver, Show: show}); !strings.Contains(a.Tell, "Only the technician") {
		t.Fatalf("someone else's reveal answered %+v", a)
	}
	if a := h.svc.Click(context.Background(), Click{Action: ActionReveal, RequestID: r.ID, Actor: tech, Show: show}); a != (Answer{}) {
		t.Fatalf("reveal answered %+v", a)
	}
	u, _ := h.dir.User("alice")
	if len(shown) != 1 || shown[0].Secret.Reveal() != u.Password || !strings.Contains(shown[0].Text, "alice") || shown[0].Close == "" {
		t.Fatalf("shown %d cards; want one with alice's new password", len(shown))
	}
	if a := h.svc.Click(context.Background(), Click{Action: ActionReveal, RequestID: r.ID, Actor: tech, Show: show}); !strings.Contains(a.Tell, "only once") || len(shown) != 1 {
		t.Fatalf("second reveal answered %+v after %d showings", a, len(shown))
	}
	if strings.Contains(h.chat.all(), u.Password) || strings.Contains(h.logs.String(), u.Password) || strings.Contains(h.audit.String(), u.Password) {
		t.Fatal("the password reached a message, the log or the audit trail")
	}
}

// A showing the platform reports as failed is audited, says what to do, and
// does not re-arm Reveal: the window may have opened before the error.
func TestRevealFailedShowingIsNotRepeated(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(context.Background(), r.ID, approver); err != nil {
		t.Fatal(err)
	}
	calls := 0
	err := h.svc.Reveal(context.Background(), r.ID, tech, func(context.Context, Card) error { calls++; return errors.New("views.open: timeout") })
	if err == nil || !strings.Contains(SafeMessage(err), "submit a new request") || strings.Contains(SafeMessage(err), "timeout") {
		t.Fatalf("failed showing: %v / %q", err, SafeMessage(err))
	}
	if !strings.Contains(h.audit.String(), "password.reveal_failed") {
		t.Fatal("failed showing not audited")
	}
	err = h.svc.Reveal(context.Background(), r.ID, tech, func(context.Context, Card) error { calls++; return nil })
	if err == nil || calls != 1 {
		t.Fatalf("second reveal after a failed showing: %v, show called %d times", err, calls)
	}
}

func TestClickUnknownActionDoesNothing(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	if a := h.svc.Click(context.Background(), Click{Action: "unlockbot.other", RequestID: r.ID, Actor: approver}); a != (Answer{}) {
		t.Fatalf("unknown action answered %+v", a)
	}
	h.svc.RunJob(context.Background(), Job{Action: "unlockbot.other", RequestID: r.ID, Actor: approver})
	h.drain()
	if s := h.state(r.ID); s != StatePendingApproval {
		t.Fatalf("unknown action moved the request to %s", s)
	}
}

// refusingJobs is a queue that is down.
type refusingJobs struct{}

func (refusingJobs) Start(func(context.Context, Job))   {}
func (refusingJobs) Enqueue(context.Context, Job) error { return errors.New("queue down") }
func (refusingJobs) Drain(context.Context) error        { return nil }

// A queue that refuses a job says so to the clicker; nothing moves.
func TestClickWhenTheQueueRefuses(t *testing.T) {
	h := newHarness(t, nil)
	h.svc.jobs = refusingJobs{}
	r := h.mustSubmit("alice", "")
	if a := h.svc.Click(context.Background(), Click{Action: ActionApprove, RequestID: r.ID, Actor: approver}); !strings.Contains(a.Tell, "Click again") {
		t.Fatalf("refused job answered %+v", a)
	}
	fa := h.svc.SubmitForm(context.Background(), FormReply{Form: FormDeny, Actor: approver, Context: r.ID})
	if !strings.Contains(fa.Errors[FieldDenyReason], "Click again") {
		t.Fatalf("refused deny answered %+v", fa)
	}
	if err := h.svc.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := h.state(r.ID); s != StatePendingApproval {
		t.Fatalf("request moved to %s with the queue down", s)
	}
}

// Retry is a job too; the job's Retry runs the reset again.
func TestJobRetry(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	h.dir.FailNext("SetPassword", identity.E("test", identity.KindUnavailable, "The directory did not answer in time.", identity.ErrUnavailable))
	if _, err := h.svc.Approve(context.Background(), r.ID, approver); err == nil {
		t.Fatal("the injected failure did not fail the reset")
	}
	h.svc.Click(context.Background(), Click{Action: ActionRetry, RequestID: r.ID, Actor: tech})
	h.drain()
	if s := h.state(r.ID); s != StateDone {
		t.Fatalf("retried request is %s", s)
	}
}

// recordingJobs keeps what it is given and runs nothing until told.
type recordingJobs struct {
	run      func(context.Context, Job)
	jobs     []Job
	drained  int
	drainErr error
}

func (j *recordingJobs) Start(run func(context.Context, Job)) { j.run = run }
func (j *recordingJobs) Enqueue(_ context.Context, job Job) error {
	j.jobs = append(j.jobs, job)
	return nil
}
func (j *recordingJobs) Drain(context.Context) error { j.drained++; return j.drainErr }

// peopleOf is a platform's People: it knows who is in which group.
type peopleOf map[string][]string

func (p peopleOf) Complete(_ context.Context, a Actor) Actor {
	a.Groups, a.Name = p[a.ID], a.Name+" (looked up)"
	return a
}

// A click hands its decision to the queue as data, with the clicker bare;
// nothing is decided until the job runs, and the job takes the clicker's
// roles from the platform's People then, never from the queue.
func TestClickQueuesAJobThatLooksTheClickerUp(t *testing.T) {
	h := newHarness(t, nil)
	q := &recordingJobs{}
	svc, err := New(Config{Store: h.st, Sealer: h.sealer, Audit: jsonl.New(h.audit, nil), Orgs: []*Org{h.org}, Jobs: q, Now: h.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetNotifier("test", h.chat)
	svc.SetPeople("test", peopleOf{groupie.ID: {"S-approvers"}})
	if q.run == nil {
		t.Fatal("New did not start the queue with the job handler")
	}
	r, err := svc.Submit(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice", Reason: "Verified by call-back to HR number"})
	if err != nil {
		t.Fatal(err)
	}
	bare := Actor{Platform: groupie.Platform, ID: groupie.ID, Name: "gia"}
	if a := svc.Click(context.Background(), Click{Action: ActionApprove, RequestID: r.ID, Actor: bare, Where: "C-approvals"}); a != (Answer{}) {
		t.Fatalf("approve answered %+v", a)
	}
	want := Job{Action: ActionApprove, RequestID: r.ID, Actor: bare, Where: "C-approvals"}
	if len(q.jobs) != 1 || q.jobs[0].Action != want.Action || q.jobs[0].RequestID != want.RequestID || q.jobs[0].Where != want.Where || !q.jobs[0].Actor.Same(bare) || q.jobs[0].Actor.Groups != nil {
		t.Fatalf("queued %+v, want %+v", q.jobs, want)
	}
	if got, _ := svc.Get(context.Background(), r.ID); got.State != StatePendingApproval {
		t.Fatalf("the click decided before its job ran: %s", got.State)
	}
	q.run(context.Background(), q.jobs[0])
	got, _ := svc.Get(context.Background(), r.ID)
	if got.State != StateDone || got.Approver == nil || got.Approver.Name != "gia (looked up)" {
		t.Fatalf("after the job: %s approved by %+v; want done, by the looked-up approver", got.State, got.Approver)
	}
	// A job that carries groups of its own gets them replaced: roles come
	// from the platform, not from whoever wrote the queue.
	r2, _ := svc.Submit(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "bob", Reason: "Verified by call-back to HR number"})
	forged := Actor{Platform: "test", ID: other.ID, Groups: []string{"S-approvers"}}
	q.run(context.Background(), Job{Action: ActionApprove, RequestID: r2.ID, Actor: forged, Where: "C-approvals"})
	if got, _ := svc.Get(context.Background(), r2.ID); got.State != StatePendingApproval {
		t.Fatalf("a job's own groups approved it: %s", got.State)
	}
	if err := svc.Drain(context.Background()); err != nil || q.drained != 1 {
		t.Fatalf("Drain: %v, queue drained %d times; want once", err, q.drained)
	}
	q.drainErr = errors.New("queue: shutdown timed out")
	if err := svc.Drain(context.Background()); !errors.Is(err, q.drainErr) {
		t.Fatalf("Drain hid the queue's error: %v", err)
	}
}

// A sentence that cannot reach the clicker, or a late refusal that cannot
// reach the technician, is logged: nobody else would know.
func TestUndeliveredSentencesAreLogged(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	h.chat.failTell = errors.New("chat: channel_not_found")
	h.svc.Click(context.Background(), Click{Action: ActionApprove, RequestID: r.ID, Actor: tech, Where: "C-approvals"})
	h.drain()
	if !strings.Contains(h.logs.String(), "could not tell the clicker") {
		t.Fatalf("an undelivered refusal left no log line:\n%s", h.logs.String())
	}
	h.dir.SlowNext("Lookup", 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if fa := h.svc.SubmitForm(ctx, FormReply{Form: FormRequest, Actor: tech, Values: requestValues("ghost")}); fa.Replace == nil {
		t.Fatalf("slow submission answered %+v", fa)
	}
	h.drain()
	if !strings.Contains(h.logs.String(), "could not tell the technician") {
		t.Fatalf("an undelivered late refusal left no log line:\n%s", h.logs.String())
	}
}

func TestRoleHolders(t *testing.T) {
	orgs := []*Org{
		{Technicians: []string{"slack:T1:U1", "slack:T1:S9", "teams:x:U7"}, Approvers: []string{"slack:T1:S9", "slack:U2"}},
		{Technicians: []string{"slack:T1:U1"}},
	}
	got := strings.Join(RoleHolders(orgs, "slack"), ",")
	if got != "U1,S9,U2" {
		t.Fatalf("RoleHolders = %s, want U1,S9,U2", got)
	}
	if got := RoleHolders(orgs, "teams"); len(got) != 1 || got[0] != "U7" {
		t.Fatalf("teams: %v", got)
	}
}
