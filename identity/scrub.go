package identity

import (
	"errors"
	"fmt"
	"strings"
)

// sentinels are every error kind a directory reports, in the order a
// redacted error looks for them.
var sentinels = []error{ErrPolicy, ErrSynced, ErrRights, ErrInsecure, ErrNotFound, ErrAmbiguous, ErrPartial, ErrUnsupported,
	ErrBadPassword, ErrLockedOut, ErrMustChange, ErrDisabled, ErrExpired}

// Scrub replaces err when its text contains secret, so a password can
// never reach a log line through an error, whatever a server or library
// echoes. The safe sentence keeps its words with the secret masked, and
// errors.Is still finds the directory's sentinel.
func Scrub(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	var ie *Error
	if errors.As(err, &ie) {
		return E(ie.Op, ie.Kind, strings.ReplaceAll(ie.Safe, secret, "[redacted]"),
			fmt.Errorf("%w (details redacted: they contained the password)", sentinelOf(ie.Err)))
	}
	return errors.New("directory error (details redacted: they contained the password)")
}

// sentinelOf returns the sentinel in err's chain, or ErrUnavailable as a
// neutral stand-in.
func sentinelOf(err error) error {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s
		}
	}
	return ErrUnavailable
}
