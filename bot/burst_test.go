package bot

import (
	"context"
	"strings"
	"testing"
	"time"
)

// alerts counts the burst alerts posted, and how many carry want.
func (h *harness) alerts(want string) (all, matching int) {
	h.chat.mu.Lock()
	defer h.chat.mu.Unlock()
	for _, p := range h.chat.posts {
		if strings.Contains(p, "Unusual number of requests") {
			all++
			if strings.Contains(p, want) {
				matching++
			}
		}
	}
	return all, matching
}

// TestBurstAlertOncePerWindow: past the threshold the approval channel
// hears of it once per window, whichever replica took the requests, and
// again after the window.
func TestBurstAlertOncePerWindow(t *testing.T) {
	h := newHarness(t, nil)
	h.limits = Limits{OpenPerTechnician: 50, PerTechnicianPerHour: 100, Burst: Burst{Technician: 3, Window: 10 * time.Minute}}
	replicas := []*Service{h.replica(h.st), h.replica(h.st)}
	ctx := context.Background()
	submit := func(i int) {
		t.Helper()
		if _, err := replicas[i%2].Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: "bob", Reason: "Verified by call-back to HR number"}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	for i := range 3 {
		submit(i)
	}
	if n, _ := h.alerts(""); n != 0 {
		t.Fatalf("%d alerts at the threshold, want none until it is passed", n)
	}
	submit(3)
	if n, m := h.alerts("Tess Tech (U1) submitted 4 requests in the last 10m0s (alert above 3)"); n != 1 || m != 1 {
		t.Fatalf("after the 4th request: %d alerts, %d saying who and how many:\n%v", n, m, h.chat.posts)
	}
	for i := 4; i < 8; i++ {
		submit(i)
	}
	if n, _ := h.alerts(""); n != 1 {
		t.Fatalf("%d alerts in one window, want 1", n)
	}
	if got := strings.Count(h.audit.String(), `"type":"alert.burst"`); got != 1 {
		t.Fatalf("%d alert.burst records, want 1", got)
	}
	if !strings.Contains(h.audit.String(), `"scope":"technician"`) || !strings.Contains(h.audit.String(), `"threshold":"3"`) {
		t.Fatalf("the record does not say what passed which threshold:\n%s", h.audit.String())
	}
	h.clock.add(11 * time.Minute)
	for i := 8; i < 12; i++ {
		submit(i)
	}
	if n, _ := h.alerts(""); n != 2 {
		t.Fatalf("%d alerts after a second burst in a new window, want 2", n)
	}
}

// TestBurstAlertPerOrg: many technicians at one org is a burst too.
func TestBurstAlertPerOrg(t *testing.T) {
	h := newHarness(t, nil)
	h.limits = Limits{OpenPerTechnician: 50, PerTechnicianPerHour: 100, Burst: Burst{Org: 2}}
	h.svc = h.replica(h.st)
	ctx := context.Background()
	for i, who := range []Actor{tech, approver, tech} {
		if _, err := h.svc.Submit(ctx, Submission{Requester: who, OrgID: "acme", Account: "bob", Reason: "Verified by call-back to HR number"}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n, m := h.alerts("3 requests for Acme in the last 10m0s (alert above 2)"); n != 1 || m != 1 {
		t.Fatalf("%d alerts, %d naming the org and count:\n%v", n, m, h.chat.posts)
	}
	if !strings.Contains(h.audit.String(), `"scope":"org"`) {
		t.Fatal("the record does not say it was the org's volume")
	}
}

// TestBurstOffByDefault: without thresholds no volume alerts anyone.
func TestBurstOffByDefault(t *testing.T) {
	h := newHarness(t, nil)
	h.limits = Limits{OpenPerTechnician: 50, PerTechnicianPerHour: 100}
	h.svc = h.replica(h.st)
	for range 12 {
		h.mustSubmit("bob", "")
	}
	if n, _ := h.alerts(""); n != 0 {
		t.Fatalf("%d alerts with no thresholds set", n)
	}
}
