// Package slacktest is a strict, stateful fake of the Slack Web API methods
// unlockbot calls. It speaks the real wire protocol over httptest, checks
// the bearer token, required arguments and Block Kit limits the way Slack
// does (answering ok:false with Slack's error strings), and records every
// call so tests can assert on what was sent.
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/adaptertest/linelimit"
)

// Call is one request the fake received.
type Call struct {
	Method string
	Args   map[string]any // JSON body, or form values (string each)
	Body   string         // the raw body, for leak scans
	At     time.Time      // when the request arrived (latency measurements)
}

// Str returns a string argument ("" when absent).
func (c Call) Str(name string) string {
	s, _ := c.Args[name].(string)
	return s
}

// Message is a message as the fake holds it.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	Blocks   []any
}

// Server is the fake. Create it with New.
type Server struct {
	*httptest.Server
	Token string

	mu        sync.Mutex
	calls     []Call
	messages  map[string]*Message // channel+"/"+ts
	groups    map[string][]string
	groupFail map[string]string // group id → error code, every call
	held      map[string]*Held  // group id → the next call waits
	ws        Workspace
	users     map[string]string // id → display name (users.info)
	outside   map[string]bool   // channels the bot is not in
	limited   map[string]int    // method → Retry-After seconds for the next call
	failNext  map[string]string
	nextTS    int
	nextView  int
	views     map[string]string // open view id -> current hash
	chans     *linelimit.Lines  // nil: channels are not limited (ratelimit.go)
	rejected  []Call

	emails map[string]emailUser // users.lookupByEmail (email.go)
}

