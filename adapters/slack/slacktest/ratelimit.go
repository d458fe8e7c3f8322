package slacktest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/unlockbot/unlockbot/adapters/adaptertest/linelimit"
)

// ChannelLimit is the per-channel rate the fake enforces on chat.postMessage,
// chat.update and chat.postEphemeral, as Slack does on posting ("1 per
// second, short bursts >1 allowed"): after a quiet spell Burst calls may
// come at once, then one per Interval. Give the fake one more Burst than
// the client paces itself with: the network's jitter bunches calls up a
// little, and Slack tolerates that too.
type ChannelLimit = linelimit.Limit

// ChannelStats is what one channel saw under LimitChannels (Peak: the
// most calls let through in any span of the window given to Stats).
type ChannelStats = linelimit.Stats

// LimitChannels turns per-channel limiting on (off by default: tests that
// do not ask for it are not limited). A call over the limit is answered
// HTTP 429 with Retry-After and {"ok":false,"error":"ratelimited"}, and
// recorded in Rejected.
func (s *Server) LimitChannels(l ChannelLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chans = linelimit.New(l)
}

// Rejected returns the calls a channel limit answered with 429.
func (s *Server) Rejected() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.rejected...)
}

// Stats returns what channel saw, its peak counted over window.
func (s *Server) Stats(channel string, window time.Duration) ChannelStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chans == nil {
		return ChannelStats{}
	}
	return s.chans.Stats(channel, window)
}

// overLimit applies the channel limit to a chat call arriving at at. It
// returns the Retry-After in seconds, or -1 when the call may go on.
func (s *Server) overLimit(c Call, at time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := c.Str("channel")
	if s.chans == nil || ch == "" || !contains([]string{"chat.postMessage", "chat.update", "chat.postEphemeral"}, c.Method) {
		return -1
	}
	secs := s.chans.Admit(ch, at)
	if secs >= 0 {
		s.rejected = append(s.rejected, c)
	}
	return secs
}

// tooMany answers 429 the way Slack does.
func tooMany(w http.ResponseWriter, seconds int) {
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
}
