package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func requestValues(account string) FormValues {
	return FormValues{FieldOrg: "acme", FieldMode: string(ModeReset), FieldAccount: account, FieldTemporary: CheckedValue,
		FieldReason: "Verified by call-back to HR number"}
}

func TestParseRequestFormChecks(t *testing.T) {
	for _, c := range []struct {
		name  string
		v     FormValues
		field FieldID
		want  string
	}{
		{"no org", FormValues{FieldAccount: "alice"}, FieldOrg, "Pick the organization."},
		{"no account", FormValues{FieldOrg: "acme", FieldAccount: "  "}, FieldAccount, "Pick the account to unlock."},
		{"account before org", FormValues{FieldOrg: "acme", FieldAccount: PickOrgFirst}, FieldAccount, "organization first, then the account"},
		{"ticket before org", FormValues{FieldOrg: "acme", FieldAccount: "alice", FieldTicket: PickOrgFirst}, FieldTicket, "organization first, then the ticket"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, verr := ParseRequest(tech, "C-acme", c.v)
			if verr == nil || !strings.Contains(verr.Fields[c.field], c.want) || len(verr.Fields) != 1 {
				t.Fatalf("got %+v, want only %s: %q", verr, c.field, c.want)
			}
		})
	}
	v := requestValues("alice")
	v[FieldPassword], v[FieldNote], v[FieldTicket], v[FieldMode] = "Correct-Horse-9", CheckedValue, "T-1", string(ModeUnlock)
	sub, verr := ParseRequest(tech, "C-acme", v)
	if verr != nil {
		t.Fatal(verr)
	}
	if sub.OrgID != "acme" || sub.Account != "alice" || !sub.Temporary || !sub.NoteToPSA || sub.TicketID != "T-1" || sub.Mode != ModeUnlock ||
		sub.Password.Reveal() != "Correct-Horse-9" || sub.Origin != "C-acme" || !sub.Requester.Same(tech) || sub.Reason == "" {
		t.Fatalf("submission read wrong: %+v", sub)
	}
	if sub, _ := ParseRequest(tech, "", FormValues{FieldOrg: "acme", FieldAccount: "alice", FieldTemporary: "no"}); sub.Temporary || !sub.Password.IsZero() {
		t.Fatalf("unticked box or empty password read as set: %+v", sub)
	}
}

// The request form: form errors and the flow's own refusals stay in the
// form; a submission that goes through closes it.
func TestSubmitRequestForm(t *testing.T) {
	h := newHarness(t, nil)
	fa := h.svc.SubmitForm(context.Background(), FormReply{Form: FormRequest, Actor: tech, Where: "C-acme", Values: FormValues{FieldAccount: "alice"}})
	if fa.Errors[FieldOrg] == "" {
		t.Fatalf("missing org answered %+v", fa)
	}
	v := requestValues("alice")
	v[FieldPassword] = "short"
	if fa := h.svc.SubmitForm(context.Background(), FormReply{Form: FormRequest, Actor: tech, Values: v}); fa.Errors[FieldPassword] == "" {
		t.Fatalf("weak password answered %+v", fa)
	}
	if fa := h.svc.SubmitForm(context.Background(), FormReply{Form: FormRequest, Actor: other, Values: requestValues("alice")}); !strings.Contains(fa.Errors[FieldAccount], "not a technician") {
		t.Fatalf("outsider's form answered %+v", fa)
	}
	if n := strings.Count(h.chat.all(), "post C-approvals"); n != 0 {
		t.Fatalf("%d approval cards for refused forms", n)
	}
	if fa := h.svc.SubmitForm(context.Background(), FormReply{Form: FormRequest, Actor: tech, Where: "C-acme", Values: requestValues("alice")}); fa.Errors != nil || fa.Replace != nil {
		t.Fatalf("good form answered %+v", fa)
	}
	if n := strings.Count(h.chat.all(), "post C-approvals"); n != 1 {
		t.Fatalf("%d approval cards, want 1:\n%s", n, h.chat.all())
	}
	if fa := h.svc.SubmitForm(context.Background(), FormReply{Form: "unlockbot.other", Actor: tech, Values: requestValues("alice")}); fa.Errors != nil || fa.Replace != nil {
		t.Fatalf("unknown form answered %+v", fa)
	}
}

