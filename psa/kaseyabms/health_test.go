package kaseyabms_test

import (
	"context"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
)

func TestHealth(t *testing.T) {
	e := newEnv(t)
	if err := e.client(t).Health(context.Background()); err != nil {
		t.Fatalf("healthy config: %v", err)
	}

	e.cfg.CompanyID = "999"
	e.cfg.StatusID, e.cfg.TypeID, e.cfg.PriorityID, e.cfg.SourceID, e.cfg.NoteTypeID, e.cfg.ResolveStatusID = 71, 72, 73, 74, 75, 76
	err := e.client(t).Health(context.Background())
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"no account id 999: check psa.company_id", "ticket status id 71: check psa.kaseya_bms.status_id",
		"ticket type id 72: check psa.kaseya_bms.type_id", "priority id 73: check psa.kaseya_bms.priority_id",
		"ticket source id 74: check psa.kaseya_bms.source_id", "note type id 75: check psa.kaseya_bms.note_type_id",
		"ticket status id 76: check psa.kaseya_bms.resolve_status_id"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}

	e = newEnv(t)
	e.cfg.LocationID = 31 // Other's location
	if err := e.client(t).Health(context.Background()); err == nil || !strings.Contains(err.Error(), "account 250 (Acme) has no location id 31: check psa.kaseya_bms.location_id") {
		t.Fatalf("location: %v", err)
	}

	e = newEnv(t)
	e.cfg.Password = identity.NewSecret("wrong-" + apiPassword)
	err = e.client(t).Health(context.Background())
	if err == nil || !strings.Contains(err.Error(), "refused the login of bot@msp.example to tenant acme-msp") {
		t.Fatalf("bad password: %v", err)
	}
	if strings.Contains(err.Error(), apiPassword) || strings.Contains(e.logs.String(), apiPassword) {
		t.Fatal("the API password leaked")
	}
	if n := e.fake.AuthCalls(); n != 0 {
		t.Fatal("no login may succeed")
	}
	logins := 0
	for _, r := range e.fake.Requests() {
		if r.Path == "/v2/security/authenticate" {
			logins++
		}
	}
	if logins != 1 {
		t.Fatalf("a refused login is not retried, got %d tries", logins)
	}
}
