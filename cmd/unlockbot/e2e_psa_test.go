package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
	"github.com/unlockbot/unlockbot/psa/connectwise/connectwisetest"
	"github.com/unlockbot/unlockbot/psa/freshdesk/freshdesktest"
	"github.com/unlockbot/unlockbot/psa/kaseyabms/kaseyabmstest"
	"github.com/unlockbot/unlockbot/psa/superops/superopstest"
)

// psaUnderTest is one vendor's fake, seeded for the org "lab", the psa
// block that points the org at it, and what the fake holds afterwards.
type psaUnderTest struct {
	block string // the org's psa: block, indented four spaces
	down  func() // the PSA stops answering (5xx on every call)
	up    func()
	// ticket is what the fake holds of the one ticket of the lab's
	// company: its summary, unlockbot's internal note (the note's text),
	// whether that note is internal with notifications off, and whether
	// the ticket is closed.
	ticket func(t *testing.T) (summary, note string, internal, closed bool)
}

// TestSlackFlowWithEachPSA is the whole Slack flow once per PSA, Redis and
// Samba real, the PSA its strict fake: the account locked for real is
// unlocked and reset, and the PSA holds one ticket for the lab's company
// with unlockbot's internal note (who asked, who approved) and the
// vendor's closed status. Then the PSA goes down during a second reset:
// the reset is done all the same, the ticket update pending, and once the
// PSA is back the sweeper completes it.
func TestSlackFlowWithEachPSA(t *testing.T) {
	lab := ldaptest.AD(t)
	for name, setup := range map[string]func(t *testing.T) psaUnderTest{
		"connectwise": cwUnderTest, "kaseya_bms": bmsUnderTest, "freshdesk": fdUnderTest, "superops": soUnderTest,
	} {
		t.Run(name, func(t *testing.T) {
			p := setup(t)
			e := newE2EWith(t, lab, "recovery: { ticket_retry_first: 1s }", p.block)
			user, dn := newLabUser(t, lab)
			lab.Lock(t, dn)
			first := e.resetViaSlack(user)
			if lab.Locked(t, dn) {
				t.Fatal("still locked in AD")
			}
			if r, _ := e.app.svc.Get(context.Background(), first); r.Steps.TicketPending {
				t.Fatalf("the PSA did not take the ticket: %s", r.Steps.TicketError)
			}
			summary, note, internal, closed := p.ticket(t)
			if !strings.Contains(summary, user) || !strings.Contains(note, "Requested by:") || !strings.Contains(note, "Approved by:") || !internal || !closed {
				t.Fatalf("ticket %q closed %v; note internal %v:\n%s", summary, closed, internal, note)
			}

			// The PSA goes down during a reset.
			user2, dn2 := newLabUser(t, lab)
			lab.Lock(t, dn2)
			p.down()
			id := e.resetViaSlack(user2)
			if lab.Locked(t, dn2) {
				t.Fatal("a PSA down kept the account locked")
			}
			r, _ := e.app.svc.Get(context.Background(), id)
			if r.State != "done" || !r.Steps.TicketPending {
				t.Fatalf("with the PSA down: %s, %+v", r.State, r.Steps)
			}
			p.up()
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
				if _, err := e.app.svc.Sweep(context.Background()); err != nil {
					t.Fatal(err)
				}
				if r, _ = e.app.svc.Get(context.Background(), id); !r.Steps.TicketPending {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the pending ticket update never completed: %+v", r.Steps)
				}
			}
			if !r.Steps.TicketNoted || r.Steps.TicketGaveUp {
				t.Fatalf("after the PSA came back: %+v", r.Steps)
			}
		})
	}
}

