package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// requestRow is one request as `audit show` prints it, folded from its
// events.
type requestRow struct {
	when                          time.Time
	org, account, dn, asked, appr string
	outcome, ticket               string
	last                          time.Time
}

func cmdAuditShow(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "", "only this organization")
	since := fs.Duration("since", 0, "only requests with an event in this window, e.g. 24h")
	account := fs.String("account", "", "only this account (as typed, or its DN)")
	keys, files, _, err := auditFlags(fs, args)
	if err != nil {
		return err
	}
	var rows []*requestRow
	byID := map[string]*requestRow{}
	_, verr := walkTrail(keys, files, func(r audit.Record) error {
		if r.Type == audit.Continued {
			return nil
		}
		row := byID[r.RequestID]
		if row == nil || r.RequestID == "" {
			row = &requestRow{when: r.Time, org: r.Org, account: r.Target, outcome: "in progress"}
			rows = append(rows, row)
			if r.RequestID != "" {
				byID[r.RequestID] = row
			}
		}
		fold(row, r.Event)
		return nil
	})
	cut := time.Time{}
	if *since > 0 {
		cut = time.Now().Add(-*since)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN (UTC)\tORG\tACCOUNT\tASKED BY\tAPPROVED BY\tOUTCOME\tTICKET")
	for _, row := range rows {
		if (*org != "" && row.org != *org) || row.last.Before(cut) || !matchesAccount(row, *account) {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.when.UTC().Format("2006-01-02 15:04:05"), dash(row.org), dash(row.account),
			dash(row.asked), dash(row.appr), row.outcome, dash(row.ticket))
	}
	tw.Flush()
	if verr != nil {
		var b *audit.Broken
		if errors.As(verr, &b) {
			return fmt.Errorf("audit: the trail is broken at %v; the table stops there: run unlockbot audit verify", b)
		}
		return verr
	}
	return nil
}

// fold adds one event to its request's row.
func fold(row *requestRow, e audit.Event) {
	row.last = e.Time
	if e.Org != "" {
		row.org = e.Org
	}
	if e.TargetDN != "" {
		row.dn = e.TargetDN
	}
	if e.Ticket != "" {
		row.ticket = e.Ticket
	}
	who := e.ActorName
	if who == "" {
		who = e.Actor
	}
	switch {
	case e.Type == "request.submitted" || (e.Type == "request.refused" && row.asked == ""):
		row.asked = who
	case e.Type == "request.approved" || e.Type == "request.denied":
		row.appr = who
	}
	if o := outcomeOf(e); o != "" {
		row.outcome = o
	}
}

// outcomeOf names what an event ends a request with; "" when it does not.
func outcomeOf(e audit.Event) string {
	why := e.Detail["why"]
	switch {
	case strings.HasSuffix(e.Type, ".completed") && e.Type != "ticket.completed_late":
		return "done: " + strings.TrimSuffix(e.Type, ".completed")
	case e.Type == "request.denied":
		return "denied"
	case e.Type == "request.expired":
		return "expired"
	case e.Outcome == audit.Refused && strings.HasSuffix(e.Type, "refused") && e.Type != "password.reveal_refused":
		return strings.TrimSpace("refused " + why)
	case e.Type == "request.failed" || strings.HasSuffix(e.Type, "verify_failed"):
		return "failed"
	case e.Type == "request.tampered":
		return "tampered: refused"
	}
	return ""
}

func matchesAccount(row *requestRow, want string) bool {
	if want == "" {
		return true
	}
	if strings.EqualFold(row.account, want) || strings.EqualFold(row.dn, want) {
		return true
	}
	// CN=alice,OU=… matches alice as well.
	first, _, _ := strings.Cut(row.dn, ",")
	_, v, ok := strings.Cut(first, "=")
	return ok && strings.EqualFold(v, want)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
