package connectwise

import (
	"errors"
	"fmt"
	"net/http"
)

// userError is what a technician reads: one sentence, with the cause kept
// for errors.Is/As and for the log (the cause was logged where it arose).
type userError struct {
	sentence string
	cause    error
}

func (e *userError) Error() string { return e.sentence }

// SafeMessage is the sentence bot/ shows the technician (bot.SafeMessage).
func (e *userError) SafeMessage() string { return e.sentence }
func (e *userError) Unwrap() error       { return e.cause }

// explain turns a failure to do what into one sentence for the technician.
func (c *Client) explain(what string, err error) error {
	if err == nil {
		return nil
	}
	var ue *userError
	if errors.As(err, &ue) {
		return err
	}
	org := c.cfg.OrgName
	var ae *APIError
	var s string
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
		s = fmt.Sprintf("ConnectWise refused unlockbot's API keys for %s: check psa.connectwise.company, public_key, private_key and client_id", org)
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		s = fmt.Sprintf("ConnectWise did not let unlockbot %s for %s: the API member's security role needs Service Desk access (docs/psa-connectwise.md)", what, org)
	case errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests:
		s = fmt.Sprintf("ConnectWise is rate-limiting unlockbot for %s, so it could not %s; it will be tried again", org, what)
	case errors.As(err, &ae) && ae.Status >= 500:
		s = fmt.Sprintf("ConnectWise had an internal error and could not %s for %s; it will be tried again", what, org)
	case errors.As(err, &ae) && ae.Status == http.StatusBadRequest && len(ae.Errors) > 0:
		// Field names only: the vendor's message may quote what was sent
		// (a note); it goes to the log, scrubbed.
		s = fmt.Sprintf("ConnectWise refused the %s to %s for %s: check the org's psa.connectwise settings (the log has ConnectWise's words)", ae.Errors[0].Field, what, org)
	case errors.As(err, &ae):
		s = fmt.Sprintf("ConnectWise refused to %s for %s (%s): check the org's psa.connectwise settings (the log has ConnectWise's words)", what, org, ae.Code)
	default:
		s = fmt.Sprintf("ConnectWise did not answer when unlockbot tried to %s for %s; it will be tried again", what, org)
	}
	return &userError{sentence: s, cause: err}
}
