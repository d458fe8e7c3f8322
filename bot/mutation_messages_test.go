package bot

import (
	"strings"
	"testing"
	"time"
)

// The personal-data form's hints: only a fact checked on its last digits
// says how many, and the first field, whatever it is, tells the
// technician to ask the caller (mutation testing found both unguarded).
func TestFactsFormHints(t *testing.T) {
	o := &Org{Name: "Acme", Policy: Policy{Verify: VerifyPolicy{PersonalData: []PersonalFact{
		{Label: "Employee ID", Attribute: "employeeID"},
		{Label: "Mobile", Attribute: "mobile", LastDigits: 4},
		{Label: "Badge", Attribute: "badge"},
	}}}}
	f := factsForm(o, &Request{ID: "r1"})
	if len(f.Fields) != 3 {
		t.Fatalf("%d fields, want 3: %+v", len(f.Fields), f)
	}
	if h := f.Fields[0].Hint; !strings.HasPrefix(h, "Ask the caller;") || strings.Contains(h, "digits") {
		t.Errorf("first field's hint %q", h)
	}
	if h := f.Fields[1].Hint; h != "The last 4 digits." {
		t.Errorf("last-digits field's hint %q", h)
	}
	if h := f.Fields[2].Hint; h != "" {
		t.Errorf("a whole fact's hint %q, want none", h)
	}
	if f := factsForm(&Org{Name: "Acme"}, &Request{ID: "r1"}); len(f.Fields) != 0 {
		t.Errorf("an org without facts: %+v", f)
	}
}

// The verify card names the required methods when there are any, and
// says nothing of requirements when there are none.
func TestVerifyCardNamesWhatIsRequired(t *testing.T) {
	r := &Request{ID: "r1", Account: AccountRef{Username: "alice"}}
	required := &Org{Name: "Acme", Policy: Policy{Verify: VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode, VerifySMSCode}}}}
	if c := verifyCard(required, r); !strings.Contains(c.Text, " Required: e-mail code, SMS code.") {
		t.Errorf("with methods required: %q", c.Text)
	}
	offered := &Org{Name: "Acme", Policy: Policy{Verify: VerifyPolicy{Offered: []VerifyMethod{VerifyEmailCode}}}}
	if c := verifyCard(offered, r); strings.Contains(c.Text, "Required") || !strings.HasPrefix(c.Text, "You can verify the caller") {
		t.Errorf("with nothing required: %q", c.Text)
	}
}

// The ticket note says how unlockbot verified the caller only when it did.
func TestTicketTextVerificationLine(t *testing.T) {
	r := &Request{ID: "r1", Account: AccountRef{Username: "alice"}, Reason: "called from the desk phone"}
	const line = "Caller verified by unlockbot:"
	if s := ticketText(r, time.Unix(0, 0)); strings.Contains(s, line) {
		t.Errorf("nothing verified, yet the note says:\n%s", s)
	}
	r.Verify.Passed = []VerifyMethod{VerifyPersonalData}
	if s := ticketText(r, time.Unix(0, 0)); !strings.Contains(s, line+" personal data\n") {
		t.Errorf("personal data passed, the note says:\n%s", s)
	}
}
