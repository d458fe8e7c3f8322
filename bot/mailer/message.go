package mailer

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/bot"
)

// errHeader is a header value holding a line break: the classic header
// injection ("Subject: hi\r\nBcc: victim"). Nothing is sent.
var errHeader = errors.New("a header value holds a line break")

// maxRecipients bounds one mail; the notice has one.
const maxRecipients = 10

// address parses one mailbox, refusing a line break anywhere in it.
func address(what, v string) (*mail.Address, error) {
	if strings.ContainsAny(v, "\r\n") {
		return nil, fmt.Errorf("%s: %w", what, errHeader)
	}
	a, err := mail.ParseAddress(v)
	if err != nil {
		return nil, fmt.Errorf("%s is not an e-mail address", what)
	}
	return a, nil
}

// message is what goes in the DATA command: headers and a quoted-printable
// UTF-8 body, every line ending in CRLF and none longer than 76 octets, so
// it passes any server unchanged (no 8BITMIME or SMTPUTF8 needed).
func (m *Mailer) message(x bot.Mail, to []*mail.Address, now time.Time) ([]byte, error) {
	if strings.ContainsAny(x.Subject, "\r\n") {
		return nil, fmt.Errorf("subject: %w", errHeader)
	}
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", m.from.String())
	if m.replyTo != nil {
		h("Reply-To", m.replyTo.String())
	}
	names := make([]string, len(to))
	for i, a := range to {
		names[i] = a.String()
	}
	h("To", strings.Join(names, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", x.Subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", messageID(m.from.Address))
	// RFC 3834: an auto-responder must not answer a notice.
	h("Auto-Submitted", "auto-generated")
	h("MIME-Version", "1.0")
	h("Content-Type", `text/plain; charset="utf-8"`)
	h("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(x.Text, "\r\n", "\n")
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// messageID is unique per message, in the sender's domain.
func messageID(from string) string {
	r := make([]byte, 16)
	_, _ = rand.Read(r)
	domain := "unlockbot.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		domain = from[i+1:]
	}
	return "<" + hex.EncodeToString(r) + "@" + domain + ">"
}
