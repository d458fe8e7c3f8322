package bot

import (
	"fmt"
	"strings"
)

// Texts of the caller's verification (verify.go): what the technician,
// the approvers and the account's owner read. None carries a code or an
// expected value; the code itself is only in the e-mail.

const (
	ActionVerifyEmail ActionID = "unlockbot.verify_email" // send an e-mail code, open the code form
	ActionVerifyFacts ActionID = "unlockbot.verify_facts" // open the personal-data form
	ActionVerifySMS   ActionID = "unlockbot.verify_sms"   // text an SMS code, open the code form
	// ActionVerifyConfirm asks the account's owner in chat; they answer
	// with ActionConfirmYes or ActionConfirmNo on the DM.
	ActionVerifyConfirm ActionID = "unlockbot.verify_confirm"
	ActionConfirmYes    ActionID = "unlockbot.confirm_yes"
	ActionConfirmNo     ActionID = "unlockbot.confirm_no"

	FormVerifyCode  FormID = "unlockbot.verify_code"
	FormVerifyFacts FormID = "unlockbot.verify_facts"

	// FieldCode is the code the caller reads out.
	FieldCode FieldID = "verify_code"
)

// verifyActions are the buttons for the methods the org uses.
func verifyActions(o *Org, r *Request) []Action {
	var out []Action
	for _, m := range o.Policy.Verify.Methods() {
		switch m {
		case VerifyEmailCode:
			out = append(out, Action{ID: ActionVerifyEmail, Label: "Send e-mail code", RequestID: r.ID, Style: StylePrimary})
		case VerifyPersonalData:
			out = append(out, Action{ID: ActionVerifyFacts, Label: "Check personal data", RequestID: r.ID})
		case VerifySMSCode:
			out = append(out, Action{ID: ActionVerifySMS, Label: "Send SMS code", RequestID: r.ID, Style: StylePrimary})
		case VerifyChatConfirm:
			out = append(out, Action{ID: ActionVerifyConfirm, Label: "Ask the owner in chat", RequestID: r.ID})
		}
	}
	return out
}

// verifyCard goes to the technician after they submit: verify the caller
// while they are still on the line.
func verifyCard(o *Org, r *Request) Card {
	t := fmt.Sprintf("%s requires the caller to be verified before this reset may run.", o.Name)
	if len(o.Policy.Verify.Required) == 0 {
		t = "You can verify the caller before this reset runs; the approver sees the result."
	}
	if req := o.Policy.Verify.Required; len(req) > 0 {
		t += " Required: " + methodList(req) + "."
	}
	t += fmt.Sprintf(" %d wrong answers lock the request.", maxVerifyFailures)
	return Card{Title: "Verify the caller: " + r.Account.Label(), Text: t, Tone: ToneInfo,
		Actions: verifyActions(o, r), Footer: "Request " + r.ID}
}

// verifiedCard replaces a form whose answer matched.
func verifiedCard(o *Org, r *Request) Card {
	t := "Verification: " + verifyStatus(o, r) + "."
	switch {
	case len(missingVerification(o, r)) > 0:
		t += " Use the buttons in the message above for what is still required."
	case r.State == StateApproved:
		t += " The reset is running; you will get a message when it is done."
	default:
		t += " The approver can now decide."
	}
	return Card{Title: "Caller verified", Text: t, Tone: ToneGood, Close: "Close", Footer: "Request " + r.ID}
}

// lockedAlertCard tells the approval channel (and the technician) that a
// caller failed verification: possibly an attack on the account.
func lockedAlertCard(r *Request) Card {
	return Card{Title: "⚠️ Verification failed: " + r.Account.Label(), Tone: ToneDanger, Footer: "Request " + r.ID,
		Text:   fmt.Sprintf("The caller failed verification %d times, so the request is locked and nothing was changed. Someone may be trying to take over this account: check with its owner.", maxVerifyFailures),
		Fields: []Field{person("Requested by", r.Requester)}}
}

