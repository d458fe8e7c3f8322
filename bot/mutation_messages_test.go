package bot

import (
	"strings"
	"testing"
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
}
