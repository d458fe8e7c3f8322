package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/bot"
)

func TestCommandOpensModal(t *testing.T) {
	e := newEnv(t, nil)
	w := e.send("/slack/commands", e.command(uTech, chAcme, "alice"))
	if body := e.mustOK(w); body != "" {
		t.Fatalf("ack body %q, want empty", body)
	}
	opens := e.fake.Calls("views.open")
	if len(opens) != 1 {
		t.Fatalf("%d views.open, want 1", len(opens))
	}
	v := opens[0].Args["view"].(map[string]any)
	if v["callback_id"] != string(bot.FormRequest) || v["private_metadata"] != chAcme {
		t.Fatalf("view callback %v metadata %v", v["callback_id"], v["private_metadata"])
	}
	body := opens[0].Body
	for _, want := range []string{`"block_id":"org"`, `"block_id":"ticket"`, `"block_id":"account"`, `"block_id":"password"`, `"block_id":"temporary"`, `"block_id":"note_password"`, `"block_id":"reason"`, `"type":"external_select"`, `"min_query_length":0`, `"value":"alice"`, `"value":"acme"`, "Slack shows what you type"} {
		if !strings.Contains(body, want) {
			t.Errorf("modal lacks %s", want)
		}
	}
}

func TestCommandRefusedForNonTechnician(t *testing.T) {
	e := newEnv(t, nil)
	body := e.mustOK(e.send("/slack/commands", e.command(uOther, chAcme, "")))
	var m map[string]string
	if err := json.Unmarshal([]byte(body), &m); err != nil || m["response_type"] != "ephemeral" || !strings.Contains(m["text"], "not a technician") {
		t.Fatalf("answer %q, want an ephemeral refusal", body)
	}
	if n := len(e.fake.Calls()); n > 1 { // at most the group lookup
		t.Fatalf("%d Slack calls, want none but the group lookup: %+v", n, e.fake.Calls())
	}
}

func TestOptionsLockedFirstAndPerOrg(t *testing.T) {
	e := newEnv(t, nil)
	labels := func(body string) []string {
		var out struct {
			Options []struct {
				Text  struct{ Text string } `json:"text"`
				Value string                `json:"value"`
			} `json:"options"`
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("options answer %q: %v", body, err)
		}
		var l []string
		for _, o := range out.Options {
			l = append(l, o.Value+"|"+o.Text.Text)
		}
		return l
	}
	got := labels(e.mustOK(e.send("/slack/options", e.suggestion(uTech, "account", "", "acme"))))
	if len(got) == 0 || !strings.HasPrefix(got[0], "alice|🔒") {
		t.Fatalf("empty query: %q, want locked accounts first", got)
	}
	for _, l := range got {
		if !strings.Contains(l, "locked") {
			t.Fatalf("empty query lists %q, which is not locked", l)
		}
	}
	got = labels(e.mustOK(e.send("/slack/options", e.suggestion(uTech, "account", "b", "acme"))))
	if len(got) != 1 || !strings.HasPrefix(got[0], "bob|") {
		t.Fatalf("query b: %q", got)
	}
	got = labels(e.mustOK(e.send("/slack/options", e.suggestion(uTech, "account", "a", ""))))
	if len(got) != 1 || !strings.HasPrefix(got[0], bot.PickOrgFirst+"|Pick the organization") {
		t.Fatalf("no org: %q", got)
	}
	if got = labels(e.mustOK(e.send("/slack/options", e.suggestion(uOther, "account", "", "acme")))); len(got) != 0 {
		t.Fatalf("non-technician sees %q", got)
	}
	if got = labels(e.mustOK(e.send("/slack/options", e.suggestion(uTech, "ticket", "", "acme")))); len(got) != 0 {
		t.Fatalf("tickets: %q, want none yet", got)
	}
}