// codeForm is where the technician types the code the caller reads out.
func codeForm(r *Request, m VerifyMethod) Form {
	title := "E-mail code"
	if m == VerifySMSCode {
		title = "SMS code"
	}
	return Form{ID: FormVerifyCode, Title: title, Submit: "Check", Cancel: "Cancel", Context: r.ID,
		Fields: []FormField{{ID: FieldCode, Label: "Code", Widget: WidgetText, Placeholder: "6 digits",
			Hint: codeHint(r, m)}}}
}

// factsForm asks for the org's personal-data facts; it never holds the
// expected values.
func factsForm(o *Org, r *Request) Form {
	f := Form{ID: FormVerifyFacts, Title: "Personal data", Submit: "Check", Cancel: "Cancel", Context: r.ID}
	for i, pf := range o.Policy.Verify.PersonalData {
		hint := ""
		if pf.LastDigits > 0 {
			hint = fmt.Sprintf("The last %d digits.", pf.LastDigits)
		}
		f.Fields = append(f.Fields, FormField{ID: factField(i), Label: Truncate(pf.Label, 48), Widget: WidgetText, Hint: hint})
	}
	if len(f.Fields) > 0 {
		f.Fields[0].Hint = strings.TrimSpace("Ask the caller; you will only be told whether everything matches. " + f.Fields[0].Hint)
	}
	return f
}

// codeMailText is the e-mail with the code: who asks for it and what to
// do when the reader did not call.
func codeMailText(o *Org, code string) string {
	return fmt.Sprintf("Your %s verification code is %s\n\nRead it to the service desk technician you are on the phone with. It works once, for 10 minutes.\n\nIf you did not call the service desk, do not share it: %s",
		o.Name, code, ifNotYou(o))
}

// unverifiedExpiredCard: the caller was never verified in time.
func unverifiedExpiredCard(r *Request) Card {
	return Card{Title: "Request expired", Tone: ToneWarning, Footer: "Request " + r.ID,
		Text: fmt.Sprintf("The caller for %s was not verified in time. Nothing was changed; submit it again with /unlock.", r.Account.Label())}
}

// confirmCard is the owner's question. It is neutral: it does not say who
// called or what they said, only what would be done, so a Yes is a
// choice and not a reflex.
func confirmCard(o *Org, r *Request) Card {
	what := "reset your password"
	if r.UnlockOnly() {
		what = "unlock your account"
	}
	return Card{Title: "Did you ask to " + what + "?", Tone: ToneInfo, Footer: "Request " + r.ID,
		Text: fmt.Sprintf("The %s service desk was asked to %s (%s). Answer Yes only if it was you. No stops it, changes nothing and alerts the service desk. This question is open for %s.",
			o.Name, what, r.Account.Username, o.Policy.Verify.confirmTimeout()),
		Actions: []Action{{ID: ActionConfirmYes, Label: "Yes, it was me", RequestID: r.ID, Style: StylePrimary},
			{ID: ActionConfirmNo, Label: "No", RequestID: r.ID, Style: StyleDanger}}}
}

// deniedAlertCard tells the approval channel (and the technician) that
// the owner said No: someone is likely posing as them.
func deniedAlertCard(r *Request) Card {
	return Card{Title: "⚠️ The owner did not ask for this: " + r.Account.Label(), Tone: ToneDanger, Footer: "Request " + r.ID,
		Text:   "The account's owner answered No in chat, so the request was stopped and nothing was changed. The caller is probably not the owner: treat it as an attempt to take over the account.",
		Fields: []Field{person("Requested by", r.Requester)}}
}

// confirmSilentCard tells the technician the owner did not answer.
func confirmSilentCard(o *Org, r *Request) Card {
	left := maxVerifyFailures - r.Verify.Failures
	return Card{Title: "No answer from the owner: " + r.Account.Label(), Tone: ToneWarning, Footer: "Request " + r.ID,
		Text: fmt.Sprintf("%s did not answer in chat within %s, so the confirmation failed (%s left before the request is locked). Ask again, or verify the caller another way.",
			r.Account.Label(), o.Policy.Verify.confirmTimeout(), plural(left, "try", "tries"))}
}
