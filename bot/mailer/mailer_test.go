package mailer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/mailer"
	"github.com/unlockbot/unlockbot/bot/mailer/smtptest"
	"github.com/unlockbot/unlockbot/identity"
)

const pass = "smtp-Secret-Pa55"

func newMailer(t *testing.T, srv *smtptest.Server, edit func(*mailer.Config)) *mailer.Mailer {
	t.Helper()
	cfg := mailer.Config{Addr: srv.Addr, RootCAs: srv.Pool, From: "unlockbot <it@example.test>", ReplyTo: "Service Desk <desk@example.test>",
		Username: "bot", Password: identity.NewSecret(pass), Timeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	m, err := mailer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var notice = bot.Mail{To: []string{"Ölaf Ünger <olaf@example.test>"}, Subject: "Ihr Passwort wurde zurückgesetzt",
	Text: "Line one, long enough to be folded by quoted-printable: " + strings.Repeat("abcdefghij", 12) + "\n.a line that starts with a dot\n.\nÜmlaut = equals\nend"}

// A notice goes over STARTTLS, signed in after TLS, with every header a
// mail client expects, and reads back exactly as written.
func TestSendOverSTARTTLS(t *testing.T) {
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"bot": pass}, Mechanisms: mech})
			if err := newMailer(t, srv, nil).Send(context.Background(), notice); err != nil {
				t.Fatal(err)
			}
			got := srv.Messages()
			if len(got) != 1 || !got[0].TLS || got[0].AuthUser != "bot" || got[0].From != "it@example.test" ||
				strings.Join(got[0].To, ",") != "olaf@example.test" {
				t.Fatalf("received %+v", got)
			}
			if v := srv.Violations(); len(v) > 0 {
				t.Fatalf("protocol errors: %v", v)
			}
			checkMessage(t, got[0].Data)
		})
	}
}

func checkMessage(t *testing.T, data []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	from, _ := h.AddressList("From")
	to, _ := h.AddressList("To")
	reply, _ := h.AddressList("Reply-To")
	if subject != notice.Subject || len(from) != 1 || from[0].Address != "it@example.test" || len(to) != 1 ||
		to[0].Name != "Ölaf Ünger" || len(reply) != 1 || reply[0].Address != "desk@example.test" {
		t.Fatalf("headers: subject %q from %v to %v reply-to %v", subject, from, to, reply)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if !regexp.MustCompile(`^<[0-9a-f]{32}@example\.test>$`).MatchString(h.Get("Message-ID")) {
		t.Errorf("Message-ID %q", h.Get("Message-ID"))
	}
	if h.Get("MIME-Version") != "1.0" || !strings.Contains(h.Get("Content-Type"), "utf-8") ||
		h.Get("Content-Transfer-Encoding") != "quoted-printable" || h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("MIME headers: %v", h)
	}
	for _, l := range strings.Split(string(data), "\r\n") {
		if len(l) > 78 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(notice.Text, "\n", "\r\n") + "\r\n"; string(body) != want {
		t.Fatalf("body\n%q\nwant\n%q", body, want)
	}
}

// Implicit TLS (port 465) works too.
func TestSendImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{ImplicitTLS: true, Users: map[string]string{"bot": pass}})
	m := newMailer(t, srv, func(c *mailer.Config) { c.ImplicitTLS = true })
	if err := m.Send(context.Background(), notice); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(); len(got) != 1 || !got[0].TLS {
		t.Fatalf("received %+v", got)
	}
}

// Nothing is sent in clear: a server that does not offer STARTTLS, or one
// whose certificate is not trusted, gets no mail and no credentials.
func TestRefusesWithoutVerifiedTLS(t *testing.T) {
	plain := smtptest.Start(t, smtptest.Options{NoSTARTTLS: true})
	err := newMailer(t, plain, func(c *mailer.Config) { c.Username, c.Password = "", identity.Secret{} }).Send(context.Background(), notice)
	if !errors.Is(err, mailer.ErrNoTLS) || len(plain.Messages()) != 0 {
		t.Fatalf("server without STARTTLS: %v, %d messages", err, len(plain.Messages()))
	}
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"bot": pass}})
	err = newMailer(t, srv, func(c *mailer.Config) { c.RootCAs = nil }).Send(context.Background(), notice)
	if err == nil || !strings.Contains(err.Error(), "certificate") || len(srv.Messages()) != 0 {
		t.Fatalf("untrusted certificate: %v, %d messages", err, len(srv.Messages()))
	}
	err = newMailer(t, srv, func(c *mailer.Config) { c.ServerName = "mail.example.test" }).Send(context.Background(), notice)
	if err == nil || len(srv.Messages()) != 0 {
		t.Fatalf("certificate for another name: %v", err)
	}
}