func TestSubmissionErrorsPerField(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct {
		name  string
		f     form
		field string
		want  string
	}{
		{"no org", form{account: "alice", reason: "Called back on HR number"}, "org", "organization"},
		{"short reason", form{org: "acme", account: "alice", reason: "ok"}, "reason", "why"},
		{"unknown account", form{org: "acme", account: "zed", reason: "Called back on HR number"}, "account", "No account"},
		{"protected account", form{org: "acme", account: "dadmin", reason: "Called back on HR number"}, "account", ""},
		{"weak password", form{org: "acme", account: "alice", password: "Zq9!xk", reason: "Called back on HR number"}, "password", "at least"},
		{"pick org hint", form{org: "acme", account: bot.PickOrgFirst, reason: "Called back on HR number"}, "account", "organization first"},
		{"unknown ticket", form{org: "acme", account: "alice", ticket: "T-404", reason: "Called back on HR number"}, "ticket", "not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := e.mustOK(e.send("/slack/interactions", e.submission(uTech, tc.f)))
			var ans struct {
				Action string            `json:"response_action"`
				Errors map[string]string `json:"errors"`
			}
			if err := json.Unmarshal([]byte(body), &ans); err != nil {
				t.Fatal(err)
			}
			if ans.Action != "errors" || !strings.Contains(ans.Errors[tc.field], tc.want) || ans.Errors[tc.field] == "" {
				t.Fatalf("answer %s, want an error on %s containing %q", body, tc.field, tc.want)
			}
		})
	}
	if n := len(e.fake.Calls("chat.postMessage")); n != 0 {
		t.Fatalf("%d messages posted for refused forms", n)
	}
	if strings.Contains(e.logs.String(), "Zq9!xk") {
		t.Fatal("the typed password reached the log")
	}
}

// TestFullFlow: command → form → approval → approve by another user →
// thread, updated card, DM with Reveal → reveal modal; the password goes to
// Slack exactly once, in that modal.
func TestFullFlow(t *testing.T) {
	stores(t, func(t *testing.T, st storeT) {
		e := newEnv(t, st)
		e.mustOK(e.send("/slack/commands", e.command(uTech, chAcme, "alice")))
		id, approval := e.submitOK(uTech, validForm())
		if got := buttons(approval); len(got) != 2 || got[1] != "unlockbot.deny="+id {
			t.Fatalf("approval buttons %q", got)
		}
		e.mustOK(e.send("/slack/interactions", e.click(uApprover, chApprovals, bot.ActionApprove, id)))
		e.wait()

		u, _ := e.dir.User("alice")
		if u.Lock.Locked || e.dir.Calls.SetPassword != 1 {
			t.Fatalf("alice locked=%t, SetPassword=%d", u.Lock.Locked, e.dir.Calls.SetPassword)
		}
		ts := postTS(t, e, approval)
		var thread, dm *slacktest.Call
		for _, c := range e.fake.Calls("chat.postMessage") {
			switch {
			case c.Str("thread_ts") == ts:
				thread = &c
			case c.Str("channel") == uTech:
				dm = &c
			}
		}
		if thread == nil || !strings.Contains(thread.Body, "Reset complete") {
			t.Fatalf("no confirmation in the thread")
		}
		ups := e.fake.Calls("chat.update")
		if len(ups) == 0 {
			t.Fatal("approval message not updated")
		}
		last := ups[len(ups)-1]
		if last.Str("ts") != ts || len(buttons(last)) != 0 || !strings.Contains(last.Body, "Done") {
			t.Fatalf("final update ts=%s buttons=%q body=%s", last.Str("ts"), buttons(last), last.Body)
		}
		if m, _ := e.fake.Message(chApprovals, ts); strings.Contains(m.Text, "Approve") {
			t.Fatalf("message still offers a decision: %q", m.Text)
		}
		if dm == nil || buttonValue(*dm, bot.ActionReveal) != id {
			t.Fatalf("no DM with a Reveal button to the technician")
		}

		// Someone else cannot reveal; the requester can, once.
		e.mustOK(e.send("/slack/interactions", e.click(uApprover, chApprovals, bot.ActionReveal, id)))
		e.mustOK(e.send("/slack/interactions", e.click(uTech, dmTech, bot.ActionReveal, id)))
		e.mustOK(e.send("/slack/interactions", e.click(uTech, dmTech, bot.ActionReveal, id)))
		e.wait()
		u, _ = e.dir.User("alice")
		reveals := 0
		for _, c := range e.fake.Calls("views.open") {
			if c.Args["view"].(map[string]any)["callback_id"] == callbackReveal {
				reveals++
			}
		}
		if reveals != 1 {
			t.Fatalf("%d reveal modals, want 1", reveals)
		}
		// The clicks are handled after their acks, in any order.
		eph := e.fake.Calls("chat.postEphemeral")
		refused := map[string]string{}
		for _, c := range eph {
			refused[c.Str("user")] = c.Str("text")
		}
		if len(eph) != 2 || !strings.Contains(refused[uApprover], "Only the technician") || !strings.Contains(refused[uTech], "only once") {
			t.Fatalf("ephemeral refusals: %+v", eph)
		}
		assertPasswordOnlyInReveal(t, e, u.Password)
	})
}