// resetViaSlack submits a reset of account as the technician and approves
// it as the lead; it returns the request id once the work is done.
func (e *e2e) resetViaSlack(account string) string {
	e.t.Helper()
	before := len(e.fake.Calls("chat.postMessage"))
	if code, body := e.post("/slack/interactions", requestForm(account, "", e.trigger())); code != 200 || !strings.Contains(body, "clear") {
		e.t.Fatalf("submission: %d %s", code, body)
	}
	posts := e.fake.Calls("chat.postMessage")
	if len(posts) <= before {
		e.t.Fatal("no approval card")
	}
	id := requestIDIn(e.t, posts[before].Body)
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()
	return id
}

func cwUnderTest(t *testing.T) psaUnderTest {
	creds := connectwisetest.Credentials{Company: "msp", PublicKey: "pub-k", PrivateKey: "priv-k", ClientID: "5f0c0ab4-1111-4e2b-9c8f-0123456789ab"}
	fake := connectwisetest.New(t, creds)
	fake.AddCompany(connectwisetest.Company{ID: 250, Identifier: "Lab", Name: "Lab Corp"})
	fake.AddBoard(12, connectwisetest.Status{ID: 1, Name: "New"}, connectwisetest.Status{ID: 7, Name: "Closed", Closed: true})
	t.Setenv("CW_E2E_PUBLIC", creds.PublicKey)
	t.Setenv("CW_E2E_PRIVATE", creds.PrivateKey)
	return psaUnderTest{
		block: fmt.Sprintf(`    psa:
      kind: connectwise
      company_id: "250"
      connectwise: { base_url: %q, company: msp, public_key_env: CW_E2E_PUBLIC, private_key_env: CW_E2E_PRIVATE, client_id: %s, board_id: 12, status_id: 1, closed_status_id: 7 }
`, fake.URL, creds.ClientID),
		down: func() { fake.Fail(1000, http.StatusServiceUnavailable) },
		up:   func() { fake.Fail(0, 0) },
		ticket: func(t *testing.T) (string, string, bool, bool) {
			if v := fake.Violations(); len(v) > 0 {
				t.Fatalf("requests broke ConnectWise's contract: %q", v)
			}
			quietOnTheWire(t, "connectwise", cwBodies(fake, "/service/tickets"))
			tks := fake.Tickets()
			if len(tks) != 1 || tks[0].CompanyID != 250 {
				t.Fatalf("tickets %+v", tks)
			}
			for _, n := range fake.Notes(tks[0].ID) {
				if strings.Contains(n.Text, "Approved by:") {
					quiet := n.ProcessNotifications != nil && !*n.ProcessNotifications
					return tks[0].Summary, n.Text, n.InternalAnalysisFlag != nil && *n.InternalAnalysisFlag && quiet, tks[0].Closed
				}
			}
			return tks[0].Summary, "", false, tks[0].Closed
		},
	}
}

func bmsUnderTest(t *testing.T) psaUnderTest {
	fake := kaseyabmstest.New(t, "lab-msp", "bot@msp.example", "bms-pw")
	fake.AddAccount(250, "Lab Corp", 11)
	for _, l := range []struct {
		table string
		id    int
		name  string
	}{{kaseyabmstest.TableStatuses, 1, "New"}, {kaseyabmstest.TableStatuses, 5, "Resolved"}, {kaseyabmstest.TablePriorities, 2, "Medium"},
		{kaseyabmstest.TableTypes, 3, "Service Request"}, {kaseyabmstest.TableSources, 4, "Chat"}, {kaseyabmstest.TableNoteTypes, 6, "Internal Note"}} {
		fake.AddLookup(l.table, l.id, l.name)
	}
	t.Setenv("BMS_E2E_PASSWORD", "bms-pw")
	return psaUnderTest{
		block: fmt.Sprintf(`    psa:
      kind: kaseya_bms
      company_id: "250"
      kaseya_bms: { base_url: %q, tenant: lab-msp, username: bot@msp.example, password_env: BMS_E2E_PASSWORD, location_id: 11, priority_id: 2, source_id: 4, status_id: 1, type_id: 3, note_type_id: 6, resolve_status_id: 5 }
`, fake.URL),
		down: func() { fake.Fail5xx(1000) },
		up:   func() { fake.Fail5xx(0) },
		ticket: func(t *testing.T) (string, string, bool, bool) {
			if v := fake.Violations(); len(v) > 0 {
				t.Fatalf("requests broke Kaseya BMS's contract: %q", v)
			}
			quietOnTheWire(t, "kaseya_bms", bmsBodies(fake, "/resolve"))
			var mine []kaseyabmstest.Ticket
			for _, tk := range fake.Tickets() {
				if tk.AccountID == 250 {
					mine = append(mine, tk)
				}
			}
			if len(mine) != 1 {
				t.Fatalf("tickets %+v", mine)
			}
			for _, n := range fake.Notes(mine[0].ID) {
				if strings.Contains(n.Details, "Approved by:") {
					return mine[0].Title, n.Details, n.IsInternal, !mine[0].Completed.IsZero() || mine[0].StatusID == 5
				}
			}
			return mine[0].Title, "", false, mine[0].StatusID == 5
		},
	}
}

