package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
	"github.com/unlockbot/unlockbot/psa/local"
)

// demoEnv is what the demo runs on; tests swap in real Redis and capture
// every output to scan it for the password.
type demoEnv struct {
	Out      io.Writer   // the transcript
	Log      io.Writer   // zerolog output, console format
	Audit    io.Writer   // JSON lines
	Store    store.Store // nil = embedded in-memory store
	LogLevel string      // least level logged; empty = debug
}

// demoResult lets tests check what happened.
type demoResult struct {
	Revealed identity.Secret
	Request  *bot.Request
	Dir      *memory.Directory
	Tickets  *local.Tickets
}

// runDemo plays the whole flow in-process, as a technician and an approver
// would in Slack, and prints each step with its time.
func runDemo(ctx context.Context, env demoEnv) (*demoResult, error) {
	st := env.Store
	if st == nil {
		st = memstore.New()
	}
	log := newLogger(cmp.Or(env.LogLevel, "debug"), logConsole, env.Log)
	sealer := bot.NewEphemeralSealer()
	dir := memory.Demo()
	tickets := local.New(store.Values{Store: st}, "acme", sealer.SealBytes)
	tr := newTranscript(env.Out)
	org := &bot.Org{
		ID: "acme", Name: "Acme Corp", Directory: dir, Tickets: tickets, PSACompanyID: "acme",
		Policy:          bot.Policy{RequireApproval: true},
		Technicians:     []string{"demo:dana"},
		Approvers:       []string{"demo:lee"},
		Channels:        []string{"demo:#acme-helpdesk"},
		ApprovalChannel: map[string]string{"demo": "#acme-approvals"},
	}
	svc, err := bot.New(bot.Config{Store: st, Sealer: sealer, Audit: jsonl.New(env.Audit, nil), Orgs: []*bot.Org{org}, Log: log})
	if err != nil {
		return nil, err
	}
	svc.SetNotifier("demo", tr)
	dana := bot.Actor{Platform: "demo", ID: "dana", Name: "Dana (technician)"}
	lee := bot.Actor{Platform: "demo", ID: "lee", Name: "Lee (team lead)"}

	fmt.Fprintln(env.Out, "unlockbot demo: the whole flow in one process (in-memory store, a demo directory, local tickets).")
	fmt.Fprintln(env.Out, "Each line shows the time since the previous step.")
	fmt.Fprintln(env.Out)

	tr.line("@dana in #acme-helpdesk", "/unlock alice")
	form, err := svc.NewForm(ctx, dana, "#acme-helpdesk", "alice")
	if err != nil {
		return nil, err
	}
	tr.line("form opened", formSummary(form))
	opts, err := svc.AccountOptions(ctx, dana, "acme", "")
	if err != nil {
		return nil, err
	}
	tr.line("account picker", optionLabels(opts))
	if facts, err := svc.AccountCard(ctx, dana, "acme", "alice"); err == nil {
		tr.line("alice picked", factSummary(facts))
	}

	// A privileged account is refused inside the form.
	_, err = svc.Submit(ctx, bot.Submission{Requester: dana, OrgID: "acme", Account: "dadmin", Temporary: true, Reason: "Caller says he is Dan, verified by call-back"})
	tr.line("submit dadmin", "refused in the form: "+bot.SafeMessage(err))

	tr.line("@dana submits alice", "generated password, temporary, reason given")
	req, err := svc.Submit(ctx, bot.Submission{
		Requester: dana, OrgID: "acme", Account: "alice", Temporary: true, NoteToPSA: false,
		Reason: "Alice called from her desk phone; verified by call-back to the number in HR", Origin: "#acme-helpdesk",
	})
	if err != nil {
		return nil, fmt.Errorf("demo submit: %w", err)
	}
	tr.line("request stored", "request "+req.ID+" is "+string(req.State)+" (waiting for an approver)")

	_, err = svc.Approve(ctx, req.ID, dana)
	tr.line("@dana presses Approve", "refused: "+bot.SafeMessage(err))

	tr.line("@lee presses Approve", "")
	req, err = svc.Approve(ctx, req.ID, lee)
	if err != nil {
		return nil, fmt.Errorf("demo approve: %w", err)
	}
	_, err = svc.Approve(ctx, req.ID, lee)
	tr.line("@lee presses Approve again", "nothing happens: "+bot.SafeMessage(err))

	var pw identity.Secret
	err = svc.Reveal(ctx, req.ID, dana, func(_ context.Context, c bot.Card) error {
		pw = c.Secret
		// The one place the password is shown: privately, once, to the requester.
		tr.line("@dana presses Reveal", "(private, shown once) new password for alice: "+c.Secret.Reveal())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo reveal: %w", err)
	}
	err = svc.Reveal(ctx, req.ID, dana, func(context.Context, bot.Card) error { return nil })
	tr.line("@dana presses Reveal again", "refused: "+bot.SafeMessage(err))

	// Bob knows his password; his phone locked him out. Unlock only.
	tr.line("@dana submits bob", "Unlock only: the password stays as it is")
	unlock, err := svc.Submit(ctx, bot.Submission{Requester: dana, OrgID: "acme", Mode: bot.ModeUnlock, Account: "bob",
		Reason: "Bob's phone kept an old password; he knows the current one", Origin: "#acme-helpdesk"})
	if err != nil {
		return nil, fmt.Errorf("demo unlock-only submit: %w", err)
	}
	if _, err := svc.Approve(ctx, unlock.ID, lee); err != nil {
		return nil, fmt.Errorf("demo unlock-only approve: %w", err)
	}

	u, _ := dir.User("alice")
	tr.line("directory check", fmt.Sprintf("alice locked=%t must-change=%t new password works=%t", u.Lock.Locked, u.PasswordLastSet.IsZero(), u.Password == pw.Reveal()))
	tk, err := tickets.Get(ctx, req.Steps.TicketID)
	if err == nil {
		notes, _ := tickets.Notes(ctx, tk.ID)
		tr.line("ticket", fmt.Sprintf("#%s %q status=%s notes=%d (internal note has no password)", tk.ID, tk.Summary, tk.Status, len(notes)))
	}
	fmt.Fprintln(env.Out)
	fmt.Fprintf(env.Out, "Total %s. The audit trail went to %s.\n", time.Since(tr.start).Round(time.Microsecond), auditWhere(env))
	return &demoResult{Revealed: pw, Request: req, Dir: dir, Tickets: tickets}, nil
}

func auditWhere(env demoEnv) string {
	if f, ok := env.Audit.(interface{ Name() string }); ok {
		return f.Name()
	}
	return "the audit writer"
}

func formSummary(f bot.Form) string {
	var parts []string
	for _, fl := range f.Fields {
		v := ""
		if fl.Initial != nil {
			v = "=" + fl.Initial.Label
		}
		if fl.Widget == bot.WidgetCheckbox && fl.Checked {
			v = "=on"
		}
		parts = append(parts, fl.Label+v)
	}
	return strings.Join(parts, " · ")
}

func factSummary(c bot.Card) string {
	var parts []string
	for _, f := range c.Fields {
		parts = append(parts, f.Label+": "+f.Value)
	}
	return strings.Join(parts, " · ")
}

func optionLabels(opts []bot.Option) string {
	var s []string
	for _, o := range opts {
		s = append(s, o.Label)
	}
	return strings.Join(s, ", ")
}