// postTS finds the ts the fake gave the approval post.
func postTS(t *testing.T, e *env, approval slacktest.Call) string {
	t.Helper()
	for _, c := range e.fake.Calls("chat.update") {
		if c.Str("channel") == approval.Str("channel") {
			return c.Str("ts")
		}
	}
	t.Fatal("no chat.update of the approval message")
	return ""
}

// assertPasswordOnlyInReveal scans every request body sent to Slack, the
// log and the audit trail: the password may appear once, in the reveal
// views.open, and nowhere else.
func assertPasswordOnlyInReveal(t *testing.T, e *env, pw string) {
	t.Helper()
	if len(pw) < 12 {
		t.Fatalf("password %d chars: the scan would prove little", len(pw))
	}
	jsonForm, _ := json.Marshal(pw)
	forms := []string{pw, strings.Trim(string(jsonForm), `"`), url.QueryEscape(pw)}
	has := func(s string) bool {
		for _, f := range forms {
			if strings.Contains(s, f) {
				return true
			}
		}
		return false
	}
	seen := 0
	for _, c := range e.fake.Calls() {
		if !has(c.Body) {
			continue
		}
		if v, _ := c.Args["view"].(map[string]any); c.Method != "views.open" || v["callback_id"] != callbackReveal {
			t.Errorf("password sent to Slack in %s", c.Method)
		}
		seen++
	}
	if seen != 1 {
		t.Errorf("password in %d Slack calls, want exactly 1 (the reveal modal)", seen)
	}
	for name, out := range map[string]string{"log": e.logs.String(), "audit": e.audit.String()} {
		if out == "" {
			t.Errorf("%s is empty: the scan proves nothing", name)
		}
		if has(out) {
			t.Errorf("password found in the %s", name)
		}
	}
}

func TestTypedPasswordNeverSentToSlack(t *testing.T) {
	e := newEnv(t, nil)
	pw := "Typed-Secret-9z!Q"
	f := validForm()
	f.password, f.note = pw, true
	id, _ := e.submitOK(uTech, f)
	e.mustOK(e.send("/slack/interactions", e.click(uApprover, chApprovals, bot.ActionApprove, id)))
	e.wait()
	if u, _ := e.dir.User("alice"); u.Password != pw {
		t.Fatal("typed password not set")
	}
	for _, c := range e.fake.Calls() {
		if strings.Contains(c.Body, pw) {
			t.Fatalf("typed password sent to Slack in %s", c.Method)
		}
	}
	if strings.Contains(e.logs.String(), pw) || strings.Contains(e.audit.String(), pw) {
		t.Fatal("typed password in log or audit")
	}
}

func TestSelfApprovalAndNonApproverRefused(t *testing.T) {
	e := newEnv(t, nil)
	id, _ := e.submitOK(uApprover, validForm()) // an approver asks
	e.mustOK(e.send("/slack/interactions", e.click(uApprover, chApprovals, bot.ActionApprove, id)))
	e.mustOK(e.send("/slack/interactions", e.click(uOther, chApprovals, bot.ActionApprove, id)))
	e.mustOK(e.send("/slack/interactions", e.click(uTech, chApprovals, bot.ActionRetry, id)))
	e.wait()
	eph := e.fake.Calls("chat.postEphemeral")
	if len(eph) != 3 {
		t.Fatalf("%d ephemeral refusals, want 3", len(eph))
	}
	want := map[string]string{uApprover: "two-person rule", uOther: "not an approver", uTech: "Only the technician"}
	for _, c := range eph {
		if c.Str("channel") != chApprovals || !strings.Contains(c.Str("text"), want[c.Str("user")]) {
			t.Errorf("refusal to %s in %s: %q", c.Str("user"), c.Str("channel"), c.Str("text"))
		}
	}
	if e.dir.Calls.SetPassword != 0 || e.dir.Calls.Unlock != 0 || len(e.fake.Calls("chat.update")) != 0 {
		t.Fatalf("something ran: SetPassword=%d Unlock=%d updates=%d", e.dir.Calls.SetPassword, e.dir.Calls.Unlock, len(e.fake.Calls("chat.update")))
	}
}

