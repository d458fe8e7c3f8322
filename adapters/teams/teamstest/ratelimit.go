package teamstest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/adapters/adaptertest/linelimit"
)

// ConversationLimit is the per-conversation rate the fake enforces, as
// the Bot Connector's "per bot per thread" limit does: after a quiet
// spell Burst calls may come at once, then one per Interval. A
// conversation is a personal chat or a whole channel (its threads
// included). Sends, replies, updates and new threads in a channel all
// count against it; opening a personal chat and member lookups do not
// (Teams counts those apart, at other rates). Give the fake one more
// Burst than the bot paces itself with: the network bunches calls up a
// little, and Teams' windows tolerate that too.
type ConversationLimit = linelimit.Limit

// ConversationStats is what one conversation saw under LimitConversations
// (Peak: the most calls let through in any span of the window given to
// Stats).
type ConversationStats = linelimit.Stats

// Rejected is one call a conversation limit answered with 429.
type Rejected struct {
	Kind         string // CallSend, CallReply, CallUpdate, CallCreate
	Conversation string // the conversation counted: a channel or personal chat id
	At           time.Time
}

// LimitConversations turns per-conversation limiting on (off by default:
// tests that do not ask for it are not limited). A call over the limit
// is answered HTTP 429 with Retry-After in whole seconds and Bot
// Framework's {"error":{"code":"Throttled"}}, and recorded in Rejected.
func (s *Server) LimitConversations(l ConversationLimit) {
	s.conn.mu.Lock()
	defer s.conn.mu.Unlock()
	s.conn.limited = linelimit.New(l)
	s.conn.rejected = nil
}

// Rejected returns the calls a conversation limit answered with 429.
func (s *Server) Rejected() []Rejected {
	s.conn.mu.Lock()
	defer s.conn.mu.Unlock()
	return append([]Rejected(nil), s.conn.rejected...)
}

// Stats returns what conversation conv (a channel or personal chat id;
// a thread id counts as its channel) saw, its peak counted over window.
func (s *Server) Stats(conv string, window time.Duration) ConversationStats {
	root, _, _ := strings.Cut(conv, ";messageid=")
	s.conn.mu.Lock()
	defer s.conn.mu.Unlock()
	if s.conn.limited == nil {
		return ConversationStats{}
	}
	return s.conn.limited.Stats(root, window)
}

// limitedConversation is the conversation a connector request counts
// against, "" for one the limit does not cover.
func limitedConversation(r *http.Request, kind string, body []byte) string {
	switch kind {
	case CallSend, CallReply, CallUpdate:
		root, _, _ := strings.Cut(r.PathValue("conv"), ";messageid=")
		return root
	case CallCreate:
		var b createBody
		if json.Unmarshal(body, &b) == nil && b.IsGroup && b.ChannelData.Channel != nil {
			return b.ChannelData.Channel.ID
		}
	}
	return ""
}

// overLimit applies the conversation limit to a call arriving at at. It
// returns the Retry-After in seconds, or -1 when the call may go on.
func (c *connector) overLimit(r *http.Request, kind string, body []byte, at time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	conv := limitedConversation(r, kind, body)
	if c.limited == nil || conv == "" {
		return -1
	}
	secs := c.limited.Admit(conv, at)
	if secs >= 0 {
		c.rejected = append(c.rejected, Rejected{Kind: kind, Conversation: conv, At: at})
	}
	return secs
}
