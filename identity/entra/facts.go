package entra

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// signInRetry: after Graph said sign-in activity is not available (no
// AuditLog.Read.All, or no premium licence), it is asked again this much
// later, not on every lookup.
const signInRetry = time.Hour

// signInState remembers when sign-in activity was last refused.
type signInState struct{ refusedAt atomic.Int64 }

// signIn fills LastLogon from signInActivity when the tenant exposes it.
// It is a fact for the technician, not a guard fact: any failure leaves
// LastLogon zero and nothing else.
func (d *Directory) signIn(ctx context.Context, a *identity.Account) {
	if at := d.signIns.refusedAt.Load(); at != 0 && d.now().Sub(time.Unix(0, at)) < signInRetry {
		return
	}
	s, ok := seg(a.ID)
	if !ok {
		return
	}
	var out struct {
		SignInActivity *struct {
			LastSuccessful string `json:"lastSuccessfulSignInDateTime"`
			LastSignIn     string `json:"lastSignInDateTime"`
		} `json:"signInActivity"`
	}
	err := d.do(ctx, call{method: http.MethodGet, path: "/users/" + s, query: url.Values{"$select": {"id,signInActivity"}}, idempotent: true}, &out)
	if st := graphStatus(err); st == http.StatusForbidden || st == http.StatusBadRequest {
		d.signIns.refusedAt.Store(d.now().UnixNano())
		return
	}
	if err != nil || out.SignInActivity == nil {
		return
	}
	for _, v := range []string{out.SignInActivity.LastSuccessful, out.SignInActivity.LastSignIn} {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			a.LastLogon = t
			return
		}
	}
}