func TestDoubleApproveResetsOnce(t *testing.T) {
	stores(t, func(t *testing.T, st storeT) {
		e := newEnv(t, st)
		e.fake.SetGroup(gApprover, uApprover, "UAPPR2")
		e.forgetGroups() // forget the cached membership
		id, _ := e.submitOK(uTech, validForm())
		var wg sync.WaitGroup
		for _, who := range []string{uApprover, "UAPPR2", uApprover, "UAPPR2"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.mustOK(e.send("/slack/interactions", e.click(who, chApprovals, bot.ActionApprove, id)))
			}()
		}
		wg.Wait()
		e.wait()
		if n := e.dir.Calls.SetPassword; n != 1 {
			t.Fatalf("SetPassword %d times, want 1", n)
		}
		eph := e.fake.Calls("chat.postEphemeral")
		if len(eph) != 3 {
			t.Fatalf("%d 'already decided' messages, want 3", len(eph))
		}
		for _, c := range eph {
			if !strings.Contains(c.Str("text"), "already approved") {
				t.Errorf("loser told %q", c.Str("text"))
			}
		}
	})
}

func TestDenyWithReason(t *testing.T) {
	e := newEnv(t, nil)
	id, approval := e.submitOK(uTech, validForm())
	e.mustOK(e.send("/slack/interactions", e.click(uApprover, chApprovals, bot.ActionDeny, id)))
	opens := e.fake.Calls("views.open")
	if len(opens) != 1 {
		t.Fatalf("%d views.open, want the reason modal", len(opens))
	}
	v := opens[0].Args["view"].(map[string]any)
	meta, _ := v["private_metadata"].(string)
	if v["callback_id"] != string(bot.FormDeny) || meta != id+"|"+chApprovals {
		t.Fatalf("deny modal %v %q", v["callback_id"], meta)
	}
	body := e.mustOK(e.send("/slack/interactions", e.denySubmission(uApprover, meta, "Caller failed <!channel> verification")))
	if !strings.Contains(body, `"response_action":"clear"`) {
		t.Fatalf("deny answer %s", body)
	}
	e.wait()
	if e.dir.Calls.SetPassword != 0 || e.dir.Calls.Unlock != 0 {
		t.Fatal("a denied request ran")
	}
	ts := postTS(t, e, approval)
	ups := e.fake.Calls("chat.update")
	last := ups[len(ups)-1]
	if last.Str("ts") != ts || len(buttons(last)) != 0 || !strings.Contains(last.Body, `*Denied by*\n\u003c@UAPPR\u003e`) {
		t.Fatalf("final card: %s", last.Body)
	}
	var dm bool
	for _, c := range e.fake.Calls("chat.postMessage") {
		decoded := fmt.Sprint(c.Args)
		if c.Str("channel") == uTech && strings.Contains(decoded, "failed &lt;!channel&gt; verification") {
			dm = true
		}
		if strings.Contains(decoded, "<!channel>") {
			t.Fatalf("unescaped mention reached Slack: %s", decoded)
		}
	}
	if !dm {
		t.Fatal("technician not told the reason")
	}
}

func TestExpiredRequestRefused(t *testing.T) {
	e := newEnv(t, nil)
	id, _ := e.submitOK(uTech, validForm())
	e.botTime.add(2 * time.Hour)
	e.mustOK(e.send("/slack/interactions", e.click(uApprover, chApprovals, bot.ActionApprove, id)))
	e.wait()
	eph := e.fake.Calls("chat.postEphemeral")
	if len(eph) != 1 || !strings.Contains(eph[0].Str("text"), "expired") {
		t.Fatalf("ephemeral: %+v", eph)
	}
	ups := e.fake.Calls("chat.update")
	if len(ups) != 1 || len(buttons(ups[0])) != 0 || !strings.Contains(ups[0].Body, "Expired") {
		t.Fatalf("card not marked expired: %+v", ups)
	}
	if e.dir.Calls.SetPassword != 0 {
		t.Fatal("expired request ran")
	}
}

