package bot

import (
	"context"
	"strings"
	"testing"
)

// A dropped job is in the trail with whose click it was, the request and
// why; an entry that named no request (or a malformed one) names none.
func TestJobDroppedIsAudited(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	h.svc.JobDropped(context.Background(), Job{Action: ActionApprove, RequestID: r.ID, Actor: approver}, 6, "delivered too often")
	h.svc.JobDropped(context.Background(), Job{RequestID: "../evil"}, 0, "the entry is not a job")
	trail := h.audit.String()
	var dropped []string
	for _, line := range strings.Split(trail, "\n") {
		if strings.Contains(line, `"type":"job.dropped"`) {
			dropped = append(dropped, line)
		}
	}
	if len(dropped) != 2 {
		t.Fatalf("%d job.dropped records:\n%s", len(dropped), trail)
	}
	for _, want := range []string{`"request_id":"` + r.ID + `"`, `"actor":"` + approver.Key() + `"`, `"delivery":"6"`, `"action":"unlockbot.approve"`, `"outcome":"failed"`} {
		if !strings.Contains(dropped[0], want) {
			t.Errorf("the first record lacks %s: %s", want, dropped[0])
		}
	}
	if strings.Contains(dropped[1], "evil") || strings.Contains(dropped[1], `"request_id"`) || !strings.Contains(dropped[1], `"actor":"system"`) {
		t.Errorf("a malformed entry's record: %s", dropped[1])
	}
}
