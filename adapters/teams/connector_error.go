package teams

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Connector operations, as APIError names them.
const (
	opCreateThread   = "create-thread"
	opCreatePersonal = "create-personal"
	opSend           = "send"
	opReply          = "reply"
	opUpdate         = "update"
	opDelete         = "delete"
	opMember         = "member"
)

// Codes of APIErrors that are ours, not Bot Framework's: the request never
// got (or never got a usable) answer from Teams.
const (
	CodeServiceURLNotAllowed = "ServiceURLNotAllowed" // refused before sending
	CodeUnreachable          = "Unreachable"          // no HTTP answer
	CodeBadAnswer            = "BadAnswer"            // 2xx without what it should carry
	CodeEncode               = "Encode"               // the message could not be encoded
	CodeUnauthorized         = "Unauthorized"         // 401, after one token refresh
	CodeThrottled            = "Throttled"            // 429
	CodeServiceError         = "ServiceError"         // 5xx without a code
)

// APIError is a connector call that failed. Code is Bot Framework's error
// code ("ConversationNotFound", "BadArgument", …) or one of the Code*
// constants above. Error is one sentence an admin can act on; it never
// holds the token or the message sent.
type APIError struct {
	Op      string // "send", "reply", "update", "delete", "member", "create-thread", "create-personal"
	Status  int    // HTTP status; 0 when Teams was not reached
	Code    string
	Message string // Teams' own message, first sentence, for codes we do not explain
	Err     error  // the transport or decoding error, when there was one
	host    string
	// retryAfter is the Retry-After of a 429 (at least a second); zero
	// otherwise.
	retryAfter time.Duration
}

func (e *APIError) Unwrap() error { return e.Err }

// RetryAfter is how long Teams asked the bot to wait (zero: not
// throttled), for bot/outbox, which holds the whole conversation that
// long on every replica.
func (e *APIError) RetryAfter() time.Duration { return e.retryAfter }

func (e *APIError) Error() string {
	switch e.Code {
	case CodeServiceURLNotAllowed:
		return fmt.Sprintf("refused to send to service URL %q: it is not a Bot Framework connector this bot trusts, so the bot's token was not sent there", e.host)
	case CodeUnreachable:
		return fmt.Sprintf("Teams did not answer at %s (%v): try again in a minute", e.host, e.Err)
	case CodeBadAnswer:
		return fmt.Sprintf("Teams answered the %s call with HTTP %d but not as Bot Framework does (%v)", e.Op, e.Status, e.Err)
	case CodeEncode:
		return fmt.Sprintf("the %s message could not be encoded (%v)", e.Op, e.Err)
	}
	s := e.what() + ": " + e.Code
	if why := e.why(); why != "" {
		s += " (" + why + ")"
	}
	return s
}

// what names the refused thing the way a helpdesk admin thinks of it.
func (e *APIError) what() string {
	switch e.Op {
	case opCreateThread:
		return "Teams refused to start the thread"
	case opCreatePersonal:
		return "Teams refused to open the personal chat"
	case opUpdate:
		return "Teams refused the update"
	case opDelete:
		return "Teams refused to delete the message"
	case opMember:
		return "Teams refused the member lookup"
	}
	return "Teams refused the message"
}

// why explains a code, falling back to Teams' own first sentence.
func (e *APIError) why() string {
	switch e.Code {
	case "ConversationNotFound":
		return "the conversation is gone or the bot was removed from it"
	case "ActivityNotFoundInConversation":
		return "the message it refers to no longer exists"
	case "MemberNotFoundInConversation":
		return "that user is not a member of the conversation"
	case "MessageSizeTooBig":
		return "the message is over Teams' 28 KB limit"
	case "BotNotInConversationRoster", "Forbidden":
		if e.Op == opCreatePersonal {
			return "the unlockbot app is not installed for that user: install it for them or for the team"
		}
		return "the bot is not in that team or chat: add the unlockbot app to the team"
	case CodeUnauthorized:
		return "HTTP 401 even with a fresh token: check that TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID are those of the Azure Bot"
	case CodeThrottled:
		return "Teams is rate-limiting the bot: try again in a minute"
	case CodeServiceError:
		return fmt.Sprintf("HTTP %d: Teams had a problem, try again in a minute", e.Status)
	}
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("HTTP %d", e.Status)
}

// apiError reads a Bot Framework error answer:
// {"error":{"code":…,"message":…}}, or {"message":…} on a 401.
func apiError(op string, a connAttempt) *APIError {
	e := &APIError{Op: op, Status: a.status}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(a.raw, &body) == nil {
		e.Code, e.Message = body.Error.Code, body.Error.Message
		if e.Message == "" {
			e.Message = body.Message
		}
	}
	switch {
	case a.status == http.StatusUnauthorized:
		e.Code = CodeUnauthorized
	case a.status == http.StatusTooManyRequests:
		e.Code = CodeThrottled
		e.retryAfter = max(a.wait, time.Second)
	case e.Code == "" && a.status >= 500:
		e.Code = CodeServiceError
	case e.Code == "":
		e.Code = http.StatusText(a.status)
		if e.Code == "" {
			e.Code = fmt.Sprintf("HTTP%d", a.status)
		}
		e.Code = strings.ReplaceAll(e.Code, " ", "")
	}
	e.Message = clipTeams(e.Message, 200)
	return e
}

// clipTeams shortens Teams' message to its first line and n runes: it goes in
// one sentence, not a dump.
func clipTeams(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}
