package kaseyabms

import "context"

// Ping is the readiness probe's call, made every few seconds: one
// authenticated GET of the org's account summary. It reuses the cached
// token, so it does not spend the security endpoints' hourly quota; Health
// is the thorough check and reads every lookup table.
func (c *Client) Ping(ctx context.Context) error {
	var acct accountDTO
	return c.call(ctx, request{op: "ping: read account " + c.cfg.CompanyID, method: "GET",
		path: "/v2/crm/accounts/summary/" + c.cfg.CompanyID, out: &acct})
}
