package teamstest

import (
	"encoding/json"
	"net/http"
)

// STUB: replaced by token.go and connector.go.

type tokens struct{}

func newTokens(*Server) *tokens       { return &tokens{} }
func (*tokens) routes(*http.ServeMux) {}

type connector struct{}

func newConnector(*Server) *connector    { return &connector{} }
func (*connector) routes(*http.ServeMux) {}

// Posted is one activity the bot posted, in its latest state.
type Posted struct {
	ID             string
	ConversationID string // the conversation it was posted to (a thread id for a reply)
	ReplyToID      string
	Text           string
	Card           json.RawMessage // the first Adaptive Card attachment's content, or nil
	Versions       int             // 1 + the number of updates
}

// Activities are the activities in conversation id (a channel's root id
// includes its threads' replies), oldest first, in their latest state.
func (s *Server) Activities(convID string) []Posted { panic("stub") }
