package teamstest

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"time"
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
type ConversationLimit struct {
	Interval time.Duration
	Burst    int
}

// Rejected is one call a conversation limit answered with 429.
type Rejected struct {
	Kind         string // CallSend, CallReply, CallUpdate, CallCreate
	Conversation string // the conversation counted: a channel or personal chat id
	At           time.Time
}

// ConversationStats is what one conversation saw under LimitConversations.
type ConversationStats struct {
	Accepted, Rejected int
	// Peak is the most calls let through in any span of the window given
	// to Stats: under the limit it is at most Burst + window/Interval.
	Peak int
	// First and Last are when the first and last accepted calls arrived.
	First, Last time.Time
}

// convState is one conversation's limit and what it saw.
type convState struct {
	tat      time.Time   // theoretical arrival time of the next call
	accepted []time.Time // arrival of every call let through
	rejected int
}

// LimitConversations turns per-conversation limiting on (off by default:
// tests that do not ask for it are not limited). A call over the limit
// is answered HTTP 429 with Retry-After in whole seconds and Bot
// Framework's {"error":{"code":"Throttled"}}, and recorded in Rejected.
func (s *Server) LimitConversations(l ConversationLimit) {
	c := s.conn
	c.mu.Lock()
	defer c.mu.Unlock()
	l.Burst = max(l.Burst, 1)
	c.limit = &l
	c.limited = map[string]*convState{}
	c.rejected = nil
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
	c := s.conn.limited[root]
	if c == nil {
		return ConversationStats{}
	}
	st := ConversationStats{Accepted: len(c.accepted), Rejected: c.rejected}
	if len(c.accepted) > 0 {
		st.First, st.Last = c.accepted[0], c.accepted[len(c.accepted)-1]
	}
	lo := 0
	for hi, at := range c.accepted {
		for at.Sub(c.accepted[lo]) >= window {
			lo++
		}
		st.Peak = max(st.Peak, hi-lo+1)
	}
	return st
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
	l := c.limit
	if l == nil {
		return -1
	}
	conv := limitedConversation(r, kind, body)
	if conv == "" {
		return -1
	}
	st := c.limited[conv]
	if st == nil {
		st = &convState{tat: at}
		c.limited[conv] = st
	}
	tat := st.tat
	if tat.Before(at) {
		tat = at
	}
	allowed := tat.Add(-time.Duration(l.Burst-1) * l.Interval)
	if at.Before(allowed) {
		st.rejected++
		c.rejected = append(c.rejected, Rejected{Kind: kind, Conversation: conv, At: at})
		return max(1, int(math.Ceil(allowed.Sub(at).Seconds())))
	}
	st.tat = tat.Add(l.Interval)
	st.accepted = append(st.accepted, at)
	return -1
}
