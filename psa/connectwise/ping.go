package connectwise

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// Ping is the readiness probe's call, made every few seconds: one
// authenticated GET of the org's company (id only). Health is the thorough
// check for `unlockbot check`; it costs five calls and reads whole boards.
func (c *Client) Ping(ctx context.Context) error {
	cid, err := companyID(c.cfg.CompanyID)
	if err != nil {
		return err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: "/company/companies/" + strconv.Itoa(cid), idempotent: true,
		query: url.Values{"fields": {"id"}}, out: &struct{}{}})
	return c.explain("read company "+strconv.Itoa(cid), err)
}
