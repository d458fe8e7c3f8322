package mailer

import (
	"errors"
	"fmt"
	"net/smtp"
	"strings"
)

// errAuthInClear guards the credentials a second time: the session checks
// TLS before AUTH, and each mechanism refuses to start without it.
var errAuthInClear = errors.New("refusing to sign in without TLS")

// auth signs in with PLAIN, or LOGIN where the server offers only that.
// The server's refusal is reported by code and text; the credentials never
// are.
func (m *Mailer) auth(c *smtp.Client) error {
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return errors.New("the mail server offers no AUTH after STARTTLS, but a username is configured")
	}
	var a smtp.Auth
	switch offered := strings.Fields(strings.ToUpper(mechs)); {
	case contains(offered, "PLAIN"):
		a = plainAuth{user: m.cfg.Username, pass: m.cfg.Password.Reveal()}
	case contains(offered, "LOGIN"):
		a = &loginAuth{user: m.cfg.Username, pass: m.cfg.Password.Reveal()}
	default:
		return fmt.Errorf("the mail server offers AUTH %s; unlockbot speaks PLAIN and LOGIN", mechs)
	}
	if err := c.Auth(a); err != nil {
		return fmt.Errorf("AUTH: %w", err)
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// plainAuth is RFC 4616. net/smtp's PlainAuth would also send in clear to
// localhost; this one never does.
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if !s.TLS {
		return "", nil, errAuthInClear
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge during AUTH PLAIN")
	}
	return nil, nil
}

// loginAuth is the LOGIN mechanism (draft-murchison-sasl-login): the
// server asks for the username, then the password.
type loginAuth struct {
	user, pass string
	step       int
}

func (a *loginAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if !s.TLS {
		return "", nil, errAuthInClear
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch a.step {
	case 1:
		return []byte(a.user), nil
	case 2:
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected server challenge during AUTH LOGIN")
}
