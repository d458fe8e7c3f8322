package bot

import (
	"fmt"
	"strings"
	"testing"
)

// A wrong answer keeps the verification form open: the answer carries
// that same form to draw again (the facts form for facts, the code form
// for a code), with no typed or expected value in it; once the request is
// locked, or for someone else, there is no form to go back to.
func TestWrongAnswerRedrawsTheSameForm(t *testing.T) {
	h, _ := verifyHarness(t, factsPolicy)
	r := h.mustSubmit("alice", "")
	ans := h.typeFacts(r.ID, "E-4712", "9876")
	if ans.Form == nil || ans.Form.ID != FormVerifyFacts || ans.Form.Context != r.ID || len(ans.Form.Fields) != 2 {
		t.Fatalf("wrong facts: form %+v", ans.Form)
	}
	if f := fmt.Sprintf("%+v", *ans.Form); strings.Contains(f, "4711") || strings.Contains(f, "4712") || strings.Contains(f, "9876") {
		t.Fatalf("the form drawn again holds a value: %s", f)
	}
	other := h.svc.SubmitForm(t.Context(), FormReply{Form: FormVerifyFacts, Actor: approver, Context: r.ID, Values: FormValues{factField(0): "x"}})
	if len(other.Errors) == 0 || other.Form != nil {
		t.Fatalf("someone else's answer: %+v", other)
	}
	h.typeFacts(r.ID, "x", "1")
	if ans := h.typeFacts(r.ID, "x", "1"); ans.Replace == nil || ans.Form != nil {
		t.Fatalf("the locking answer: %+v", ans)
	}
	if ans := h.typeFacts(r.ID, "E-4711", "9876"); len(ans.Errors) == 0 || ans.Form != nil {
		t.Fatalf("an answer to a locked request: %+v", ans)
	}

	hc, m := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode}})
	rc := hc.mustSubmit("alice", "")
	code := hc.sendCode(m, rc.ID, "alice@example.test")
	ans = hc.typeCode(rc.ID, wrongCode(code))
	if ans.Form == nil || ans.Form.ID != FormVerifyCode || ans.Form.Context != rc.ID || ans.Form.Title != "E-mail code" {
		t.Fatalf("wrong code: form %+v", ans.Form)
	}
	// The code is spent: the form comes back with the sentence that says so.
	if ans := hc.typeCode(rc.ID, code); ans.Form == nil || !strings.Contains(ans.Errors[FieldCode], "No code is waiting") {
		t.Fatalf("no code waiting: %+v", ans)
	}
}
