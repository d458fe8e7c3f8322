package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Deny returns the request as recorded after the requester was told: an
// adapter draws from it, and the copy from before would still show the
// denial as not yet told (the sweeper's cue to tell it again).
func TestDenyReturnsTheCopyThatRecordsTheTelling(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("bob", "")
	r, err := h.svc.Deny(ctx, r.ID, approver, "caller could not be verified")
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.svc.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Steps.DenyPending || got.Steps.DenyPending {
		t.Fatalf("denial still waiting to be told: returned %t, stored %t", r.Steps.DenyPending, got.Steps.DenyPending)
	}
}

// An approval withdrawn for want of its audit record says in the log only
// what went wrong: the withdrawal itself was saved, so no line may claim
// it could not be.
func TestAWithdrawnApprovalLogsNoFailedWithdrawal(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	h.failAudit = "request.approved"
	if _, err := h.svc.Approve(ctx, r.ID, approver); err == nil {
		t.Fatal("approved with the audit trail failing")
	}
	if got, _ := h.svc.Get(ctx, r.ID); got.State != StateFailed {
		t.Fatalf("state %s, want the approval withdrawn", got.State)
	}
	if logs := h.logs.String(); strings.Contains(logs, "could not be withdrawn") {
		t.Fatalf("a saved withdrawal logged as failed:\n%s", logs)
	}
}

// A password that cannot be kept sealed in the store stops the reset
// before the directory: nothing is written without the password the
// request will later reveal.
func TestAPasswordTheStoreWillNotKeepStopsTheWrite(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	r, err := svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: "alice", Reason: "Verified by call-back"})
	if err != nil {
		t.Fatal(err)
	}
	flaky.fail["Create:"+passwordKey(r.ID)] = errors.New("store down")
	if _, err := svc.Approve(ctx, r.ID, approver); err == nil || !strings.Contains(SafeMessage(err), "state store") {
		t.Fatalf("approved without the password kept: %v; want the store's failure said", err)
	}
	if h.dir.Calls.SetPassword != 0 || h.dir.Calls.Unlock != 0 {
		t.Fatalf("directory written without the password kept: %d sets, %d unlocks", h.dir.Calls.SetPassword, h.dir.Calls.Unlock)
	}
}
