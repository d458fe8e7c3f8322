package teamstest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/adapters/adaptertest/linelimit"
)

// MaxActivityBytes is Teams' message size limit ("about 28 KB"): a
// larger request body is refused with 413 MessageSizeTooBig.
const MaxActivityBytes = 28 << 10

// Call kinds, the keys of Calls.
const (
	CallCreate = "create"
	CallSend   = "send"
	CallReply  = "reply"
	CallUpdate = "update"
	CallDelete = "delete"
	CallMember = "member"
)

// connector is the Bot Framework connector (v3 REST API) as Teams serves
// it: it checks the bearer token the token endpoint issued, keeps every
// activity the bot posted, and refuses what Teams refuses with Teams'
// error codes. Every request body is recorded (Server.Bodies), before any
// check, so a leak scan sees rejected bodies too.
type connector struct {
	s *Server

	mu         sync.Mutex
	acts       []*activity          // in the order posted
	byKey      map[string]*activity // root conversation id + "\x00" + activity id
	nextID     int64
	calls      map[string]int
	throttleN  int
	retryAfter time.Duration
	failN      int
	failStatus int
	limited    *linelimit.Lines // ratelimit.go; nil: off
	rejected   []Rejected
	deleted    map[string][]string // root conversation id → ids deleted, in order
}

// activity is a posted activity and where it sits: root is the root
// conversation (the channel, or the personal chat); thread, in a channel,
// is the id of the thread's first message.
type activity struct {
	Posted
	root, thread string
	byUser       bool // a person's message the fake delivered: the bot may reply to it, it did not post it
}

// Deleted lists the ids of the activities the bot deleted from
// conversation convID's root, in the order it deleted them.
func (s *Server) Deleted(convID string) []string {
	root, _, _ := strings.Cut(convID, ";messageid=")
	s.conn.mu.Lock()
	defer s.conn.mu.Unlock()
	return slices.Clone(s.conn.deleted[root])
}

// userMessage records a message the fake delivers to the bot, so the bot
// can reply to it as it can in Teams; Activities does not list it.
func (c *connector) userMessage(convID, id string) {
	root, thread, _ := strings.Cut(convID, ";messageid=")
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey[root+"\x00"+id] = &activity{Posted: Posted{ID: id, ConversationID: convID}, root: root, thread: thread, byUser: true}
}

// Posted is one activity the bot posted, in its latest state.
type Posted struct {
	ID             string
	ConversationID string // the conversation it was posted to (a thread id "<channel>;messageid=<root>" in a channel)
	ReplyToID      string
	Text           string
	Summary        string
	Card           json.RawMessage // the first Adaptive Card attachment's content, or nil
	Versions       int             // 1 + the number of updates
	At             time.Time       // when the fake received it (the load tool times the bot by it)
}

func newConnector(s *Server) *connector {
	return &connector{s: s, byKey: map[string]*activity{}, nextID: 1700000000000, calls: map[string]int{}}
}

func (c *connector) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /connector/v3/conversations", c.create)
	mux.HandleFunc("POST /connector/v3/conversations/{conv}/activities", c.send)
	mux.HandleFunc("POST /connector/v3/conversations/{conv}/activities/{id}", c.reply)
	mux.HandleFunc("PUT /connector/v3/conversations/{conv}/activities/{id}", c.update)
	mux.HandleFunc("DELETE /connector/v3/conversations/{conv}/activities/{id}", c.remove)
	mux.HandleFunc("GET /connector/v3/conversations/{conv}/members/{user}", c.member)
}

// Throttle makes the next n authorised connector calls answer 429 with
// Retry-After (whole seconds, rounded up).
func (s *Server) Throttle(n int, retryAfter time.Duration) {
	s.conn.mu.Lock()
	defer s.conn.mu.Unlock()
	s.conn.throttleN, s.conn.retryAfter = n, retryAfter
}

// FailNext makes the next n authorised connector calls answer status
// (a 5xx: Teams having a bad minute).
func (s *Server) FailNext(n, status int) {
	s.conn.mu.Lock()
	defer s.conn.mu.Unlock()
	s.conn.failN, s.conn.failStatus = n, status
}

// Calls counts the connector requests received per kind (CallCreate, …),
// every attempt, refused ones included: what a retry test asserts on.
func (s *Server) Calls() map[string]int {
	s.conn.mu.Lock()
	defer s.conn.mu.Unlock()
	return maps.Clone(s.conn.calls)
}

