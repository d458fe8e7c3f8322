package bot

import (
	"context"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// SMS codes: the same one-time code as by e-mail (verify_code.go), texted
// to the mobile the directory holds. Never to a number the caller or the
// technician types: a caller who could name the number would verify
// themselves.

// SMSSender sends one text message (bot/sms: a Twilio-shaped HTTP API).
// Send returns once the provider accepted it; its errors never carry the
// number or the body.
type SMSSender interface {
	Send(ctx context.Context, to, body string) error
}

// defaultSMSAttribute is the directory attribute the code goes to.
const defaultSMSAttribute = "mobile"

// smsAttribute is the org's mobile attribute.
func (p VerifyPolicy) smsAttribute() string {
	if p.SMSAttribute == "" {
		return defaultSMSAttribute
	}
	return p.SMSAttribute
}

// E164 normalises a directory phone number to E.164 (+ and 8 to 15
// digits, the first not 0): spaces, dots, dashes, slashes and brackets
// go, a leading 00 becomes +, and the "(0)" of a national trunk prefix
// written after the country code (+44 (0)20 …) is dropped. A number without its country code cannot
// be told apart from a local one, so it is refused ("", false), as is
// anything else that is not a number.
func E164(v string) (string, bool) {
	v = strings.ReplaceAll(strings.TrimSpace(v), "(0)", "")
	if strings.HasPrefix(v, "00") {
		v = "+" + v[2:]
	}
	if !strings.HasPrefix(v, "+") {
		return "", false
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, c := range v[1:] {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case strings.ContainsRune(" .-/()", c):
		default:
			return "", false
		}
	}
	n := b.String()
	if len(n) < 9 || len(n) > 16 || n[1] == '0' {
		return "", false
	}
	return n, true
}

// maskPhone shows the last two digits only, for the trail and the hint.
func maskPhone(n string) string {
	if len(n) < 2 {
		return "***"
	}
	return "***" + n[len(n)-2:]
}

// smsRoute is codeRoute for an SMS code.
func (s *Service) smsRoute(o *Org, r *Request, acct identity.Account) (dest, masked string, send func(ctx context.Context, to, code string) error, refusal string) {
	attr := o.Policy.Verify.smsAttribute()
	raw := strings.TrimSpace(acct.Attributes[attr])
	n, ok := E164(raw)
	switch {
	case s.sms == nil:
		return "", "", nil, "unlockbot has no SMS provider to send codes with. Ask an admin to set the sms block, or verify the caller another way."
	case raw == "":
		return "", "", nil, "There is no mobile number in the directory for " + r.Account.Username + " to send a code to. Verify the caller another way."
	case !ok:
		return "", "", nil, "The mobile number in the directory for " + r.Account.Username + " has no country code (+…), so no code was sent. Fix it in the directory, or verify the caller another way."
	}
	return n, maskPhone(n), func(ctx context.Context, to, code string) error {
		return s.sms.Send(ctx, to, smsText(o, code))
	}, ""
}

// smsText is the message with the code: short (one SMS segment for a
// short org name), who asks for it, and what to do when it was not them.
func smsText(o *Org, code string) string {
	return "Your " + Truncate(o.Name, 40) + " verification code is " + code + ". Read it only to the service desk you called. Not you? Do not share it."
}
