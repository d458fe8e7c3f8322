package kaseyabms_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// TestSecretsStayOut runs calls that fail in every way the fake can and
// scans errors, logs and the wire: the API password only in the login
// body, the reset password only in an internal note.
func TestSecretsStayOut(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ctx := context.Background()
	reset := "Rst-Pw-9911"
	var errs []error
	tk, err := c.Create(ctx, psa.NewTicket{CompanyID: "250", Summary: "leak scan", IdempotencyKey: "leak"})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Fail5xx(1)
	errs = append(errs, c.AddNote(ctx, tk.ID, psa.Note{Text: "a", Internal: true, Password: identity.NewSecret(reset), IdempotencyKey: "n1"}))
	e.fake.ThrottleInBody(10)
	errs = append(errs, c.AddNote(ctx, tk.ID, psa.Note{Text: "b", Internal: true, Password: identity.NewSecret(reset), IdempotencyKey: "n2"}))
	errs = append(errs, c.AddNote(ctx, tk.ID, psa.Note{Text: "c", Password: identity.NewSecret(reset)}))
	e.fake.ExpireAccessTokens()
	e.cfg.NoteTypeID = 99 // refused by the server inside HTTP 200
	c2 := e.client(t)
	errs = append(errs, c2.AddNote(ctx, tk.ID, psa.Note{Text: "d", Internal: true, Password: identity.NewSecret(reset)}))
	e.cfg.Password = identity.NewSecret("bad-" + apiPassword)
	errs = append(errs, e.client(t).Health(ctx))

	for _, err := range errs {
		if err == nil {
			continue
		}
		for _, s := range []string{reset, apiPassword} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("secret in error: %v", err)
			}
		}
	}
	if !errors.Is(errs[2], psa.ErrSecretInPublicNote) {
		t.Errorf("public note: %v", errs[2])
	}
	if l := e.logs.String(); strings.Contains(l, reset) || strings.Contains(l, apiPassword) {
		t.Errorf("secret in logs:\n%s", l)
	}
	for _, r := range e.fake.Requests() {
		if strings.Contains(r.Body, apiPassword) && r.Path != "/v2/security/authenticate" {
			t.Errorf("API password sent to %s", r.Path)
		}
		if strings.Contains(r.Query+r.Authorization, apiPassword) || strings.Contains(r.Query, reset) {
			t.Errorf("secret in a URL or header: %+v", r)
		}
		if strings.Contains(r.Body, reset) && (!strings.HasSuffix(r.Path, "/notes") || !strings.Contains(r.Body, `"IsInternal":true`)) {
			t.Errorf("reset password outside an internal note: %s %s", r.Path, r.Body)
		}
	}
}
