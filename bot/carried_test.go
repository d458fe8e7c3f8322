package bot

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestACarriedStepStoppedBeforeItsSaveRunsAgain: the read-back and the
// completion record ride with the next save (on a first try, nothing is
// saved between the write's intent and the done save: the ticket and the
// note need no intent there, onceKeyed), so a worker that dies right
// after one leaves it unrecorded; the worker taking over runs the
// read-back again and repeats no change: one password write, one ticket,
// the reset done.
func TestACarriedStepStoppedBeforeItsSaveRunsAgain(t *testing.T) {
	for _, step := range []string{"verify", "audit"} {
		t.Run(step, func(t *testing.T) {
			h := newHarness(t, nil)
			r := h.mustSubmit("alice", "")
			h.approveAndCrash(r.ID, step)
			stored := h.request(r.ID)
			if stored.State != StateExecuting || !stored.Steps.WriteIntent {
				t.Fatalf("after the crash: %s %+v", stored.State, stored.Steps)
			}
			if step == "verify" && stored.Steps.Verified || step == "audit" && stored.Steps.Audited {
				t.Fatalf("the %s step was saved on its own: %+v", step, stored.Steps)
			}
			before := strings.Count(h.audit.String(), `"type":"reset.verified"`)
			h.clock.add(h.svc.lease + time.Second)
			got, err := h.replica(h.st).Execute(context.Background(), r.ID)
			if err != nil || got.State != StateDone || !got.Steps.Verified || !got.Steps.Audited {
				t.Fatalf("takeover: %v %+v", err, got)
			}
			if h.dir.Calls.SetPassword != 1 || h.ticketCount() != 1 {
				t.Fatalf("%d password writes, %d tickets: want one each", h.dir.Calls.SetPassword, h.ticketCount())
			}
			after := strings.Count(h.audit.String(), `"type":"reset.verified"`)
			if want := before + 1; after != want {
				t.Fatalf("%d reset.verified records after the takeover, want %d", after, want)
			}
		})
	}
}

// TestAStepRenewsALeaseOnlyPastItsHalf: the read-back renews the lease
// when the write's renewal is more than half a lease old (a worker that
// stalled that long may have lost the request, and the swap finds out),
// and leaves it when it is younger.
func TestAStepRenewsALeaseOnlyPastItsHalf(t *testing.T) {
	for _, tc := range []struct {
		wait  time.Duration // past half a lease
		renew bool
	}{{-time.Second, false}, {time.Second, true}} {
		h := newHarness(t, nil)
		tc.wait += h.svc.lease / 2
		r := h.mustSubmit("alice", "")
		var before, at time.Time
		h.svc.afterStep = func(step string) error {
			switch step {
			case "write":
				before = h.request(r.ID).LeaseUntil // the write's intent renewed it
				h.clock.add(tc.wait)
			case "verify":
				at = h.request(r.ID).LeaseUntil
			}
			return nil
		}
		if _, err := h.svc.Approve(context.Background(), r.ID, approver); err != nil {
			t.Fatal(err)
		}
		if renewed := at.After(before); renewed != tc.renew {
			t.Fatalf("%v after the write's renewal: lease %v, then %v at the read-back; want renewed %t", tc.wait, before, at, tc.renew)
		}
	}
}