// The card's 429 is retried after Retry-After, behind the channel's pace,
// and the submission still succeeds.
func TestRateLimitedPostIsRetried(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.RateLimitOnce("chat.postMessage", 1)
	body := e.mustOK(e.send("/slack/interactions", e.submission(uTech, validForm())))
	if !strings.Contains(body, `"response_action":"clear"`) {
		t.Fatalf("answer %s", body)
	}
	calls := e.fake.Calls("chat.postMessage")
	if len(calls) != 2 {
		t.Fatalf("%d postMessage calls, want the 429 and the retry", len(calls))
	}
	if d := calls[1].At.Sub(calls[0].At); d < time.Second {
		t.Fatalf("retried %v after the 429, want ≥ 1s (Retry-After: 1)", d)
	}
}

func TestNotInChannelIsExplained(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.NotInChannel(chApprovals)
	body := e.mustOK(e.send("/slack/interactions", e.submission(uTech, validForm())))
	var ans struct{ Errors map[string]string }
	_ = json.Unmarshal([]byte(body), &ans)
	if !strings.Contains(ans.Errors["account"], "Invite @unlockbot to the channel with id "+chApprovals) {
		t.Fatalf("answer %s, want the invite sentence", body)
	}
}

func TestWrongTokenIsInvalidAuth(t *testing.T) {
	e := newEnv(t, nil)
	e.a.api.token = identityNewSecret("xoxb-wrong")
	body := e.mustOK(e.send("/slack/interactions", e.submission(uTech, validForm())))
	if !strings.Contains(body, "token is not valid") {
		t.Fatalf("answer %s", body)
	}
}

func TestRetryAfterFailure(t *testing.T) {
	e := newEnv(t, nil)
	id, _ := e.submitOK(uTech, validForm())
	e.dir.FailNext("SetPassword", identityUnavailable())
	e.mustOK(e.send("/slack/interactions", e.click(uApprover, chApprovals, bot.ActionApprove, id)))
	e.wait()
	ups := e.fake.Calls("chat.update")
	if last := ups[len(ups)-1]; buttonValue(last, bot.ActionRetry) != id {
		t.Fatalf("failed card offers no Retry: %s", last.Body)
	}
	e.mustOK(e.send("/slack/interactions", e.click(uTech, chApprovals, bot.ActionRetry, id)))
	e.wait()
	ups = e.fake.Calls("chat.update")
	if last := ups[len(ups)-1]; len(buttons(last)) != 0 || !strings.Contains(last.Body, "Done") {
		t.Fatalf("after retry: %s", last.Body)
	}
	if e.dir.Calls.SetPassword != 1 {
		t.Fatalf("SetPassword %d", e.dir.Calls.SetPassword)
	}
}

// Reveal once means once: Slack refusing or timing out on the reveal modal
// (it may have shown it) does not re-arm Reveal. The requester is told the
// password cannot be shown again and what to do; a second press is refused.
func TestRevealIsOnceEvenWhenTheModalFails(t *testing.T) {
	e := newEnv(t, nil)
	id, _ := e.submitOK(uTech, validForm())
	e.mustOK(e.send("/slack/interactions", e.click(uApprover, chApprovals, bot.ActionApprove, id)))
	e.wait()
	e.fake.FailNext("views.open", "expired_trigger_id")
	e.mustOK(e.send("/slack/interactions", e.click(uTech, dmTech, bot.ActionReveal, id)))
	e.wait()
	eph := e.fake.Calls("chat.postEphemeral")
	if len(eph) != 1 || !strings.Contains(eph[0].Str("text"), "new request") {
		t.Fatalf("the requester was not told to submit a new request: %+v", eph)
	}
	e.mustOK(e.send("/slack/interactions", e.click(uTech, dmTech, bot.ActionReveal, id)))
	e.wait()
	u, _ := e.dir.User("alice")
	shown := 0
	for _, c := range e.fake.Calls("views.open") {
		if strings.Contains(c.Body, u.Password) {
			shown++
		}
	}
	if shown != 1 {
		t.Fatalf("password sent in %d views.open calls, want exactly 1", shown)
	}
	if eph = e.fake.Calls("chat.postEphemeral"); len(eph) != 2 || !strings.Contains(eph[1].Str("text"), "only once") {
		t.Fatalf("the second press was not refused: %+v", eph)
	}
}

