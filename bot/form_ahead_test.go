package bot

import "testing"

// Only a technician the config names gets the form before the platform's
// replay check: anyone else's unlock is a refusal or self-service, which
// waits; an actor without an id is nobody.
func TestFormAheadOnlyForNamedTechnicians(t *testing.T) {
	h := newHarness(t, nil)
	for _, c := range []struct {
		who  Actor
		want bool
	}{
		{tech, true},
		{approver, true}, // the harness names its approver a technician too
		{Actor{Platform: tech.Platform}, false},
		{Actor{Platform: tech.Platform, ID: "someone-else"}, false},
	} {
		if got := h.svc.FormAhead(c.who); got != c.want {
			t.Errorf("FormAhead(%+v) = %v, want %v", c.who, got, c.want)
		}
	}
}
