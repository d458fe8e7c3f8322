package metrics

import (
	"strings"
	"sync"

	"github.com/unlockbot/unlockbot/bot"
)

// Every label value here comes from a closed list, so a scrape stays the
// same size however many requests, accounts and people the bot sees: an
// unknown value is counted as "other", never as itself. Account names,
// request ids and user ids are never label values.
const (
	other = "other"
	none  = "none" // an event without an org (a refusal before one was chosen)
)

var modes = []string{string(bot.ModeReset), string(bot.ModeUnlock)}

// eventTypes is every event type the flow writes (a test reads bot/ to
// keep it complete); unlockbot_audit_events_total counts anything else as
// "other".
var eventTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range []string{
		"request.submitted", "request.approved", "request.denied", "request.expired", "request.failed",
		"request.refused", "request.decision_refused", "request.retried", "request.retry_refused", "request.tampered",
		"request.taken_over", "request.delivered", "ticket.resolved",
		"reset.password_set", "reset.unlock_started", "reset.unlocked", "unlock.unlocked",
		"ticket.created", "ticket.noted", "ticket.pending", "ticket.completed_late", "ticket.gave_up",
		"password.revealed", "password.reveal_refused", "password.reveal_failed", "platform.refused", "job.dropped",
	} {
		m[t] = true
	}
	for _, mode := range modes {
		for _, s := range []string{"started", "write_started", "verified", "verify_failed", "completed", "failed", "refused"} {
			m[mode+"."+s] = true
		}
	}
	return m
}()

func typeLabel(t string) string {
	if eventTypes[t] {
		return t
	}
	return other
}

// refusalCodes are the bot's Refusal codes (guard.go, refusal sites: a test
// reads bot/ to keep the list complete) and the reasons a submission is
// refused for (Detail["why"] of request.refused).
var refusalCodes = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range []string{
		// guard
		"guard_unavailable", "outside_scope", "protected_group", "admin_count", "deny_group", "intentional_lock", "disabled",
		// execution
		"approval_stale", "changed_since_request", "replayed", "account_changed", "rate_limit", "password_expired",
		// submission
		"not_technician", "invalid", "technician_open_limit", "technician_rate_limit", "not_authorized_requester",
		// intentional locks (/lock, /lock release: intentional_lock.refused)
		"not_admin", "privileged", "bot_account", "self", "already_locked", "not_locked", "not_found", "unsupported", "directory_error",
	} {
		m[c] = true
	}
	for _, f := range []bot.FieldID{bot.FieldOrg, bot.FieldMode, bot.FieldTicket, bot.FieldAccount, bot.FieldPassword,
		bot.FieldTemporary, bot.FieldNote, bot.FieldReason} {
		m["invalid_"+string(f)] = true
	}
	return m
}()

// refusalByType names the refusals that carry no code: a click or a
// request refused by who made it rather than by what it asked.
var refusalByType = map[string]string{
	"request.decision_refused": "not_allowed_to_decide",
	"request.retry_refused":    "not_allowed_to_retry",
	"password.reveal_refused":  "not_allowed_to_reveal",
	"platform.refused":         "platform",
}

// isRefusal: every refusal event's type ends so ("reset.refused",
// "request.retry_refused").
func isRefusal(t string) bool { return strings.HasSuffix(t, "refused") }

func refusalReason(typ string, detail map[string]string) string {
	code := detail["code"]
	if code == "" && typ == "request.refused" {
		code = detail["why"]
	}
	if code != "" {
		if refusalCodes[code] {
			return code
		}
		return other
	}
	if r, ok := refusalByType[typ]; ok {
		return r
	}
	return other
}

var platforms = map[string]bool{"slack": true, "teams": true, "cli": true, "demo": true}

// platformLabel takes the event's platform or, for events that carry none,
// the platform part of the actor's key ("slack:T1:U1"); "unknown" for the
// bot's own steps ("system").
func platformLabel(e string, actor string) string {
	p := e
	if p == "" {
		p, _, _ = strings.Cut(actor, ":")
		if p == "system" || p == "" {
			return "unknown"
		}
	}
	if platforms[p] {
		return p
	}
	return other
}

// orgSet is the orgs from the config: each WrapDirectory and WrapTickets
// (or KnownOrgs) adds one. An event naming any other org (a forged
// submission can name anything) is counted as "other".
type orgSet struct {
	mu  sync.RWMutex
	ids map[string]bool
}

func (s *orgSet) add(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	for _, id := range ids {
		if id != "" {
			s.ids[id] = true
		}
	}
}

func (s *orgSet) label(id string) string {
	if id == "" {
		return none
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ids[id] {
		return id
	}
	return other
}
