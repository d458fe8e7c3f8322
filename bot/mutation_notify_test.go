package bot

import (
	"context"
	"testing"
)

// A worker that loses the request just as the requester's message went
// out stops there: the save recording that message fails, so it neither
// goes on to the owner notice nor records the delivery; whoever holds the
// request now does (mutation testing found that save unguarded).
func TestSendDoneStopsWhenThePrivateMessageCannotBeRecorded(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	taken := false
	h.chat.onNotify = func(to Actor, _ Card) {
		if taken || !to.Same(tech) {
			return
		}
		taken = true
		// Another worker saves the request meanwhile.
		other, err := h.svc.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.svc.repo.save(ctx, other); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if !taken {
		t.Fatal("the requester was not told")
	}
	if n := auditCount(h, "request.delivered"); n != 0 {
		t.Fatalf("%d request.delivered records from a worker that lost the request:\n%s", n, h.audit.String())
	}
	got, _ := h.svc.Get(ctx, r.ID)
	if got.Steps.Notified || got.Steps.PrivateSent {
		t.Fatalf("the lost worker's record was saved: %+v", got.Steps)
	}
}
