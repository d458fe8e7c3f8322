package smtptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
)

// RFC 5321 4.5.3.1: a command line is at most 512 octets, a text line 1000,
// both counting the CRLF.
const (
	maxCommand  = 512
	maxTextLine = 1000
	maxRcpts    = 100
)

var errTooLong = errors.New("line too long")

type session struct {
	s    *Server
	conn net.Conn
	r    *bufio.Reader
	tls  bool
	helo bool
	name string // the client's EHLO/HELO name
	user string
	// the transaction
	from     string
	rcpts    []string
	eightBit bool
}

func newSession(s *Server, c net.Conn) *session {
	_, isTLS := c.(*tls.Conn)
	return &session{s: s, conn: c, r: bufio.NewReader(c), tls: isTLS}
}

func (c *session) reply(lines ...string) {
	_, _ = c.conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
}

// bad answers a client's protocol error and records it.
func (c *session) bad(code, why string) {
	c.s.violation(why)
	c.reply(code + " " + why)
}

// line reads one CRLF-terminated line of at most max octets.
func (c *session) line(max int) (string, error) {
	var b []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		b = append(b, chunk...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
	if len(b) > max {
		return "", errTooLong
	}
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		return "", errors.New("bare LF")
	}
	return string(b[:len(b)-2]), nil
}

func (c *session) run() {
	c.reply("220 smtptest ESMTP ready")
	for {
		l, err := c.line(maxCommand)
		switch {
		case errors.Is(err, errTooLong):
			c.bad("500", "5.5.2 Line too long")
			continue
		case err != nil && err.Error() == "bare LF":
			c.bad("500", "5.5.2 Bare LF in a command")
			continue
		case err != nil:
			return
		}
		verb, arg, _ := strings.Cut(l, " ")
		if !c.command(strings.ToUpper(verb), arg) {
			return
		}
	}
}

// command runs one command; false ends the session.
func (c *session) command(verb, arg string) bool {
	switch verb {
	case "EHLO":
		c.helo, c.name, c.from, c.rcpts = true, arg, "", nil
		ext := []string{"250-smtptest greets " + arg, "250-8BITMIME", "250-SIZE 10485760"}
		if !c.tls && !c.s.opts.NoSTARTTLS {
			ext = append(ext, "250-STARTTLS")
		}
		if c.tls && len(c.s.opts.Users) > 0 {
			ext = append(ext, "250-AUTH "+c.s.opts.Mechanisms)
		}
		c.reply(append(ext, "250 ENHANCEDSTATUSCODES")...)
	case "HELO":
		c.helo, c.name = true, arg
		c.reply("250 smtptest")
	case "STARTTLS":
		return c.startTLS()
	case "AUTH":
		c.auth(arg)
	case "MAIL":
		c.mail(arg)
	case "RCPT":
		c.rcpt(arg)
	case "DATA":
		return c.data()
	case "RSET":
		c.from, c.rcpts, c.eightBit = "", nil, false
		c.reply("250 2.0.0 OK")
	case "NOOP":
		c.reply("250 2.0.0 OK")
	case "QUIT":
		c.reply("221 2.0.0 Bye")
		return false
	default:
		c.bad("500", "5.5.1 Unknown command "+verb)
	}
	return true
}

func (c *session) startTLS() bool {
	switch {
	case c.s.opts.NoSTARTTLS:
		c.bad("502", "5.5.1 STARTTLS not offered")
		return true
	case c.tls:
		c.bad("503", "5.5.1 Already in TLS")
		return true
	}
	c.reply("220 2.0.0 Ready to start TLS")
	tc := tls.Server(c.conn, c.s.tls)
	if err := tc.Handshake(); err != nil {
		return false
	}
	// RFC 3207: everything known before TLS is forgotten.
	c.conn, c.r, c.tls, c.helo, c.from, c.rcpts = tc, bufio.NewReader(tc), true, false, "", nil
	return true
}

