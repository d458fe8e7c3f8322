package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A failed showing whose record the trail took logs nothing more; one the
// trail refused is said in the log (mutation testing found the check
// unguarded).
func TestRevealOutcomeLoggedOnlyWhenNotRecorded(t *testing.T) {
	const said = "could not record the reveal outcome"
	for _, refused := range []bool{false, true} {
		h := newHarness(t, nil)
		r := h.mustSubmit("alice", "")
		if _, err := h.svc.Approve(context.Background(), r.ID, approver); err != nil {
			t.Fatal(err)
		}
		if refused {
			h.failAudit = "password.reveal_failed"
		}
		err := h.svc.Reveal(context.Background(), r.ID, tech, func(context.Context, Card) error { return errors.New("views.open: timeout") })
		if err == nil {
			t.Fatal("a failed showing reported as shown")
		}
		if got := strings.Contains(h.logs.String(), said); got != refused {
			t.Errorf("trail refusing the record %t: logged %t:\n%s", refused, got, h.logs.String())
		}
	}
}
