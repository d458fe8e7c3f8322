package bot

import (
	"context"
	"strings"
	"testing"
)

// A dropped job the trail refuses is said in the log, and only then: a
// log line claiming a failed audit of a job that was audited would send
// an admin looking for a record that is there (mutation testing found
// the error check unguarded).
func TestJobDroppedLogsOnlyAFailedAudit(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	const said = "a dropped job could not be audited"
	h.svc.JobDropped(context.Background(), Job{Action: ActionApprove, RequestID: r.ID, Actor: approver}, 6, "delivered too often")
	if strings.Contains(h.logs.String(), said) {
		t.Fatalf("an audited drop is logged as unaudited:\n%s", h.logs.String())
	}
	h.failAudit = "job.dropped"
	h.svc.JobDropped(context.Background(), Job{Action: ActionApprove, RequestID: r.ID, Actor: approver}, 6, "delivered too often")
	if n := strings.Count(h.logs.String(), said); n != 1 {
		t.Fatalf("%d log lines for a drop the trail refused:\n%s", n, h.logs.String())
	}
}
