package teamstest

import (
	"net/http"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// STUB: replaced by inbound.go (OpenID metadata, JWKS, signing, delivery).

type inbound struct{}

func newInbound(*Server) *inbound      { return &inbound{} }
func (*inbound) routes(*http.ServeMux) {}

// TokenOption changes one thing about the token Authorization signs.
type TokenOption func(*tokenSpec)

type tokenSpec struct{}

// Authorization is the Authorization header the Bot Framework sends with act.
func (s *Server) Authorization(act *schema.Activity, opts ...TokenOption) string { panic("stub") }

// Message is a message activity from u in conv.
func (s *Server) Message(from User, conv Conversation, text string) *schema.Activity { panic("stub") }

// Invoke is an invoke activity from u in conv.
func (s *Server) Invoke(from User, conv Conversation, name string, value map[string]any) *schema.Activity {
	panic("stub")
}

// Deliver signs act and posts it to h's /api/messages, recording the answer.
func (s *Server) Deliver(h http.Handler, act *schema.Activity, opts ...TokenOption) (int, []byte) {
	panic("stub")
}
