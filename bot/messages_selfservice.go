package bot

import "fmt"

// selfServiceCard goes privately to a person who asked to unlock their own
// account: what happens next, and the button that sends the code.
func selfServiceCard(o *Org, r *Request) Card {
	what := "unlock"
	if r.setsPassword() {
		what = "unlock and reset"
	}
	t := fmt.Sprintf("To %s %s, prove it is you: press Send e-mail code, then type the code from the e-mail.", what, r.Account.Label())
	if r.State == StatePendingApproval {
		t += " An approver at " + o.Name + " must also agree; you will get a message when they decide."
	}
	t += fmt.Sprintf(" %d wrong codes cancel the request.", maxVerifyFailures)
	return Card{Title: "Unlock your account", Text: t, Tone: ToneInfo, Actions: verifyActions(o, r), Footer: "Request " + r.ID}
}

// codeHint is the code form's hint: a technician asks the caller, a
// person unlocking their own account reads their e-mail.
func codeHint(r *Request, m VerifyMethod) string {
	if r.SelfService {
		if m == VerifySMSCode {
			return "We texted a code to your mobile in the directory. Type it here; it lasts 10 minutes."
		}
		return "We e-mailed a code to your address in the directory. Type it here; it lasts 10 minutes."
	}
	sent := "A code was e-mailed to " + r.Account.Label() + "'s address in the directory."
	if m == VerifySMSCode {
		sent = "A code was texted to " + r.Account.Label() + "'s mobile in the directory."
	}
	return sent + " Ask the caller to read it out; it lasts 10 minutes."
}