// New starts a fake that accepts token (an xoxb- bot token).
func New(t testing.TB, token string) *Server {
	s := &Server{Token: token, messages: map[string]*Message{}, groups: map[string][]string{},
		groupFail: map[string]string{}, held: map[string]*Held{}, ws: defaultWorkspace(),
		outside: map[string]bool{}, users: map[string]string{}, limited: map[string]int{}, failNext: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// SetUser gives users.info a display name for id; unknown ids answer
// user_not_found, as Slack does.
func (s *Server) SetUser(id, displayName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = displayName
}

func (s *Server) userInfo(c Call) answer {
	id := c.Str("user")
	if id == "" {
		return fail2("missing_argument")
	}
	s.mu.Lock()
	name, ok := s.users[id]
	addr, u, hasMail := s.emailOf(id)
	team := s.ws.TeamID
	s.mu.Unlock()
	if !ok && !hasMail {
		return fail2("user_not_found")
	}
	profile := map[string]any{"display_name": name, "real_name": name}
	if hasMail {
		profile["email"] = addr // with users:read.email, as the bot's token has
	}
	return answer{"ok": true, "user": map[string]any{"id": id, "name": strings.ToLower(id), "real_name": name,
		"deleted": u.deleted, "is_bot": false, "team_id": team, "profile": profile}}
}

// APIURL is the base to give the client (ends in "/").
func (s *Server) APIURL() string { return s.URL + "/api/" }

// SetGroup sets the members of a user group (S…).
func (s *Server) SetGroup(id string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = users
}

// NotInChannel makes posts to channel fail with not_in_channel.
func (s *Server) NotInChannel(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outside[channel] = true
}

// RateLimitOnce answers the next call of method with HTTP 429 and
// Retry-After: seconds.
func (s *Server) RateLimitOnce(method string, seconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited[method] = seconds
}

// FailNext answers the next call of method with ok:false and code.
func (s *Server) FailNext(method, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[method] = code
}

// Calls returns the recorded calls of the given methods (all when none).
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns every message the fake holds, as it is now (updates
// applied), in no promised order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages))
	for _, m := range s.messages {
		out = append(out, *m)
	}
	return out
}

// Message returns a posted message by channel and ts.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[channel+"/"+ts]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

func contains(set []string, v string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

type answer map[string]any

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	at := time.Now()
	raw, _ := io.ReadAll(r.Body)
	call := Call{Method: method, Body: string(raw), Args: map[string]any{}, At: at}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var perr error
	switch ctype {
	case "application/json":
		perr = json.Unmarshal(raw, &call.Args)
	case "application/x-www-form-urlencoded":
		var v url.Values
		v, perr = url.ParseQuery(string(raw))
		for k := range v {
			call.Args[k] = v.Get(k)
		}
	default:
		perr = fmt.Errorf("content type %q", ctype)
	}

	s.mu.Lock()
	s.calls = append(s.calls, call)
	wait, limited := s.limited[method]
	delete(s.limited, method)
	fail := s.failNext[method]
	delete(s.failNext, method)
	s.mu.Unlock()

	if limited {
		tooMany(w, wait)
		return
	}
	if secs := s.overLimit(call, at); secs >= 0 {
		tooMany(w, secs)
		return
	}
	var res answer
	switch {
	case r.Header.Get("Authorization") == "":
		res = fail2("not_authed")
	case r.Header.Get("Authorization") != "Bearer "+s.Token || !strings.HasPrefix(s.Token, "xoxb-"):
		res = fail2("invalid_auth")
	case perr != nil:
		res = fail2("invalid_request_data")
	case fail != "":
		res = fail2(fail)
	default:
		code, ok := s.holdGroup(r, call)
		switch {
		case !ok:
			return // the client gave up on a held call
		case code != "":
			res = fail2(code)
		default:
			res = s.dispatch(call)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

func fail2(code string, msgs ...string) answer {
	a := answer{"ok": false, "error": code}
	if len(msgs) > 0 {
		a["response_metadata"] = map[string]any{"messages": msgs}
	}
	return a
}

func (s *Server) dispatch(c Call) answer {
	switch c.Method {
	case "auth.test":
		return s.authTest()
	case "bots.info":
		return s.botsInfo(c)
	case "usergroups.users.list":
		return s.groupUsers(c)
	case "users.info":
		return s.userInfo(c)
	case "users.lookupByEmail":
		return s.lookupByEmail(c)
	case "chat.postMessage":
		return s.postMessage(c)
	case "chat.update":
		return s.update(c)
	case "chat.postEphemeral":
		return s.postEphemeral(c)
	case "views.open", "views.update":
		return s.view(c)
	}
	return fail2("unknown_method")
}

// messageArgs checks what every message method needs.
func (s *Server) messageArgs(c Call) (string, []any, answer) {
	ch := c.Str("channel")
	if ch == "" {
		return "", nil, fail2("channel_not_found")
	}
	s.mu.Lock()
	out := s.outside[ch]
	s.mu.Unlock()
	if out {
		return "", nil, fail2("not_in_channel")
	}
	blocks, err := blocksArg(c.Args["blocks"])
	if err != nil {
		return "", nil, fail2("invalid_blocks_format", err.Error())
	}
	if c.Str("text") == "" && len(blocks) == 0 {
		return "", nil, fail2("no_text")
	}
	if len(c.Str("text")) > 40000 {
		return "", nil, fail2("msg_too_long")
	}
	if errs := checkBlocks(blocks, maxMessageBlocks, surfaceMessage); len(errs) > 0 {
		return "", nil, fail2("invalid_blocks", errs...)
	}
	return ch, blocks, nil
}

func blocksArg(v any) ([]any, error) {
	switch b := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return b, nil
	case string: // form-encoded clients send blocks as a JSON string
		var out []any
		if err := json.Unmarshal([]byte(b), &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("blocks must be an array")
}

func (s *Server) postMessage(c Call) answer {
	ch, blocks, bad := s.messageArgs(c)
	if bad != nil {
		return bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	thread := c.Str("thread_ts")
	if thread != "" {
		if _, ok := s.messages[ch+"/"+thread]; !ok {
			return fail2("thread_not_found")
		}
	}
	s.nextTS++
	ts := fmt.Sprintf("1700000000.%06d", s.nextTS)
	s.messages[ch+"/"+ts] = &Message{Channel: ch, TS: ts, ThreadTS: thread, Text: c.Str("text"), Blocks: blocks}
	return answer{"ok": true, "channel": ch, "ts": ts}
}

func (s *Server) update(c Call) answer {
	ch, blocks, bad := s.messageArgs(c)
	if bad != nil {
		return bad
	}
	ts := c.Str("ts")
	if ts == "" {
		return fail2("missing_argument")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[ch+"/"+ts]
	if !ok {
		return fail2("message_not_found")
	}
	m.Text, m.Blocks = c.Str("text"), blocks
	return answer{"ok": true, "channel": ch, "ts": ts}
}

func (s *Server) postEphemeral(c Call) answer {
	if _, _, bad := s.messageArgs(c); bad != nil {
		return bad
	}
	if c.Str("user") == "" {
		return fail2("user_not_found")
	}
	return answer{"ok": true, "message_ts": "1700000000.999999"}
}
