// Package mailer sends unlockbot's e-mail (the owner notice, later one-time
// codes) by SMTP submission. It never sends in clear: the session is
// encrypted with STARTTLS, which the server must offer (no plain fallback,
// so a man in the middle who strips it stops the mail instead of reading
// it), or with implicit TLS (port 465); the certificate is verified, against
// a private CA when one is given; credentials go only over that TLS.
package mailer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"time"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
)

// Config is one submission server and the sender.
type Config struct {
	Addr string // host:port (587 for STARTTLS, 465 for implicit TLS)
	// ImplicitTLS speaks TLS from the first byte (port 465, RFC 8314).
	ImplicitTLS bool
	// ServerName is the name the certificate must carry (default: Addr's host).
	ServerName string
	// RootCAs verifies the server (nil: the system's roots).
	RootCAs *x509.CertPool
	// From is the sender ("unlockbot <it@example.com>"); ReplyTo optional.
	From, ReplyTo string
	// Username and Password sign in (AUTH PLAIN, or LOGIN where PLAIN is not
	// offered) after TLS; empty Username: no AUTH.
	Username string
	Password identity.Secret
	// Timeout bounds one whole Send: dial, TLS, the dialogue (default 30 s).
	Timeout time.Duration
	// Hello is the name given in EHLO (default "localhost").
	Hello string
	Now   func() time.Time
}

// Mailer implements bot.Mailer. Each Send is one SMTP session: the notice
// is rare, and a pooled connection would only go stale.
type Mailer struct {
	cfg           Config
	host          string
	from, replyTo *mail.Address
}

var _ bot.Mailer = (*Mailer)(nil)

// New checks the config.
func New(cfg Config) (*Mailer, error) {
	const op = "mailer.New"
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("%s: smtp address %q must be host:port", op, cfg.Addr)
	}
	m := &Mailer{cfg: cfg, host: host}
	if m.from, err = address("from", cfg.From); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if cfg.ReplyTo != "" {
		if m.replyTo, err = address("reply_to", cfg.ReplyTo); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	if cfg.Username != "" && cfg.Password.IsZero() {
		return nil, fmt.Errorf("%s: a username without a password", op)
	}
	if m.cfg.ServerName == "" {
		m.cfg.ServerName = host
	}
	if m.cfg.Timeout <= 0 {
		m.cfg.Timeout = 30 * time.Second
	}
	if m.cfg.Hello == "" {
		m.cfg.Hello = "localhost"
	}
	if m.cfg.Now == nil {
		m.cfg.Now = time.Now
	}
	return m, nil
}

// ErrNoTLS: the server does not offer STARTTLS, so nothing was sent.
var ErrNoTLS = errors.New("the mail server does not offer STARTTLS")

// Send submits x. Errors name the step and the server's answer, never the
// credentials.
func (m *Mailer) Send(ctx context.Context, x bot.Mail) error {
	const op = "mailer.Send"
	if len(x.To) == 0 || len(x.To) > maxRecipients {
		return fmt.Errorf("%s: %d recipients", op, len(x.To))
	}
	to := make([]*mail.Address, len(x.To))
	for i, v := range x.To {
		a, err := address("to", v)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		to[i] = a
	}
	msg, err := m.message(x, to, m.cfg.Now())
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	conn, err := m.dial(ctx)
	if err != nil {
		return fmt.Errorf("%s: connect to %s: %w", op, m.cfg.Addr, err)
	}
	defer conn.Close()
	// The deadline covers the dialogue; a cancelled ctx closes the socket.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if err := m.session(conn, to, msg); err != nil {
		return fmt.Errorf("%s via %s: %w", op, m.cfg.Addr, err)
	}
	return nil
}

func (m *Mailer) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: m.cfg.ServerName, RootCAs: m.cfg.RootCAs, MinVersion: tls.VersionTLS12}
}

func (m *Mailer) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil || !m.cfg.ImplicitTLS {
		return conn, err
	}
	tc := tls.Client(conn, m.tlsConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("TLS: %w", err)
	}
	return tc, nil
}

// session is the SMTP dialogue on an open connection.
func (m *Mailer) session(conn net.Conn, to []*mail.Address, msg []byte) error {
	c, err := smtp.NewClient(conn, m.cfg.ServerName)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(m.cfg.Hello); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if !m.cfg.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return ErrNoTLS
		}
		if err := c.StartTLS(m.tlsConfig()); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if m.cfg.Username != "" {
		if err := m.auth(c); err != nil {
			return err
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, a := range to {
		if err := c.Rcpt(a.Address); err != nil {
			return fmt.Errorf("RCPT TO: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("message refused: %w", err)
	}
	_ = c.Quit()
	return nil
}