// A refused sign-in says so without the password.
func TestWrongPasswordErrorIsSafe(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"bot": "the-right-one"}})
	err := newMailer(t, srv, nil).Send(context.Background(), notice)
	if err == nil || !strings.Contains(err.Error(), "535") || len(srv.Messages()) != 0 {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), pass) {
		t.Fatal("the error holds the password")
	}
}

// A line break in any header value is refused before anything is sent.
func TestHeaderInjectionRefused(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"bot": pass}})
	m := newMailer(t, srv, nil)
	for _, x := range []bot.Mail{
		{To: []string{"olaf@example.test"}, Subject: "hi\r\nBcc: victim@example.test", Text: "x"},
		{To: []string{"olaf@example.test"}, Subject: "hi\nBcc: victim@example.test", Text: "x"},
		{To: []string{"olaf@example.test\r\nBcc: victim@example.test"}, Subject: "hi", Text: "x"},
		{To: []string{"Olaf\n <olaf@example.test>"}, Subject: "hi", Text: "x"},
		{To: nil, Subject: "hi", Text: "x"},
	} {
		if err := m.Send(context.Background(), x); err == nil {
			t.Errorf("sent %+v", x)
		}
	}
	for _, c := range []mailer.Config{
		{Addr: srv.Addr, From: "it@example.test\r\nBcc: victim@example.test"},
		{Addr: srv.Addr, From: "it@example.test", ReplyTo: "desk@example.test\nBcc: victim@example.test"},
		{Addr: srv.Addr, From: "not an address"},
		{Addr: "no-port", From: "it@example.test"},
		{Addr: srv.Addr, From: "it@example.test", Username: "bot"},
	} {
		if _, err := mailer.New(c); err == nil {
			t.Errorf("config accepted: %+v", c)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages got through", n)
	}
}

// A server that accepts the connection and never answers does not hold
// the caller past the timeout.
func TestTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	m, err := mailer.New(mailer.Config{Addr: ln.Addr().String(), From: "it@example.test", Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := m.Send(context.Background(), notice); err == nil {
		t.Fatal("sent to a silent server")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %s", took)
	}
}

// Left unset, the timeout and the EHLO name take their defaults (a zero
// timeout would fail every Send at once); a name set is the one sent.
func TestDefaults(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"bot": pass}})
	if err := newMailer(t, srv, func(c *mailer.Config) { c.Timeout = 0 }).Send(context.Background(), notice); err != nil {
		t.Fatal(err)
	}
	if err := newMailer(t, srv, func(c *mailer.Config) { c.Hello = "bot.example.test" }).Send(context.Background(), notice); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(); len(got) != 2 || got[0].Hello != "localhost" || got[1].Hello != "bot.example.test" {
		t.Fatalf("received %+v, want EHLO localhost then bot.example.test", got)
	}
}

// One mail goes to at most ten recipients, each one given to the server;
// an eleventh refuses the whole mail before anything is sent.
func TestRecipientLimit(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"bot": pass}})
	m := newMailer(t, srv, nil)
	x := bot.Mail{Subject: "hi", Text: "x"}
	for i := range 11 {
		x.To = append(x.To, fmt.Sprintf("u%d@example.test", i))
	}
	if err := m.Send(context.Background(), x); err == nil {
		t.Fatal("sent to 11 recipients")
	}
	x.To = x.To[:10]
	if err := m.Send(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(); len(got) != 1 || strings.Join(got[0].To, ",") != strings.Join(x.To, ",") {
		t.Fatalf("received %+v, want one mail to the ten", got)
	}
}
