// Package teamstest is a strict fake of the Bot Framework as Microsoft
// Teams uses it: the OpenID metadata and JWKS that sign the activities it
// delivers to the bot (inbound.go), the Entra token endpoint the bot gets
// its own token from (token.go), and the connector the bot posts to
// (connector.go), which checks that token and rejects what Teams rejects.
// Cards the connector receives are validated against Microsoft's Adaptive
// Cards schema (cards.go).
package teamstest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Default identities of the fake.
const (
	DefaultAppID    = "8d3f6a8e-2c1b-4b5e-9f00-0000000000a1"
	DefaultTenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	DefaultPassword = "fake-app-password-~1"
)

// Options configure a Server; zero fields take the defaults above.
type Options struct {
	AppID, AppPassword, TenantID string
	// UnvalidatedCards skips the schema check of posted cards: for the load
	// tool only, where checking one form card costs the fake about 3.6 ms
	// of the two cores it shares with the bot it measures.
	UnvalidatedCards bool
}

// User is a Teams user as the Bot Framework names them: MRI is the
// channel-specific id ("29:…") activities carry in from.id; AADObjectID is
// the Entra object id (from.aadObjectId) roles are checked by. Email and
// UPN are their Entra profile's, which the member lookup answers with.
type User struct {
	MRI, AADObjectID, Name string
	Email, UPN             string
}

// Server is the fake. One httptest server serves every endpoint under
// its own path prefix.
type Server struct {
	t    testing.TB
	opts Options
	srv  *httptest.Server

	mu     sync.Mutex
	users  []User
	convs  map[string]*Conversation
	bodies []string

	in   *inbound   // inbound.go
	tok  *tokens    // token.go
	conn *connector // connector.go
}

// New starts the fake; it stops when t ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	if o.AppID == "" {
		o.AppID = DefaultAppID
	}
	if o.AppPassword == "" {
		o.AppPassword = DefaultPassword
	}
	if o.TenantID == "" {
		o.TenantID = DefaultTenantID
	}
	s := &Server{t: t, opts: o, convs: map[string]*Conversation{}}
	mux := http.NewServeMux()
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	s.in = newInbound(s)
	s.tok = newTokens(s)
	s.conn = newConnector(s)
	s.in.routes(mux)   // /openid/…
	s.tok.routes(mux)  // /login/…
	s.conn.routes(mux) // /connector/…
	return s
}

// Options returns the options in effect (defaults filled in).
func (s *Server) Options() Options { return s.opts }

// MetadataURL is the OpenID metadata document (TEAMS_OPENID_METADATA_URL).
func (s *Server) MetadataURL() string {
	return s.srv.URL + "/openid/v1/.well-known/openidconfiguration"
}

// AuthorityURL is the token authority (TEAMS_AUTHORITY_URL); the token
// endpoint is {AuthorityURL}/{tenant}/oauth2/v2.0/token.
func (s *Server) AuthorityURL() string { return s.srv.URL + "/login" }

// ServiceURL is the connector base URL activities carry in serviceUrl.
func (s *Server) ServiceURL() string { return s.srv.URL + "/connector/" }

// Client is an HTTP client for the fake (plain HTTP on loopback).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Conversation is one conversation the fake knows. A channel's root
// conversation id is "19:…@thread.tacv2"; a thread under a message in it
// is that id + ";messageid=" + the message's activity id. A personal chat
// ("a:…") has one member besides the bot.
type Conversation struct {
	ID     string
	Type   string // "personal" or "channel"
	TeamID string // channel: the team's id ("19:…@thread.tacv2" of its General channel)
	// Members are the users who may see it (a channel: the team's members).
	Members []User
}

// AddUser registers a user; Personal(u) is their chat with the bot.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = append(s.users, u)
	c := Conversation{ID: "a:personal-" + u.AADObjectID, Type: "personal", Members: []User{u}}
	s.convs[c.ID] = &c
}

// AddChannel registers a channel of one team, whose members are every
// user added so far and later.
func (s *Server) AddChannel(id, teamID string) Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Conversation{ID: id, Type: "channel", TeamID: teamID}
	s.convs[id] = &c
	return c
}

// Personal is u's personal chat with the bot (AddUser made it).
func (s *Server) Personal(u User) Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.convs["a:personal-"+u.AADObjectID]
}

// UserByID finds a user by MRI or Entra object id.
func (s *Server) UserByID(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.MRI == id || u.AADObjectID == id {
			return u, true
		}
	}
	return User{}, false
}

// conversation returns the root conversation of id (a thread id resolves
// to its channel), the root id and the thread's root activity id ("" for
// no thread).
func (s *Server) conversation(id string) (c Conversation, root string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	root, _, _ = strings.Cut(id, ";messageid=")
	p, ok := s.convs[root]
	if !ok {
		return Conversation{}, "", false
	}
	c = *p
	if c.Type == "channel" {
		c.Members = append([]User(nil), s.users...)
	}
	return c, root, true
}

// record keeps one body that crossed the wire from the bot: a request to
// the connector, or the bot's answer to an activity the fake delivered.
// Token requests are not kept: they carry the client secret.
func (s *Server) record(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bodies = append(s.bodies, string(body))
}

// Bodies is every body the bot sent, in order: what a leak scan reads.
func (s *Server) Bodies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

// Uninstall removes the bot from u's personal scope: their personal chat
// is gone, and the bot can no longer open one with them.
func (s *Server) Uninstall(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.convs, "a:personal-"+u.AADObjectID)
}