// Activities are the activities in conversation id (a channel's root id
// includes its threads' replies; a thread id only that thread), oldest
// first, in their latest state.
func (s *Server) Activities(convID string) []Posted {
	_, root, ok := s.conversation(convID)
	if !ok {
		return nil
	}
	_, thread, _ := strings.Cut(convID, ";messageid=")
	s.conn.mu.Lock()
	defer s.conn.mu.Unlock()
	var out []Posted
	for _, a := range s.conn.acts {
		if a.root == root && (thread == "" || a.thread == thread) {
			out = append(out, a.Posted)
		}
	}
	return out
}

// Activity is activity id in conversation convID (or its channel), in its
// latest state.
func (s *Server) Activity(convID, id string) (Posted, bool) {
	_, root, ok := s.conversation(convID)
	if !ok {
		return Posted{}, false
	}
	s.conn.mu.Lock()
	defer s.conn.mu.Unlock()
	a, ok := s.conn.byKey[root+"\x00"+id]
	if !ok {
		return Posted{}, false
	}
	return a.Posted, true
}

// begin does what every connector request goes through, in Teams' order:
// record the body, check the token, throttling and injected failures,
// the content type and size. ok false means it has answered.
func (c *connector) begin(w http.ResponseWriter, r *http.Request, kind string) (body []byte, ok bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		bfError(w, http.StatusBadRequest, "BadArgument", "The request body could not be read.")
		return nil, false
	}
	if len(body) > 0 {
		c.s.record(body)
	}
	c.mu.Lock()
	c.calls[kind]++
	c.mu.Unlock()

	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found || !c.s.tok.valid(tok) {
		jsonAnswer(w, http.StatusUnauthorized, map[string]string{"message": "Authorization has been denied for this request."})
		return nil, false
	}
	if secs := c.overLimit(r, kind, body, time.Now()); secs >= 0 {
		throttle(w, secs)
		return nil, false
	}
	c.mu.Lock()
	throttled, wait := c.throttleN > 0, c.retryAfter
	if throttled {
		c.throttleN--
	}
	failed, status := !throttled && c.failN > 0, c.failStatus
	if failed {
		c.failN--
	}
	c.mu.Unlock()
	if throttled {
		throttle(w, int(math.Ceil(wait.Seconds())))
		return nil, false
	}
	if failed {
		bfError(w, status, "ServiceError", "An error occurred while processing the request.")
		return nil, false
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
			bfError(w, http.StatusUnsupportedMediaType, "BadArgument", "The request entity's media type '"+ct+"' is not supported for this resource.")
			return nil, false
		}
	}
	if len(body) > MaxActivityBytes {
		bfError(w, http.StatusRequestEntityTooLarge, "MessageSizeTooBig", "Activity body too large for processing.")
		return nil, false
	}
	return body, true
}

// throttle answers 429 as the Bot Connector does.
func throttle(w http.ResponseWriter, seconds int) {
	w.Header().Set("Retry-After", fmt.Sprint(seconds))
	bfError(w, http.StatusTooManyRequests, "Throttled", "The request was throttled; retry after the time in Retry-After.")
}

// bfError answers a Bot Framework error: {"error":{"code","message"}}.
func bfError(w http.ResponseWriter, status int, code, msg string) {
	jsonAnswer(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// post stores a new activity and returns it.
func (c *connector) post(in inActivity, channel bool, root, thread, convID, replyTo string) *activity {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	a := &activity{root: root, thread: thread, Posted: Posted{
		ID: fmt.Sprint(c.nextID), ConversationID: convID, ReplyToID: replyTo,
		Text: in.Text, Summary: in.Summary, Card: in.card(), Versions: 1, At: time.Now(),
	}}
	if channel && thread == "" {
		a.thread = a.ID // a new channel post starts its own thread
		a.ConversationID = root + ";messageid=" + a.ID
	}
	c.acts = append(c.acts, a)
	c.byKey[root+"\x00"+a.ID] = a
	return a
}

// find returns activity id of root, nil if there is none (or, when thread
// is set, none in that thread).
func (c *connector) find(root, thread, id string) *activity {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.byKey[root+"\x00"+id]
	if a == nil || (thread != "" && a.thread != thread) {
		return nil
	}
	return a
}
