package bot

import (
	"fmt"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// State is where a request is in its life.
//
//	draft → submitted → pending_approval → approved → executing → done | failed
//	                  ↘ (no approval needed) approved ↗     failed → approved (retry)
//	pending_approval → denied | expired;  approved → failed (approval not in the audit trail)
//	submitted | pending_approval → failed (never reached an approver)
//	submitted → verifying → approved | failed | expired (no approval step,
//	the caller's verification required: verify.go); pending_approval and
//	verifying → failed also when the caller failed verification
//
// Only move sets a state (TestStateChangesOnlyThroughMove).
type State string

const (
	StateDraft           State = "draft"
	StateSubmitted       State = "submitted"
	StatePendingApproval State = "pending_approval"
	StateApproved        State = "approved"
	StateExecuting       State = "executing"
	StateDone            State = "done"
	StateFailed          State = "failed"
	StateDenied          State = "denied"
	StateExpired         State = "expired"
	// StateVerifying waits for the caller's verification where no
	// approver will look at the request.
	StateVerifying State = "verifying"
)

// transitions lists every allowed move; anything else is a bug or a race
// that lost, and is refused.
var transitions = map[State][]State{
	StateDraft:           {StateSubmitted},
	StateSubmitted:       {StatePendingApproval, StateApproved, StateFailed, StateVerifying},
	StateVerifying:       {StateApproved, StateFailed, StateExpired},
	StatePendingApproval: {StateApproved, StateDenied, StateExpired, StateFailed},
	StateApproved:        {StateExecuting, StateFailed},            // failed: its audit record could not be written
	StateExecuting:       {StateExecuting, StateDone, StateFailed}, // executing→executing: lease taken over
	StateFailed:          {StateApproved},                          // retry
}

// CanMove reports whether from → to is allowed.
func CanMove(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Final reports whether nothing more will happen to a request in s.
func (s State) Final() bool {
	return s == StateDone || s == StateDenied || s == StateExpired
}

// Mode is what the technician asked for.
type Mode string

const (
	// ModeReset unlocks the account (when locked) and sets a new password,
	// in one directory write.
	ModeReset Mode = "reset"
	// ModeUnlock only clears the lockout; the password is never touched
	// (ServiceNow's "Unlock account"): for a user who knows the password
	// but mistyped it, or whose phone kept trying an old one.
	ModeUnlock Mode = "unlock"
)

// AccountRef is the target as found in the directory at submit time. ID is
// the directory's handle (a DN from a search result, never user input).
type AccountRef struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name,omitempty"`
	// Mail is the directory's e-mail of the account: the PSA's contact
	// for a ticket the reset creates, where one matches.
	Mail string `json:"mail,omitempty"`
	// UPN and Manager (the directory's ID of the manager) find the
	// people the owner notice goes to (owner.go), from the directory and
	// never from what the technician typed.
	UPN       string `json:"upn,omitempty"`
	Manager   string `json:"manager,omitempty"`
	WasLocked bool   `json:"was_locked"`
	// Stamp is the account's password stamp when the request was
	// submitted: a password written since (a replayed request, or its
	// owner) makes the approval void (stillCurrent).
	Stamp string `json:"stamp,omitempty"`
	// Facts were read fresh when the request was submitted, for the
	// approver to judge by.
	Facts Facts `json:"facts"`
}

// Facts are what an approver needs to judge a lockout: since when, how
// many bad passwords, the password's age, the last logon, and how often
// the bot itself unlocked the account lately (a device holding an old
// password locks it again and again).
type Facts struct {
	LockedAt        time.Time `json:"locked_at,omitzero"`
	BadCount        int       `json:"bad_count,omitzero"`
	LastBadAt       time.Time `json:"last_bad_at,omitzero"`
	PasswordLastSet time.Time `json:"pwd_last_set,omitzero"` // zero: must change at next logon
	PasswordExpires time.Time `json:"pwd_expires,omitzero"`  // zero: never, or not known
	LastLogon       time.Time `json:"last_logon,omitzero"`
	UnlocksThisWeek int       `json:"unlocks_week"` // by unlockbot, from its own records
	// LockoutHidden: the directory cannot show or clear the lockout
	// (Entra ID smart lockout); the card says what can be done instead.
	LockoutHidden bool `json:"lockout_hidden,omitempty"`
	// Synced: an Entra ID account synced from the org's AD, reset there.
	Synced bool `json:"synced,omitempty"`
}

// Steps records each side effect of the reset service, so a retry or a
// second replica continues where the last attempt stopped. A directory or
// ticket write first records its intent; a worker that finds an intent
// without its outcome asks the directory or the PSA whether the write
// happened before it repeats it.
type Steps struct {
	Reserved      bool `json:"reserved,omitempty"`
	PasswordReady bool `json:"password_ready,omitempty"` // sealed password stored
	// WriteIntent is recorded right before the directory write, with the
	// password stamp read just before it and whether the write unlocks.
	WriteIntent   bool   `json:"write_intent,omitempty"`
	WriteStamp    string `json:"write_stamp,omitempty"`
	WriteUnlocks  bool   `json:"write_unlocks,omitempty"`
	Unlocked      bool   `json:"unlocked,omitempty"`
	UnlockSkipped bool   `json:"unlock_skipped,omitempty"` // was not locked
	// Warning is what the directory did not finish after the write took
	// (Entra ID: sessions not revoked): shown with the outcome, in the
	// ticket note and the trail, and never a reason to write again.
	Warning string `json:"warning,omitempty"`
	// Unproven: the directory recorded the new password but cannot test a
	// sign-in with it (Entra ID through Graph), so nobody is told it works.
	Unproven bool `json:"unproven,omitempty"`
	// ReunlockIntent: a recovered reset found the account locked again
	// and is unlocking it (reunlock).
	ReunlockIntent bool   `json:"reunlock_intent,omitempty"`
	PasswordSet    bool   `json:"password_set,omitempty"`
	Verified       bool   `json:"verified,omitempty"`
	TicketIntent   bool   `json:"ticket_intent,omitempty"`
	TicketID       string `json:"ticket_id,omitempty"`
	TicketCreated  bool   `json:"ticket_created,omitempty"`
	NoteIntent     bool   `json:"note_intent,omitempty"`
	TicketNoted    bool   `json:"ticket_noted,omitempty"`
	// TicketResolved: resolving twice is harmless, so it needs no intent.
	TicketResolved bool `json:"ticket_resolved,omitempty"`
	// TicketPending: the reset is done but the PSA did not take the ticket
	// update (create, note or resolve); the sweeper retries it at
	// TicketRetryAt until the org's ticket_retry_for has passed since
	// DoneAt, then gives up (TicketGaveUp). TicketError is the PSA's
	// sentence.
	TicketPending bool      `json:"ticket_pending,omitempty"`
	TicketError   string    `json:"ticket_error,omitempty"`
	TicketTries   int       `json:"ticket_tries,omitempty"`
	TicketRetryAt time.Time `json:"ticket_retry_at,omitzero"`
	TicketGaveUp  bool      `json:"ticket_gave_up,omitempty"`
	// NotePasswordLost: the note was added late, after the password it
	// should carry was no longer kept (revealed, or past its lifetime).
	NotePasswordLost bool `json:"note_password_lost,omitempty"`
	Audited          bool `json:"audited,omitempty"`
	// Notified: the confirmations went out (or were given up on).
	// ThreadSent and PrivateSent record each one as the platform took it,
	// so a worker that died between the two, or a retry, sends only what
	// is missing; NotifyTries counts the attempts (notify.go).
	Notified    bool `json:"notified,omitempty"`
	ThreadSent  bool `json:"thread_sent,omitempty"`
	PrivateSent bool `json:"private_sent,omitempty"`
	NotifyTries int  `json:"notify_tries,omitempty"`
	// NotifyUntil is the lease of the worker sending the confirmations:
	// they may wait long for a busy channel's pace, and nobody else sends
	// them meanwhile; past it, the sweeper takes over (a worker that died).
	NotifyUntil time.Time `json:"notify_until,omitzero"`
	// OwnerNoticeAt is when a worker began telling the account's owner
	// (owner.go); OwnerNotified that it finished, whatever each channel
	// answered. An old start without the finish is a worker that died
	// while sending: the sweeper sends again (at least once, not lost).
	OwnerNoticeAt time.Time `json:"owner_notice_at,omitzero"`
	OwnerNotified bool      `json:"owner_notified,omitempty"`
	// DenyPending: the request was denied and the card, the thread and
	// the requester are not yet told; set with the denial, cleared once
	// they were, so a worker that died between the two is followed by a
	// re-delivered Deny or the sweeper telling them (at least once).
	DenyPending bool `json:"deny_pending,omitempty"`
	// Recovered lists the steps a worker taking over found already done
	// in the directory or the PSA, and recorded without repeating.
	Recovered []string `json:"recovered,omitempty"`
}

// Request is one reset from submission to outcome. It is stored as JSON and
// never holds a password: that lives sealed under its own key.
type Request struct {
	ID        string     `json:"id"`
	OrgID     string     `json:"org"`
	Platform  string     `json:"platform"`
	Requester Actor      `json:"requester"`
	Mode      Mode       `json:"mode"`
	Account   AccountRef `json:"account"`
	TicketID  string     `json:"ticket_id,omitempty"` // existing ticket chosen in the form
	Temporary bool       `json:"temporary"`
	NoteToPSA bool       `json:"note_password"`
	Generated bool       `json:"generated"` // password generated by us (delivered privately)
	Reason    string     `json:"reason"`

	State      State     `json:"state"`
	Approver   *Actor    `json:"approver,omitempty"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
	DenyReason string    `json:"deny_reason,omitempty"`
	Steps      Steps     `json:"steps"`
	Attempts   int       `json:"attempts"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	Failure    string    `json:"failure,omitempty"` // safe sentence
	Retryable  bool      `json:"retryable,omitempty"`
	Revealed   bool      `json:"revealed,omitempty"`
	// Verify is what the caller proved (verify.go).
	Verify Verification `json:"verify,omitzero"`

	ApprovalMsg *MessageRef `json:"approval_msg,omitempty"`
	// Origin is where the request came from (channel), for private replies.
	Origin string `json:"origin,omitempty"`
	// SelfService: the requester asked for their own account
	// (selfservice.go); verification is then mandatory.
	SelfService bool `json:"self_service,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	DoneAt    time.Time `json:"done_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at"`

	// Due is the sweeper's deadline for this request as its last save set
	// it in the due-set (repo.scheduled): a save that would only move it
	// later leaves it, since a deadline may be early, never late.
	Due time.Time `json:"due,omitzero"`

	version  int64     // store version this copy was read at
	stored   State     // the state of that version, as stored
	storedAt time.Time // that version's deadline (nextDeadline); zero: none
	// sealed is the typed password as this copy's submit sealed it under
	// the request, never stored with it: the first try from that copy
	// (an automatic approval) need not read back what it just wrote.
	sealed identity.Secret
	// firstTry: this copy runs the first try of the request's first
	// attempt (execute), so no worker ran any of its steps before. An
	// effect whose happened asks the other system by this request's key
	// (the ticket, the note) then needs no intent saved before it
	// (onceKeyed); every later try asks.
	firstTry bool
	// armed names the step whose intent this copy's version already holds,
	// saved by this worker with nothing run since (armWrite): once neither
	// asks whether it happened nor saves it again.
	armed string
	// readBack is the read-back this copy's write started as soon as the
	// directory took the change (readBackSoon): verify takes its answer
	// instead of asking again.
	readBack func() (identity.Verification, error)
}

// UnlockOnly reports whether the password is left alone.
func (r *Request) UnlockOnly() bool { return r.Mode == ModeUnlock }

// setsPassword reports whether this request writes a password.
func (r *Request) setsPassword() bool { return !r.UnlockOnly() }

// move changes the state if allowed.
func (r *Request) move(to State, now time.Time) error {
	if !CanMove(r.State, to) {
		return fmt.Errorf("request %s: %s → %s not allowed", r.ID, r.State, to)
	}
	r.State = to
	r.UpdatedAt = now
	return nil
}
