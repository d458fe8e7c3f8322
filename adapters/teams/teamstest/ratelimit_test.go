package teamstest

import (
	"testing"
	"time"
)

// Per conversation (a channel with its threads, a personal chat), a
// burst then one call per interval; the next is answered 429 with
// Retry-After and Bot Framework's Throttled body, counted, and does not
// land. Opening a personal chat and member lookups are not counted.
func TestConversationLimit(t *testing.T) {
	f := newConnFixture(t)
	personal := f.s.Personal(alice).ID
	if a := f.call("POST", seg(personal)+"/activities", msg); a.status != 201 {
		t.Fatalf("unlimited by default: %d", a.status)
	}
	const iv = 300 * time.Millisecond
	f.s.LimitConversations(ConversationLimit{Interval: iv, Burst: 3})
	conv, root := f.thread() // 1: the new thread counts against the channel
	if a := f.call("POST", seg(conv)+"/activities", msg); a.status != 201 {
		t.Fatalf("reply in the burst: %d %v", a.status, a.body)
	}
	if a := f.call("PUT", seg(conv)+"/activities/"+root, `{"type":"message","text":"new"}`); a.status != 200 {
		t.Fatalf("update in the burst: %d %v", a.status, a.body)
	}
	over := f.call("POST", seg(testChannel+";messageid="+root)+"/activities/"+root, msg)
	if over.status != 429 || over.header.Get("Retry-After") != "1" || over.code() != "Throttled" {
		t.Fatalf("fourth call in the channel (a reply): %d Retry-After %q %v, want 429, 1, Throttled", over.status, over.header.Get("Retry-After"), over.body)
	}
	if n := len(f.s.Activities(conv)); n != 2 {
		t.Fatalf("%d activities in the thread, want 2: a refused reply landed", n)
	}
	if a := f.call("POST", seg(personal)+"/activities", msg); a.status != 201 {
		t.Fatalf("another conversation was limited: %d", a.status)
	}
	for range 5 {
		if a := f.call("POST", "", `{"isGroup":false,"members":[{"id":"`+alice.MRI+`"}],"tenantId":"`+f.s.opts.TenantID+`"}`); a.status != 201 {
			t.Fatalf("opening a personal chat was limited: %d", a.status)
		}
		if a := f.call("GET", seg(testChannel)+"/members/"+alice.MRI, ""); a.status != 200 {
			t.Fatalf("a member lookup was limited: %d", a.status)
		}
	}
	time.Sleep(iv)
	if a := f.call("POST", seg(conv)+"/activities", msg); a.status != 201 {
		t.Fatalf("one interval later: %d", a.status)
	}
	st := f.s.Stats(conv, time.Second) // a thread id counts as its channel
	if st.Accepted != 4 || st.Rejected != 1 || st.Peak != 4 {
		t.Fatalf("channel stats %+v, want 4 accepted, 1 rejected, peak 4 in a second", st)
	}
	if st := f.s.Stats(testChannel, iv/2); st.Peak != 3 {
		t.Fatalf("peak in %v = %d, want the burst of 3", iv/2, st.Peak)
	}
	if r := f.s.Rejected(); len(r) != 1 || r[0].Kind != CallReply || r[0].Conversation != testChannel {
		t.Fatalf("rejected %+v", r)
	}
}
