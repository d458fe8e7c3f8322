package bot

// Refusal is a "no" from the guard or the policy: why unlockbot will not
// act on this request. It is final (a retry would meet it again), so the
// request fails without a Retry button. Code goes to the audit trail;
// Message, safe to show, to the technician.
type Refusal struct {
	Code    string
	Message string
}

func (e *Refusal) Error() string       { return "refused: " + e.Code }
func (e *Refusal) SafeMessage() string { return e.Message }

func refusal(code, msg string) error { return &Refusal{code, msg} }