func (c *session) auth(arg string) {
	mech, initial, _ := strings.Cut(arg, " ")
	mech = strings.ToUpper(mech)
	switch {
	case !c.helo:
		c.bad("503", "5.5.1 EHLO first")
		return
	case !c.tls:
		c.bad("530", "5.7.0 Must issue a STARTTLS command first")
		return
	case c.user != "":
		c.bad("503", "5.5.1 Already authenticated")
		return
	case len(c.s.opts.Users) == 0 || !strings.Contains(" "+c.s.opts.Mechanisms+" ", " "+mech+" "):
		c.bad("504", "5.5.4 Mechanism not offered")
		return
	}
	var user, pass string
	var ok bool
	if mech == "PLAIN" {
		if initial == "" {
			c.reply("334 ")
			initial, _ = c.line(maxCommand)
		}
		raw, err := base64.StdEncoding.DecodeString(initial)
		parts := strings.Split(string(raw), "\x00")
		if ok = err == nil && len(parts) == 3; ok {
			user, pass = parts[1], parts[2]
		}
	} else {
		user, ok = c.challenge("VXNlcm5hbWU6") // "Username:"
		if ok {
			pass, ok = c.challenge("UGFzc3dvcmQ6") // "Password:"
		}
	}
	if want, known := c.s.opts.Users[user]; !ok || !known || want != pass {
		c.reply("535 5.7.8 Authentication credentials invalid")
		return
	}
	c.user = user
	c.reply("235 2.7.0 Authentication successful")
}

func (c *session) challenge(prompt string) (string, bool) {
	c.reply("334 " + prompt)
	l, err := c.line(maxCommand)
	if err != nil {
		return "", false
	}
	v, err := base64.StdEncoding.DecodeString(l)
	return string(v), err == nil
}

// path parses "FROM:<a@b> PARAMS" or "TO:<a@b>".
func path(arg, prefix string) (addr string, params []string, ok bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", nil, false
	}
	rest := arg[len(prefix):]
	if !strings.HasPrefix(rest, "<") {
		return "", nil, false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", nil, false
	}
	return rest[1:end], strings.Fields(rest[end+1:]), true
}

func (c *session) mail(arg string) {
	addr, params, ok := path(arg, "FROM:")
	switch {
	case !c.helo:
		c.bad("503", "5.5.1 EHLO first")
	case !c.tls && !c.s.opts.NoSTARTTLS:
		c.bad("530", "5.7.0 Must issue a STARTTLS command first")
	case len(c.s.opts.Users) > 0 && c.user == "":
		c.bad("530", "5.7.0 Authentication required")
	case c.from != "":
		c.bad("503", "5.5.1 Nested MAIL command")
	case !ok || addr == "":
		c.bad("501", "5.5.4 Syntax: MAIL FROM:<address>")
	default:
		c.from, c.eightBit = addr, false
		for _, p := range params {
			if strings.EqualFold(p, "BODY=8BITMIME") {
				c.eightBit = true
			}
		}
		c.reply("250 2.1.0 OK")
	}
}

func (c *session) rcpt(arg string) {
	addr, _, ok := path(arg, "TO:")
	switch {
	case c.from == "":
		c.bad("503", "5.5.1 MAIL first")
	case !ok || !strings.Contains(addr, "@"):
		c.bad("501", "5.5.4 Syntax: RCPT TO:<address>")
	case len(c.rcpts) >= maxRcpts:
		c.reply("452 4.5.3 Too many recipients")
	default:
		c.rcpts = append(c.rcpts, addr)
		c.reply("250 2.1.5 OK")
	}
}

// data reads the message up to the lone dot, undoing the dot-stuffing.
func (c *session) data() bool {
	if len(c.rcpts) == 0 {
		c.bad("503", "5.5.1 RCPT first")
		return true
	}
	c.reply("354 End data with <CR><LF>.<CR><LF>")
	var body bytes.Buffer
	var problem string
	for {
		l, err := c.line(maxTextLine)
		switch {
		case errors.Is(err, errTooLong):
			problem = "5.5.2 Text line longer than 1000 octets"
			continue
		case err != nil && err.Error() == "bare LF":
			problem = "5.6.0 Bare LF in the message"
			continue
		case err != nil:
			return false
		}
		if l == "." {
			break
		}
		if strings.HasPrefix(l, ".") {
			l = l[1:]
		}
		if !c.eightBit && strings.IndexFunc(l, func(r rune) bool { return r > 127 }) >= 0 {
			problem = "5.6.0 8-bit data without BODY=8BITMIME"
		}
		body.WriteString(l + "\r\n")
	}
	m := Message{From: c.from, To: c.rcpts, Data: body.Bytes(), TLS: c.tls, AuthUser: c.user, Hello: c.name}
	c.from, c.rcpts = "", nil
	if problem != "" {
		c.bad("554", problem)
		return true
	}
	c.s.keep(m)
	c.reply(fmt.Sprintf("250 2.0.0 Queued as %d", len(c.s.Messages())))
	return true
}
