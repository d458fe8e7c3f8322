package slacktest

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// ChannelLimit is the per-channel rate the fake enforces on chat.postMessage,
// chat.update and chat.postEphemeral, as Slack does on posting ("1 per
// second, short bursts >1 allowed"): after a quiet spell Burst calls may
// come at once, then one per Interval. Give the fake one more Burst than
// the client paces itself with: the network's jitter bunches calls up a
// little, and Slack tolerates that too.
type ChannelLimit struct {
	Interval time.Duration
	Burst    int
}

// chanState is one channel's limit and what it saw.
type chanState struct {
	tat      time.Time   // theoretical arrival time of the next call
	accepted []time.Time // arrival of every call let through
	rejected int
}

// LimitChannels turns per-channel limiting on (off by default: tests that
// do not ask for it are not limited). A call over the limit is answered
// HTTP 429 with Retry-After and {"ok":false,"error":"ratelimited"}, and
// recorded in Rejected.
func (s *Server) LimitChannels(l ChannelLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l.Burst = max(l.Burst, 1)
	s.chanLimit = &l
	s.chans = map[string]*chanState{}
}

// Rejected returns the calls a channel limit answered with 429.
func (s *Server) Rejected() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.rejected...)
}

// ChannelStats is what one channel saw under LimitChannels.
type ChannelStats struct {
	Accepted, Rejected int
	// Peak is the most calls let through in any span of the window given
	// to Stats: under the limit it is at most Burst + window/Interval.
	Peak int
	// First and Last are when the first and last accepted calls arrived.
	First, Last time.Time
}

// Stats returns what channel saw, its peak counted over window.
func (s *Server) Stats(channel string, window time.Duration) ChannelStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chans[channel]
	if c == nil {
		return ChannelStats{}
	}
	st := ChannelStats{Accepted: len(c.accepted), Rejected: c.rejected}
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

// overLimit applies the channel limit to a chat call arriving at at. It
// returns the Retry-After in seconds, or -1 when the call may go on.
func (s *Server) overLimit(c Call, at time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.chanLimit
	ch := c.Str("channel")
	if l == nil || ch == "" || !contains([]string{"chat.postMessage", "chat.update", "chat.postEphemeral"}, c.Method) {
		return -1
	}
	st := s.chans[ch]
	if st == nil {
		st = &chanState{tat: at}
		s.chans[ch] = st
	}
	tat := st.tat
	if tat.Before(at) {
		tat = at
	}
	allowed := tat.Add(-time.Duration(l.Burst-1) * l.Interval)
	if at.Before(allowed) {
		st.rejected++
		s.rejected = append(s.rejected, c)
		return max(1, int(math.Ceil(allowed.Sub(at).Seconds())))
	}
	st.tat = tat.Add(l.Interval)
	st.accepted = append(st.accepted, at)
	return -1
}

// tooMany answers 429 the way Slack does.
func tooMany(w http.ResponseWriter, seconds int) {
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
}
