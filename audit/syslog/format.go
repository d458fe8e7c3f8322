package syslog

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unlockbot/unlockbot/audit"
)

// SDID is the structured-data element every message carries. 32473 is the
// enterprise number RFC 5612 reserves for documentation and examples: the
// project has no IANA Private Enterprise Number of its own, and an SD-ID
// with "@" must name one (RFC 5424 §7.2.2).
const SDID = "unlockbot@32473"

// Severities (RFC 5424 §6.2.1) by outcome: a refusal is worth a look, a
// failure is an error, everything else is information.
const (
	sevErr     = 3
	sevWarning = 4
	sevInfo    = 6
)

// bom marks MSG as UTF-8 (RFC 5424 §6.4, MSG-UTF8). The sealed line is
// UTF-8 JSON that may hold non-ASCII names, so the RFC says to send it.
var bom = []byte{0xEF, 0xBB, 0xBF}

// header is the part of every message that does not change per record.
type header struct {
	facility int
	hostname string // already a valid HOSTNAME
	appName  string // already a valid APP-NAME
	procID   string
	bom      bool
}

func severity(outcome string) int {
	switch outcome {
	case audit.Refused:
		return sevWarning
	case audit.Failed:
		return sevErr
	}
	return sevInfo
}

// frame builds one RFC 6587 octet-counted frame ("LEN SP MSG") holding the
// RFC 5424 message for a sealed line. The line is sent byte for byte: the
// MAC covers exactly those bytes.
func (h header) frame(r audit.Record, line []byte) []byte {
	ts := r.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	var b strings.Builder
	b.Grow(len(line) + 256)
	b.WriteByte('<')
	b.WriteString(strconv.Itoa(h.facility*8 + severity(r.Outcome)))
	b.WriteString(">1 ")
	// TIME-SECFRAC allows at most six digits.
	b.WriteString(ts.UTC().Format("2006-01-02T15:04:05.000000Z"))
	b.WriteByte(' ')
	b.WriteString(h.hostname)
	b.WriteByte(' ')
	b.WriteString(h.appName)
	b.WriteByte(' ')
	b.WriteString(h.procID)
	b.WriteByte(' ')
	b.WriteString(printable(r.Type, 32))
	b.WriteString(" [")
	b.WriteString(SDID)
	param(&b, "chain", r.Chain)
	param(&b, "seq", strconv.FormatUint(r.Seq, 10))
	param(&b, "org", r.Org)
	param(&b, "req", r.RequestID)
	param(&b, "outcome", r.Outcome)
	b.WriteString("] ")
	if h.bom {
		b.Write(bom)
	}
	b.Write(line)
	msg := b.String()
	out := make([]byte, 0, len(msg)+8)
	out = strconv.AppendInt(out, int64(len(msg)), 10)
	out = append(out, ' ')
	return append(out, msg...)
}

// param appends ` name="value"`, escaping '"', '\' and ']' as RFC 5424
// §6.3.3 requires; an empty value is left out.
func param(b *strings.Builder, name, value string) {
	if value == "" {
		return
	}
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	for _, c := range strings.ToValidUTF8(value, "\uFFFD") {
		if c == '"' || c == '\\' || c == ']' {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	b.WriteByte('"')
}

// printable makes s a header field: PRINTUSASCII (33..126) only, at most
// max octets, "-" (the NILVALUE) when nothing is left.
func printable(s string, max int) string {
	out := make([]byte, 0, min(len(s), max))
	for i := 0; i < len(s) && len(out) < max; {
		c, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if c >= 33 && c <= 126 {
			out = append(out, byte(c))
		} else {
			out = append(out, '_')
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return string(out)
}
