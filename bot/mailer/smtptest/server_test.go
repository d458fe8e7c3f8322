package smtptest

import (
	"crypto/tls"
	"net"
	"net/textproto"
	"strings"
	"testing"
)

// client is a raw session: the conn to upgrade, textproto to talk.
type client struct {
	t    *testing.T
	conn net.Conn
	tp   *textproto.Conn
}

func dial(t *testing.T, s *Server) *client {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, conn: conn, tp: textproto.NewConn(conn)}
	t.Cleanup(func() { c.tp.Close() })
	c.expect(220)
	return c
}

func (c *client) expect(code int) string {
	c.t.Helper()
	_, msg, err := c.tp.ReadResponse(code)
	if err != nil {
		c.t.Fatalf("want %d: %v", code, err)
	}
	return msg
}

func (c *client) send(line string, code int) string {
	c.t.Helper()
	if _, err := c.tp.W.WriteString(line); err != nil {
		c.t.Fatal(err)
	}
	_ = c.tp.W.Flush()
	return c.expect(code)
}

func (c *client) startTLS(s *Server) {
	c.t.Helper()
	c.send("STARTTLS\r\n", 220)
	tc := tls.Client(c.conn, &tls.Config{RootCAs: s.Pool, ServerName: "127.0.0.1"})
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn, c.tp = tc, textproto.NewConn(tc)
}

// The fake refuses what a careful submission server refuses, so a client
// that passes against it does not merely pass against a lax one.
func TestServerIsStrict(t *testing.T) {
	s := Start(t, Options{Users: map[string]string{"bot": "pw"}})
	c := dial(t, s)
	if ext := c.send("EHLO client\r\n", 250); !strings.Contains(ext, "STARTTLS") || strings.Contains(ext, "AUTH") {
		t.Fatalf("before TLS it offers %q: STARTTLS and no AUTH wanted", ext)
	}
	c.send("AUTH PLAIN AGJvdABwdw==\r\n", 530)
	c.send("MAIL FROM:<a@example.test>\r\n", 530)
	c.send("NOOP "+strings.Repeat("x", 600)+"\r\n", 500)
	c.send("NOOP\n", 500) // bare LF
	c.startTLS(s)
	c.send("MAIL FROM:<a@example.test>\r\n", 503) // EHLO again after TLS
	if ext := c.send("EHLO client\r\n", 250); !strings.Contains(ext, "AUTH PLAIN LOGIN") || strings.Contains(ext, "STARTTLS") {
		t.Fatalf("after TLS it offers %q", ext)
	}
	c.send("MAIL FROM:<a@example.test>\r\n", 530) // not signed in
	c.send("AUTH PLAIN AGJvdAB3cm9uZw==\r\n", 535)
	c.send("AUTH PLAIN AGJvdABwdw==\r\n", 235) // \0bot\0pw
	c.send("RCPT TO:<b@example.test>\r\n", 503)
	c.send("MAIL FROM:<a@example.test>\r\n", 250)
	c.send("RCPT TO:<b@example.test>\r\n", 250)
	c.send("DATA\r\n", 354)
	c.send("Subject: x\r\n\r\n"+strings.Repeat("y", 1100)+"\r\n.\r\n", 554)
	c.send("MAIL FROM:<a@example.test>\r\n", 250)
	c.send("RCPT TO:<b@example.test>\r\n", 250)
	c.send("DATA\r\n", 354)
	c.send("Subject: x\r\n\r\nÜ 8-bit undeclared\r\n.\r\n", 554)
	c.send("MAIL FROM:<a@example.test>\r\n", 250)
	c.send("RCPT TO:<b@example.test>\r\n", 250)
	c.send("DATA\r\n", 354)
	c.send("Subject: x\r\n\r\n..stuffed\r\nplain\r\n.\r\n", 250)
	c.send("QUIT\r\n", 221)
	got := s.Messages()
	if len(got) != 1 || string(got[0].Data) != "Subject: x\r\n\r\n.stuffed\r\nplain\r\n" || !got[0].TLS || got[0].AuthUser != "bot" {
		t.Fatalf("captured %+v", got)
	}
	if v := s.Violations(); len(v) != 9 {
		t.Fatalf("violations %d: %q", len(v), v)
	}
}

// A command line may be exactly 512 octets with its CRLF, not one more;
// a server with no users offers no AUTH and takes mail without it; the
// EHLO name is captured with the message.
func TestServerLimits(t *testing.T) {
	s := Start(t, Options{})
	c := dial(t, s)
	noop := "NOOP " + strings.Repeat("x", maxCommand-len("NOOP ")-2)
	c.send(noop+"\r\n", 250)
	c.send(noop+"x\r\n", 500)
	c.send("EHLO client.example.test\r\n", 250)
	c.startTLS(s)
	if ext := c.send("EHLO client.example.test\r\n", 250); strings.Contains(ext, "AUTH") {
		t.Fatalf("a server without users offers %q", ext)
	}
	c.send("MAIL FROM:<a@example.test>\r\n", 250)
	c.send("RCPT TO:<b@example.test>\r\n", 250)
	c.send("DATA\r\n", 354)
	c.send("Subject: x\r\n\r\nplain\r\n.\r\n", 250)
	if got := s.Messages(); len(got) != 1 || got[0].Hello != "client.example.test" || got[0].AuthUser != "" {
		t.Fatalf("captured %+v", got)
	}
}