// A submission that outlives Slack's 3-second window closes the form with a
// notice; its late refusal reaches the technician privately.
func TestLateSubmissionRefusalIsDelivered(t *testing.T) {
	e := newEnv(t, nil)
	e.dir.SlowNext("Lookup", inlineTimeout+500*time.Millisecond)
	f := validForm()
	f.account = "ghost"
	body := e.mustOK(e.send("/slack/interactions", e.submission(uTech, f)))
	if !strings.Contains(body, `"response_action":"update"`) || !strings.Contains(body, "still being processed") {
		t.Fatalf("answer %s", body)
	}
	e.wait()
	for _, c := range e.fake.Calls("chat.postMessage") {
		if c.Str("channel") == uTech && strings.Contains(c.Body, "Request not submitted") && strings.Contains(c.Body, "ghost") {
			return
		}
	}
	t.Fatalf("no private message about the late refusal: %+v", e.fake.Calls("chat.postMessage"))
}

// A non-approver pressing Deny is told at once; no reason modal is opened.
func TestDenyByNonApproverAsksNothing(t *testing.T) {
	e := newEnv(t, nil)
	id, _ := e.submitOK(uTech, validForm())
	before := len(e.fake.Calls("views.open"))
	e.mustOK(e.send("/slack/interactions", e.click(uOther, chApprovals, bot.ActionDeny, id)))
	e.wait()
	if n := len(e.fake.Calls("views.open")); n != before {
		t.Fatalf("a reason modal was opened for a non-approver")
	}
	eph := e.fake.Calls("chat.postEphemeral")
	if len(eph) != 1 || eph[0].Str("user") != uOther || !strings.Contains(eph[0].Str("text"), "not an approver") {
		t.Fatalf("refusal: %+v", eph)
	}
	if r, _ := e.svc.Get(context.Background(), id); r.State != bot.StatePendingApproval {
		t.Fatalf("state %s", r.State)
	}
}

// Cards name people by a mention of their user id, which Slack draws from
// the account: a display name set to a colleague's cannot pass for them.
// Text elsewhere (ticket notes) carries the name from users.info, looked up
// once, beside the id.
func TestCardsNamePeople(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.SetUser(uTech, "Lee Park") // the technician renamed to look like the approver
	e.fake.SetUser(uApprover, "Lee Park")
	id, post := e.submitOK(uTech, validForm())
	if !strings.Contains(post.Body, `*Requested by*\n\u003c@`+uTech+`\u003e`) || strings.Contains(post.Body, "Lee Park") {
		t.Fatalf("approval card does not name the requester by mention only: %s", post.Body)
	}
	e.mustOK(e.send("/slack/interactions", e.click(uApprover, chApprovals, bot.ActionApprove, id)))
	e.wait()
	ups := e.fake.Calls("chat.update")
	if last := ups[len(ups)-1]; !strings.Contains(last.Body, `*Approved by*\n\u003c@`+uApprover+`\u003e`) {
		t.Fatalf("final card does not name the approver by mention: %s", last.Body)
	}
	r, _ := e.svc.Get(context.Background(), id)
	if r.Requester.Label() != "Lee Park ("+uTech+")" {
		t.Fatalf("the requester's label %q lacks the id", r.Requester.Label())
	}
	e.submitOK(uTech, validForm())
	if n := len(e.fake.Calls("users.info")); n != 2 {
		t.Fatalf("%d users.info calls, want 2 (one per person, then cached)", n)
	}
}

// Slack gets its answer to an Approve click before the clicker's groups
// are looked up: the lookup (a round trip to Slack that can take its whole
// budget) belongs to the decision, which runs after the ack. Here the
// approver's group is held until the click has been answered; a handler
// that looked it up first would wait out its budget, find no group and
// refuse the approver.
func TestApproveIsAnsweredBeforeGroupsAreLookedUp(t *testing.T) {
	e := newEnv(t, nil)
	id, _ := e.submitOK(uTech, validForm())
	e.forgetGroups()
	held := e.fake.HoldGroup(gApprover)
	e.mustOK(e.send("/slack/interactions", e.click(uApprover, chApprovals, bot.ActionApprove, id)))
	select {
	case <-held.Arrived():
	case <-time.After(10 * time.Second):
		t.Fatal("the decision never asked for the approver's groups")
	}
	held.Release("")
	e.wait()
	if r, err := e.svc.Get(context.Background(), id); err != nil || r.State != bot.StateDone {
		t.Fatalf("after the held lookup: state %v, err %v; want done", r.State, err)
	}
}
