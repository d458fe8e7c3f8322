package adaptertest

import (
	"encoding/json"
	"html"
	"net/url"
	"strings"
)

// shownOnce asserts pw reached the platform in exactly one body (the
// reveal the requester saw) and is in no card, no thread, no other
// person's messages, no log line and no audit record.
func (r *run) shownOnce(pw string) {
	r.t.Helper()
	r.scan(pw, 1, Approver, Outsider)
}

// neverSent asserts pw reached the platform in no body at all, nor any
// log line or audit record: a password the technician typed is theirs
// already, so nothing has a reason to carry it back.
func (r *run) neverSent(pw string) {
	r.t.Helper()
	r.scan(pw, 0, Technician, Approver, Outsider)
}

// scan asserts pw, in any of its encodings, is in exactly bodies of the
// bodies sent to the platform, on no approval card or thread, in nothing
// shown to hidden, and in no log line or audit record.
func (r *run) scan(pw string, bodies int, hidden ...User) {
	r.t.Helper()
	if len(pw) < 12 {
		r.t.Fatalf("password of %d characters: the scan would prove little", len(pw))
	}
	forms := encodings(pw)
	has := func(s string) bool {
		for _, f := range forms {
			if strings.Contains(s, f) {
				return true
			}
		}
		return false
	}
	n := 0
	for _, body := range r.p.Sent(r.t) {
		if has(body) {
			n++
		}
	}
	if n != bodies {
		r.t.Errorf("the password is in %d bodies sent to the platform, want exactly %d", n, bodies)
	}
	for _, c := range r.p.Approvals(r.t) {
		for _, m := range append([]Message{c}, c.Replies...) {
			if has(m.String()) {
				r.t.Errorf("the password is on the approval card or in its thread")
			}
		}
	}
	for _, u := range hidden {
		for _, m := range r.p.Private(r.t, u) {
			if has(m.String()) {
				r.t.Errorf("the password was shown to the %s", u)
			}
		}
	}
	for name, out := range map[string]string{"log": r.env.logs.String(), "audit trail": r.env.audit.String()} {
		if out == "" {
			r.t.Errorf("the %s is empty: the scan proves nothing", name)
		}
		if has(out) {
			r.t.Errorf("the password is in the %s", name)
		}
	}
}

// encodings are the ways a password can appear on the wire: as is, in a
// JSON string (with or without HTML escaping), HTML-escaped, and each of
// those form-encoded.
func encodings(pw string) []string {
	j, _ := json.Marshal(pw)
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(pw)
	base := []string{pw, strings.Trim(string(j), `"`), strings.Trim(strings.TrimSpace(b.String()), `"`), html.EscapeString(pw)}
	out := append([]string{}, base...)
	for _, s := range base {
		out = append(out, url.QueryEscape(s), url.PathEscape(s))
	}
	return out
}
