package bot

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The personal-data check: the technician types what the caller says
// (employee id, manager, the last digits of the mobile) and the flow
// compares it with the directory, read just now. The technician learns
// only "matches" or "does not match" for the whole set, never which fact
// was wrong and never the expected value.

// factFieldPrefix names the personal-data form's fields: verify_fact_0, …
const factFieldPrefix = "verify_fact_"

func factField(i int) FieldID { return FieldID(factFieldPrefix + strconv.Itoa(i)) }

// normalFact is a value as compared: case, outer and repeated spaces do
// not count; with lastDigits only the last digits do.
func normalFact(v string, lastDigits int) string {
	if lastDigits > 0 {
		var d []rune
		for _, c := range v {
			if unicode.IsDigit(c) {
				d = append(d, c)
			}
		}
		if len(d) < lastDigits {
			return ""
		}
		return string(d[len(d)-lastDigits:])
	}
	return strings.ToLower(strings.Join(strings.Fields(v), " "))
}

// sameFact compares in constant time (hashes first, so not even the
// length of the expected value shows in the timing).
func sameFact(typed, expected string) bool {
	a, b := sha256.Sum256([]byte(typed)), sha256.Sum256([]byte(expected))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// checkFacts answers the personal-data form.
func (s *Service) checkFacts(ctx context.Context, f FormReply) (ans FormAnswer) {
	const op = "bot.checkFacts"
	who := f.Actor
	answer := func(err error) FormAnswer {
		return FormAnswer{Errors: map[FieldID]string{factField(0): UserSentence(err)}}
	}
	r, o, err := s.verifyTarget(ctx, op, f.Context, who, VerifyPersonalData)
	if err != nil {
		return answer(err)
	}
	seen := r // the request as last read, to draw the form again from
	defer func() { ans = redraw(ans, o, seen, who, VerifyPersonalData) }()
	facts := o.Policy.Verify.PersonalData
	acct, err := o.Directory.Lookup(ctx, r.Account.ID)
	if err != nil {
		return answer(errorf(op, KindUnavailable, err, "%s could not be read from the directory: %s", r.Account.Username, SafeMessage(err)))
	}
	match := len(facts) > 0
	for i, pf := range facts {
		want := normalFact(acct.Attributes[pf.Attribute], pf.LastDigits)
		if want == "" {
			// Nothing to compare with is no failure of the caller's.
			return FormAnswer{Errors: map[FieldID]string{factField(i): "The directory holds no " + strings.ToLower(pf.Label) + " for " + r.Account.Username + ". Verify the caller another way."}}
		}
		typed := normalFact(f.Values[factField(i)], pf.LastDigits)
		match = sameFact(typed, want) && match
	}
	r, err = s.update(ctx, op, r.ID, func(r *Request) error {
		seen = r
		if err := checkVerifier(o, r, who, VerifyPersonalData); err != nil {
			return err
		}
		if !match {
			s.countFailure(r)
			return nil
		}
		if !slices.Contains(r.Verify.Passed, VerifyPersonalData) {
			r.Verify.Passed = append(r.Verify.Passed, VerifyPersonalData)
		}
		return nil
	})
	if err != nil {
		return answer(err)
	}
	if !match {
		return s.reportFailure(ctx, o, r, VerifyPersonalData, who, "wrong_personal_data")
	}
	return s.passedAnswer(ctx, o, r, VerifyPersonalData, who)
}

// redraw gives an answer that keeps a verification form open the form to
// draw again (FormAnswer.Form), if who may still answer it on r: a locked
// or decided request, or another person, gets the sentence alone. The
// form holds no typed value and no expected one.
func redraw(ans FormAnswer, o *Org, r *Request, who Actor, m VerifyMethod) FormAnswer {
	if len(ans.Errors) == 0 || o == nil || r == nil || checkVerifier(o, r, who, m) != nil {
		return ans
	}
	f := codeForm(r, m)
	if m == VerifyPersonalData {
		f = factsForm(o, r)
	}
	ans.Form = &f
	return ans
}

// verifyField is the form field a method's answer is told next to.
func verifyField(m VerifyMethod) FieldID {
	if m == VerifyPersonalData {
		return factField(0)
	}
	return FieldCode
}
