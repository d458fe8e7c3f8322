package identity

import (
	"errors"
	"fmt"
)

// Kind classifies directory errors so the flow can choose what to tell the
// technician and whether a retry can help.
type Kind string

const (
	KindInvalid     Kind = "invalid"     // bad input or a policy the directory enforces
	KindNotFound    Kind = "not_found"   // no such account / object
	KindForbidden   Kind = "forbidden"   // the bot account lacks a right, or transport is refused
	KindConflict    Kind = "conflict"    // ambiguous name, state changed under us
	KindUnavailable Kind = "unavailable" // network, timeout, server down: retry may help
	KindInternal    Kind = "internal"
	// KindPartial: the write happened and a follow-up step did not (Entra:
	// password set, sessions not revoked). Repeating the write would not
	// help and must not happen; the error says what is left to do by hand.
	KindPartial Kind = "partial"
)

// Sentinel errors, matched with errors.Is.
var (
	ErrNotFound    = errors.New("account not found")
	ErrAmbiguous   = errors.New("name matches more than one account")
	ErrPolicy      = errors.New("password rejected by directory policy")
	ErrRights      = errors.New("bot account lacks the right")
	ErrInsecure    = errors.New("write refused over an unencrypted connection")
	ErrUnavailable = errors.New("directory unavailable")
	ErrBadPassword = errors.New("wrong password")
	ErrLockedOut   = errors.New("account locked out")
	ErrMustChange  = errors.New("password must change at next logon")
	ErrDisabled    = errors.New("account disabled")
	ErrExpired     = errors.New("account or password expired")
	// ErrUnsupported: the directory has no such operation at all (Entra ID
	// cannot clear a smart lockout). Final: a retry meets it again.
	ErrUnsupported = errors.New("operation not supported by this directory")
	// ErrSynced: the account is mastered in on-premises Active Directory, so
	// the cloud directory must not (and usually cannot) change its password.
	ErrSynced = errors.New("account is synced from on-premises Active Directory")
	// ErrPartial: the password was written but a follow-up step failed;
	// the write must not be repeated.
	ErrPartial = errors.New("password set but a follow-up step failed")
)

// Error carries the operation, a kind, a sentence the technician can act on,
// and the underlying chain for the log.
type Error struct {
	Op   string // "ldap.(*Directory).SetPassword"
	Kind Kind
	Safe string // shown to the user; never contains a secret
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Op + ": " + e.Safe
	}
	return fmt.Sprintf("%s: %v", e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// SafeMessage is read by bot.SafeMessage through a small interface, so any
// package's error can carry its own user sentence without an import.
func (e *Error) SafeMessage() string { return e.Safe }

// E builds an *Error.
func E(op string, kind Kind, safe string, err error) *Error {
	return &Error{Op: op, Kind: kind, Safe: safe, Err: err}
}

// KindOf returns the kind of the first *Error in the chain, or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, ErrNotFound) {
		return KindNotFound
	}
	return KindInternal
}
