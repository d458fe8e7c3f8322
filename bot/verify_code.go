package bot

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
)

// One-time codes: random digits sent to an address the directory holds,
// typed back by the technician as the caller reads them out. Only a keyed
// hash is stored (a six-digit code's plain hash falls to a brute force in a
// second; keyed with the seal key's MAC key it does not), compared in
// constant time, good for codeTTL and once.

const (
	codeDigits = 6
	codeTTL    = 10 * time.Minute
	// codeSendTimeout bounds one send: the technician is on the phone.
	codeSendTimeout = 30 * time.Second
)

// newCode returns codeDigits random digits.
func newCode() string {
	var b strings.Builder
	for range codeDigits {
		n, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b.WriteByte(byte('0' + n.Int64()))
	}
	return b.String()
}

// codeMAC binds a code to its request, its method and a salt of its own.
// The prefix keeps it apart from record MACs made with the same key.
func (s *Sealer) codeMAC(salt []byte, id string, m VerifyMethod, code string) []byte {
	h := hmac.New(sha256.New, s.macKey)
	h.Write([]byte("unlockbot.code\x00" + id + "\x00" + string(m) + "\x00"))
	h.Write(salt)
	h.Write([]byte{0})
	h.Write([]byte(code))
	return h.Sum(nil)
}

// emailOf is the address the e-mail code goes to: the org's attribute,
// read from the directory just now.
func emailOf(p VerifyPolicy, a identity.Account) string {
	if p.EmailAttribute == "" || p.EmailAttribute == "mail" {
		return strings.TrimSpace(a.Mail)
	}
	return strings.TrimSpace(a.Attributes[p.EmailAttribute])
}

// maskAddress shows enough of an address for the technician to say "the
// one ending in example.com", and no more.
func maskAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "the address in the directory"
	}
	return local[:1] + "***@" + domain
}

