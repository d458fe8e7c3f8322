package teams

import (
	"encoding/json"

	"github.com/unlockbot/unlockbot/bot"
)

// invokeResponse is the body of an answer to an invoke (adaptiveCard/action,
// application/search): Teams reads the status and type from the body, the
// HTTP status being 200 for any answer Teams should show.
type invokeResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value,omitempty"`
}

// maxSearchResults is what Teams' type-ahead shows (its dropdown holds 15);
// more would only make the answer bigger.
const maxSearchResults = 15

// The status and type of a card answer.
const (
	cardStatus = 200
	cardType   = "application/vnd.microsoft.card.adaptive"
)

// cardAnswer replaces the card, for the person who clicked, with card.
func cardAnswer(card json.RawMessage) invokeResponse {
	return invokeResponse{StatusCode: cardStatus, Type: cardType, Value: card}
}

// messageAnswer shows text to the person who clicked (the card stays).
func messageAnswer(text string) invokeResponse {
	return invokeResponse{StatusCode: 200, Type: "application/vnd.microsoft.activity.message", Value: text}
}

type searchResult struct {
	Value string `json:"value"`
	Title string `json:"title"`
}

type searchResults struct {
	Results []searchResult `json:"results"` // [] for no match, never null
}

// searchAnswer answers a type-ahead's application/search invoke.
func searchAnswer(opts []bot.Option) invokeResponse {
	res := searchResults{Results: []searchResult{}}
	for _, o := range opts[:min(len(opts), maxSearchResults)] {
		c := option(o)
		res.Results = append(res.Results, searchResult{Value: c.Value, Title: c.Title})
	}
	return invokeResponse{StatusCode: 200, Type: "application/vnd.microsoft.search.searchResponse", Value: res}
}

type invokeError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorAnswer refuses an invoke; Teams shows message to the person who
// clicked. message must be a safe sentence (bot.UserSentence), never an
// error's chain.
func errorAnswer(status int, code, message string) invokeResponse {
	return invokeResponse{StatusCode: status, Type: "application/vnd.microsoft.error", Value: invokeError{Code: code, Message: message}}
}
