package bot

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the person who caused it. The chat user sees
// the safe sentence; the log sees the whole chain.
type Kind string

const (
	KindInvalid     Kind = "invalid"
	KindNotFound    Kind = "not_found"
	KindForbidden   Kind = "forbidden"
	KindConflict    Kind = "conflict"
	KindUnavailable Kind = "unavailable"
	KindInternal    Kind = "internal"
)

// Error is the flow's error: an operation, a kind, a sentence safe to show.
type Error struct {
	Op   string
	Kind Kind
	Safe string
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Op + ": " + e.Safe
	}
	return fmt.Sprintf("%s: %s: %v", e.Op, e.Safe, e.Err)
}

func (e *Error) Unwrap() error       { return e.Err }
func (e *Error) SafeMessage() string { return e.Safe }

func errorf(op string, kind Kind, err error, format string, args ...any) *Error {
	return &Error{Op: op, Kind: kind, Safe: fmt.Sprintf(format, args...), Err: err}
}

// safeMessager is implemented by errors of bot, identity and psa packages
// that carry their own user-facing sentence.
type safeMessager interface{ SafeMessage() string }

// SafeMessage returns the outermost user-facing sentence in err's chain, or a
// generic one. It never returns the raw chain, which may name hosts or DNs.
func SafeMessage(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := e.(safeMessager); ok && s.SafeMessage() != "" {
			return s.SafeMessage()
		}
	}
	return "Something went wrong on our side. Try again in a minute; if it keeps failing, ask an admin to check the unlockbot log."
}

// KindOf returns the kind of the first *Error in the chain.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ValidationError answers a form submission: one sentence per field, shown
// next to that field.
type ValidationError struct {
	Fields map[FieldID]string
	// Why, when set, is the audit's reason for the refusal (else
	// "invalid_<first field>").
	Why string
}

func (v *ValidationError) Error() string {
	return fmt.Sprintf("validation failed on %d field(s)", len(v.Fields))
}

func (v *ValidationError) SafeMessage() string {
	for _, id := range formOrder {
		if m, ok := v.Fields[id]; ok {
			return m
		}
	}
	return "Check the form and try again."
}

func invalid(field FieldID, format string, args ...any) *ValidationError {
	return &ValidationError{Fields: map[FieldID]string{field: fmt.Sprintf(format, args...)}}
}

// invalidWhy is invalid with the audit's reason named.
func invalidWhy(why string, field FieldID, msg string) *ValidationError {
	return &ValidationError{Fields: map[FieldID]string{field: msg}, Why: why}
}