func fdUnderTest(t *testing.T) psaUnderTest {
	fake := freshdesktest.New(t, "fd-e2e-key")
	fake.AddCompany(501, "Lab Corp")
	fake.AddGroup(12, "Desk")
	fake.AddContact(90, "helpdesk@msp.example", 501)
	t.Setenv("FD_E2E_KEY", "fd-e2e-key")
	return psaUnderTest{
		block: fmt.Sprintf(`    psa:
      kind: freshdesk
      company_id: "501"
      freshdesk: { base_url: %q, api_key_env: FD_E2E_KEY, fallback_requester_email: helpdesk@msp.example, group_id: 12 }
`, fake.URL),
		down: func() { fake.Fail(1000, http.StatusServiceUnavailable) },
		up:   func() { fake.Fail(0, 0) },
		ticket: func(t *testing.T) (string, string, bool, bool) {
			if v := fake.Violations(); len(v) > 0 {
				t.Fatalf("requests broke the Freshdesk contract: %q", v)
			}
			tks := fake.Tickets()
			if len(tks) != 1 || tks[0].CompanyID != 501 {
				t.Fatalf("tickets %+v", tks)
			}
			for _, n := range fake.Notes(tks[0].ID) {
				if strings.Contains(n.Body, "Approved by:") {
					return tks[0].Subject, n.Body, n.Private && len(n.NotifyEmails) == 0, tks[0].Status == 4
				}
			}
			return tks[0].Subject, "", false, tks[0].Status == 4
		},
	}
}

func soUnderTest(t *testing.T) psaUnderTest {
	fake := superopstest.New(t, "so-e2e-token", "lab-msp", "New", "Working", "Resolved")
	fake.AddClient("4001", "Lab Corp")
	fake.AddUser("u-help", "4001", "Helpdesk", "helpdesk@msp.example")
	t.Setenv("SO_E2E_TOKEN", "so-e2e-token")
	return psaUnderTest{
		block: fmt.Sprintf(`    psa:
      kind: superops
      company_id: "4001"
      superops: { base_url: %q, subdomain: lab-msp, api_token_env: SO_E2E_TOKEN, client_name: Lab Corp, requester_user_id: u-help, new_status: New, resolved_status: Resolved, open_statuses: [New, Working] }
`, fake.Endpoint()),
		down: func() { fake.FailNext(repeat(http.StatusServiceUnavailable, 1000)...) },
		up:   fake.Heal,
		ticket: func(t *testing.T) (string, string, bool, bool) {
			tks := fake.Tickets()
			if len(tks) != 1 || tks[0].AccountID != "4001" {
				t.Fatalf("tickets %+v", tks)
			}
			for _, n := range fake.Notes(tks[0].ID) {
				if strings.Contains(n.Content, "Approved by:") {
					return tks[0].Subject, n.Content, n.PrivacyType == "PRIVATE", tks[0].Status == "Resolved"
				}
			}
			return tks[0].Subject, "", false, tks[0].Status == "Resolved"
		},
	}
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}