// verifyTarget loads a request the clicker may verify now with method m:
// they are its requester, it is waiting for verification, and the org
// offers m. The error is the sentence they read.
func (s *Service) verifyTarget(ctx context.Context, op, id string, who Actor, m VerifyMethod) (*Request, *Org, error) {
	r, err := s.load(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	o, err := s.orgOf(op, r)
	if err != nil {
		return nil, nil, err
	}
	if err := checkVerifier(o, r, who, m); err != nil {
		return nil, nil, err
	}
	return r, o, nil
}

// checkVerifier says why who may not verify r with m now, or nil; it is
// asked again inside each update, against the request as saved.
func checkVerifier(o *Org, r *Request, who Actor, m VerifyMethod) error {
	const op = "bot.verify"
	switch {
	case !who.Same(r.Requester):
		return errorf(op, KindForbidden, nil, "Only the technician who asked for this reset can verify the caller.")
	case r.Verify.Locked:
		return errorf(op, KindConflict, nil, "This request is locked after %d failed verifications. Submit a new request only once you are sure who is calling.", maxVerifyFailures)
	case !awaitingVerification(r):
		return errorf(op, KindConflict, nil, "%s", alreadyDecided(r))
	case !slices.Contains(o.Policy.Verify.Methods(), m):
		return errorf(op, KindForbidden, nil, "%s does not use %s to verify callers.", o.Name, methodLabel(m))
	}
	return nil
}

// sendCode makes a code for m (e-mail or SMS), stores its hash and sends
// it to where the directory says. It runs after the click's ack (the code
// form is already open); what goes wrong is told to the technician where
// they clicked.
func (s *Service) sendCode(ctx context.Context, id string, who Actor, where string, m VerifyMethod) {
	const op = "bot.sendCode"
	ctx, cancel := context.WithTimeout(ctx, codeSendTimeout)
	defer cancel()
	r, o, err := s.verifyTarget(ctx, op, id, who, m)
	if err != nil {
		s.whisper(ctx, who, where, UserSentence(err))
		return
	}
	acct, err := o.Directory.Lookup(ctx, r.Account.ID)
	if err != nil {
		s.whisper(ctx, who, where, r.Account.Username+" could not be read from the directory: "+SafeMessage(err))
		return
	}
	dest, masked, send, refusal := s.codeRoute(o, r, acct, m)
	if refusal != "" {
		s.whisper(ctx, who, where, refusal)
		return
	}
	code, salt := newCode(), make([]byte, 16)
	_, _ = rand.Read(salt)
	pc := &PendingCode{Method: m, Salt: salt, MAC: s.repo.sealer.codeMAC(salt, id, m, code),
		Expires: s.now().Add(codeTTL), To: masked}
	r, err = s.update(ctx, op, id, func(r *Request) error {
		if err := checkVerifier(o, r, who, m); err != nil {
			return err
		}
		r.Verify.Code = pc
		return nil
	})
	if err != nil {
		s.whisper(ctx, who, where, UserSentence(err))
		return
	}
	detail := map[string]string{"method": string(m), "to": pc.To}
	if err := send(ctx, dest, code); err != nil {
		s.reqLog(r).Warn().Err(err).Str("method", string(m)).Msg("verification code not sent")
		_ = s.recordAfter(ctx, "verify.code_sent", audit.Failed, r, who.Key(), detail)
		verb := "e-mailed"
		if m == VerifySMSCode {
			verb = "texted"
		}
		s.whisper(ctx, who, where, "The code could not be "+verb+". Try again in a minute, or verify the caller another way.")
		return
	}
	_ = s.recordAfter(ctx, "verify.code_sent", audit.OK, r, who.Key(), detail)
}

// codeRoute is where m's code goes for acct: the destination (from the
// directory only), its masked form, and the send; or the sentence that
// says why it cannot go.
func (s *Service) codeRoute(o *Org, r *Request, acct identity.Account, m VerifyMethod) (dest, masked string, send func(ctx context.Context, to, code string) error, refusal string) {
	if m == VerifySMSCode {
		return s.smsRoute(o, r, acct)
	}
	addr := emailOf(o.Policy.Verify, acct)
	switch {
	case s.mailer == nil:
		return "", "", nil, "unlockbot has no mail server to send codes with. Ask an admin to set the smtp block, or verify the caller another way."
	case addr == "":
		return "", "", nil, "There is no e-mail address in the directory for " + r.Account.Username + " to send a code to. Verify the caller another way."
	}
	return addr, maskAddress(addr), func(ctx context.Context, to, code string) error {
		return s.mailer.Send(ctx, Mail{To: []string{to}, Subject: "Your " + o.Name + " verification code", Text: codeMailText(o, code)})
	}, ""
}

// checkCode answers the code form: right, wrong, expired or none waiting.
func (s *Service) checkCode(ctx context.Context, f FormReply) (ans FormAnswer) {
	const op = "bot.checkCode"
	typed := strings.TrimSpace(f.Values.TakeSecret(FieldCode).Reveal())
	who := f.Actor
	var o *Org
	var seen *Request  // the request as last read, to draw the form again from
	var outcome string // passed, wrong, expired
	m := VerifyEmailCode
	defer func() { ans = redraw(ans, o, seen, who, m) }()
	r, err := s.update(ctx, op, f.Context, func(r *Request) (err error) {
		seen = r
		if o, err = s.orgOf(op, r); err != nil {
			return err
		}
		pc := r.Verify.Code
		if pc != nil {
			m = pc.Method
		} else if !slices.Contains(o.Policy.Verify.Methods(), m) {
			m = VerifySMSCode // the org's other code method
		}
		if err := checkVerifier(o, r, who, m); err != nil {
			return err
		}
		switch {
		case pc == nil:
			return errorf(op, KindConflict, nil, "No code is waiting for this request (each code works once). Press the send button for a new one.")
		case s.now().After(pc.Expires):
			outcome, r.Verify.Code = "expired", nil
		case hmac.Equal(pc.MAC, s.repo.sealer.codeMAC(pc.Salt, r.ID, pc.Method, typed)):
			outcome, r.Verify.Code = "passed", nil
			if !slices.Contains(r.Verify.Passed, pc.Method) {
				r.Verify.Passed = append(r.Verify.Passed, pc.Method)
			}
		default:
			outcome = "wrong"
			s.countFailure(r)
		}
		return nil
	})
	if err != nil {
		return FormAnswer{Errors: map[FieldID]string{FieldCode: UserSentence(err)}}
	}
	switch outcome {
	case "expired":
		_ = s.recordAfter(ctx, "verify.failed", audit.Refused, r, who.Key(), map[string]string{"method": string(m), "why": "expired"})
		return FormAnswer{Errors: map[FieldID]string{FieldCode: "That code expired (codes last 10 minutes). Press the send button for a new one."}}
	case "wrong":
		return s.reportFailure(ctx, o, r, m, who, "wrong_code")
	}
	return s.passedAnswer(ctx, o, r, m, who)
}

// passedAnswer records a passed method and closes the form with what
// happens next.
func (s *Service) passedAnswer(ctx context.Context, o *Org, r *Request, m VerifyMethod, who Actor) FormAnswer {
	if err := s.verified(ctx, o, r, m, who); err != nil {
		return FormAnswer{Errors: map[FieldID]string{verifyField(m): UserSentence(err)}}
	}
	c := verifiedCard(o, r)
	return FormAnswer{Replace: &c}
}
