package superops

import (
	"context"
	"fmt"
)

// Ping is the readiness probe's call, made every few seconds: one getClient
// query for the org's client, authenticated by the token. Health is the
// thorough check and also reads every ticket field.
func (c *Client) Ping(ctx context.Context) error {
	var out struct {
		GetClient *struct {
			Name string `json:"name"`
		} `json:"getClient"`
	}
	if err := c.do(ctx, read, "getClient", qClient, map[string]any{"input": map[string]any{"accountId": c.cfg.CompanyID}}, &out); err != nil {
		return explain(err, c.cfg.CompanyID)
	}
	if out.GetClient == nil {
		return fmt.Errorf("SuperOps has no client with accountId %s: check psa.company_id", c.cfg.CompanyID)
	}
	return nil
}
