package identity

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Secret holds a password or token. Every way Go has of printing or encoding a
// value (fmt verbs, JSON, slog, zerolog via fmt.Stringer/json.Marshaler) prints
// "[redacted]", so a secret that reaches a log line, an error text or an audit
// record by mistake leaks nothing. The only way out is Reveal, which is meant to
// be called at the last moment before the bytes go to the directory or the PSA.
//
// It lives in identity because a password is a directory credential; psa and
// bot use the same type so the rule is enforced in one place.
type Secret struct{ v *string }

const redacted = "[redacted]"

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{v: &s} }

// Reveal returns the secret value. Call it only where the value leaves the
// process towards the system that needs it.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsZero reports whether no value (or the empty string) is held.
func (s Secret) IsZero() bool { return s.v == nil || *s.v == "" }

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer so %#v is redacted too.
func (s Secret) GoString() string { return redacted }

// Format implements fmt.Formatter so every verb (%s %v %q %x %d) is redacted.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// MarshalText implements encoding.TextMarshaler (YAML, form encoders, zerolog).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
