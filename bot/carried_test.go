package bot

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestACarriedStepStoppedBeforeItsSaveRunsAgain: the read-back and the
// completion record ride with the next save, so a worker that dies right
// after one leaves it unrecorded; the worker taking over runs it again and
// nothing else: one password write, one ticket, the reset done.
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
			if want := before + map[string]int{"verify": 1, "audit": 0}[step]; after != want {
				t.Fatalf("%d reset.verified records after the takeover, want %d", after, want)
			}
		})
	}
}
