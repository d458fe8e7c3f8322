package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
)

// TestTransientFailureIsRetriedInTheRun: a directory that did not answer
// once (a storm's load) costs the reset a pause, not a person's Retry:
// the run goes on from where it stopped and the password is written
// once: what the try did and had not saved yet (the write's outcome rides
// with the next save) is saved before the next try, which does not find
// it again as recovered.
func TestTransientFailureIsRetriedInTheRun(t *testing.T) {
	h := newHarness(t, nil)
	h.runTries = 3
	h.svc = h.replica(h.st)
	r := h.mustSubmit("alice", "")
	h.dir.FailNext("Verify", identity.E("test", identity.KindUnavailable, "The directory did not answer in time.", identity.ErrUnavailable))
	got, err := h.svc.Approve(context.Background(), r.ID, approver)
	if err != nil || got.State != StateDone {
		t.Fatalf("after one unanswered verify: %v, state %s", err, got.State)
	}
	if n := h.dir.Calls.SetPassword; n != 1 {
		t.Fatalf("the password was written %d times, want once", n)
	}
	if n := strings.Count(h.audit.String(), `"type":"reset.password_set"`); n != 1 || len(got.Steps.Recovered) != 0 {
		t.Fatalf("%d password_set records, recovered %v: the next try found the write again", n, got.Steps.Recovered)
	}
	if strings.Contains(h.audit.String(), `"type":"reset.failed"`) {
		t.Fatal("a failure that the run's own retry fixed is in the trail as failed")
	}
	if !strings.Contains(h.logs.String(), "trying again") {
		t.Fatal("the retry is not logged")
	}
}

// downWrites is a directory whose password writes never get an answer.
type downWrites struct{ identity.Directory }

func (downWrites) SetPassword(context.Context, identity.Account, identity.PasswordChange) error {
	return identity.E("test", identity.KindUnavailable, "The directory did not answer in time.", identity.ErrUnavailable)
}

// TestOutagePastEveryTryOffersRetry: an outage that lasts past the run's
// tries stops the reset with Retry offered, after exactly those tries.
func TestOutagePastEveryTryOffersRetry(t *testing.T) {
	h := newHarness(t, nil)
	h.runTries = 3
	h.org.Directory = downWrites{h.dir}
	h.svc = h.replica(h.st)
	r := h.mustSubmit("alice", "")
	got, err := h.svc.Approve(context.Background(), r.ID, approver)
	if err == nil || got.State != StateFailed || !got.Retryable {
		t.Fatalf("an outage past every try: %v, state %s, retryable %t", err, got.State, got.Retryable)
	}
	if n := strings.Count(h.logs.String(), "trying again"); n != 2 {
		t.Fatalf("%d retries logged, want 2 (3 tries)", n)
	}
}
