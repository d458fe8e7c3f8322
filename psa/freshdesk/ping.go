package freshdesk

import (
	"context"
	"net/http"
)

// Ping is the readiness probe's call, made every few seconds: one
// authenticated GET of the key's own agent
// (https://developers.freshdesk.com/api/#me). Health is the thorough check.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.call(ctx, request{op: "freshdesk.Ping", method: http.MethodGet, path: "/agents/me"}, nil)
	return err
}