// A submission still running when the platform's answer falls due closes
// the form with a notice; its late refusal reaches the technician.
func TestSlowSubmissionIsAnsweredLate(t *testing.T) {
	h := newHarness(t, nil)
	h.dir.SlowNext("Lookup", 300*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	fa := h.svc.SubmitForm(ctx, FormReply{Form: FormRequest, Actor: tech, Values: requestValues("ghost")})
	if fa.Replace == nil || !strings.Contains(fa.Replace.Text, "still being processed") || fa.Errors != nil {
		t.Fatalf("slow submission answered %+v", fa)
	}
	if strings.Contains(h.chat.all(), "Request not submitted") {
		t.Fatal("told before the submission ended")
	}
	h.drain()
	if all := h.chat.all(); !strings.Contains(all, "dm test:U1: {Title:Request not submitted") || !strings.Contains(all, "Run /unlock again") {
		t.Fatalf("late refusal not delivered:\n%s", all)
	}
}

func TestSuggest(t *testing.T) {
	h := newHarness(t, nil)
	if got := h.svc.Suggest(context.Background(), tech, "", FieldAccount, "al"); len(got) != 1 || got[0].Value != PickOrgFirst {
		t.Fatalf("no org: %+v", got)
	}
	if got := h.svc.Suggest(context.Background(), tech, "acme", FieldAccount, "ali"); len(got) == 0 || got[0].Value != "alice" {
		t.Fatalf("accounts: %+v", got)
	}
	if got := h.svc.Suggest(context.Background(), other, "acme", FieldAccount, "ali"); got != nil {
		t.Fatalf("outsider got accounts: %+v", got)
	}
	if !strings.Contains(h.logs.String(), "type-ahead failed") {
		t.Fatal("a failed type-ahead left no log line")
	}
	if got := h.svc.Suggest(context.Background(), tech, "acme", FieldReason, "x"); got != nil {
		t.Fatalf("a field without options: %+v", got)
	}
}

// One panicking job does not stop the others, and Drain waits for all.
func TestInProcessRecoversAndDrains(t *testing.T) {
	var logs syncBuffer
	ran := make(chan string, 2)
	p := NewInProcess(zerolog.New(&logs))
	p.Start(func(_ context.Context, j Job) {
		if j.RequestID == "boom" {
			panic("boom")
		}
		time.Sleep(20 * time.Millisecond)
		ran <- j.RequestID
	})
	_ = p.Enqueue(context.Background(), Job{RequestID: "boom"})
	_ = p.Enqueue(context.Background(), Job{RequestID: "r1"})
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 || <-ran != "r1" || strings.Count(logs.String(), "panicked") != 1 || !strings.Contains(logs.String(), `"panic":"boom"`) {
		t.Fatalf("after a panic: ran %d, log %q; want r1 run and one line for the panic", len(ran), logs.String())
	}
	p.Go(func(ctx context.Context) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("detached work has no budget")
		}
		time.Sleep(200 * time.Millisecond)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.Drain(ctx); err == nil {
		t.Fatal("Drain returned before the work ended")
	}
	_ = p.Drain(context.Background())
}

// "/unlock alice" in an org's channel opens with both picked, so the
// platform shows alice's facts at once; otherwise nothing is prefilled.
func TestFormPrefilled(t *testing.T) {
	h := newHarness(t, nil)
	for _, c := range []struct {
		channel, account, org, acct string
	}{
		{"C-acme", "alice", "acme", "alice"},
		{"C-acme", "", "acme", ""},
		{"C-acme", "  bob ", "acme", "bob"},
	} {
		f, err := h.svc.NewForm(context.Background(), tech, c.channel, c.account)
		if err != nil {
			t.Fatal(err)
		}
		if org, acct := f.Prefilled(); org != c.org || acct != c.acct {
			t.Errorf("NewForm(%q, %q).Prefilled() = %q, %q; want %q, %q", c.channel, c.account, org, acct, c.org, c.acct)
		}
	}
	if org, acct := (Form{}).Prefilled(); org != "" || acct != "" {
		t.Fatalf("empty form prefilled %q %q", org, acct)
	}
}

// A typed password is taken out of the values by the first reader and
// never printed with them.
func TestFormValuesKeepNoPassword(t *testing.T) {
	v := requestValues("alice")
	v[FieldPassword] = "Typed-Secret-42!"
	reply := FormReply{Form: FormRequest, Actor: tech, Values: v}
	for _, s := range []string{fmt.Sprintf("%v", reply), fmt.Sprintf("%+v", reply), fmt.Sprint(v), v.String()} {
		if strings.Contains(s, "Typed-Secret-42!") || !strings.Contains(s, "account:alice") {
			t.Fatalf("formatted values: %s", s)
		}
	}
	kept := v.WithoutSecrets()
	if _, ok := kept[FieldPassword]; ok || kept[FieldAccount] != "alice" || v[FieldPassword] == "" {
		t.Fatalf("WithoutSecrets: %v (the original keeps its own: %t)", kept, v[FieldPassword] != "")
	}
	sub, verr := ParseRequest(tech, "", v)
	if verr != nil || sub.Password.Reveal() != "Typed-Secret-42!" {
		t.Fatalf("parse: %v", verr)
	}
	if _, ok := v[FieldPassword]; ok {
		t.Fatal("ParseRequest left the typed password in the values")
	}
}

// The account field's change gives the picked account's facts; any other
// field, or another form, redraws nothing.
func TestFieldChanged(t *testing.T) {
	h := newHarness(t, nil)
	change := FormReply{Form: FormRequest, Actor: tech, Values: FormValues{FieldOrg: "acme", FieldAccount: "alice"}}
	if c := h.svc.FieldChanged(context.Background(), change, FieldAccount); c == nil || !strings.Contains(c.Title, "alice") || len(c.Fields) == 0 {
		t.Fatalf("account picked: %+v", c)
	}
	h.clock.add(time.Second)
	if c := h.svc.FieldChanged(context.Background(), change, FieldOrg); c != nil {
		t.Fatalf("org changed: %+v", c)
	}
	change.Form = FormDeny
	if c := h.svc.FieldChanged(context.Background(), change, FieldAccount); c != nil {
		t.Fatalf("deny form: %+v", c)
	}
	change.Form, change.Actor = FormRequest, other
	if c := h.svc.FieldChanged(context.Background(), change, FieldAccount); c != nil {
		t.Fatalf("outsider got facts: %+v", c)
	}
}
