package teams

import (
	"context"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store/memstore"
)

// References merge what each activity tells, survive the process (they
// are in the store), and one pointing at a host the bot must not send
// its token to is not used.
func TestRefs(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	allow, _ := newHostAllowlist(nil)
	r := newRefs(st, "tenant-1", DefaultServiceURL, allow, time.Now)
	if got := r.serviceURL(ctx); got != DefaultServiceURL {
		t.Fatalf("no service URL seen yet: %q", got)
	}
	if _, ok := r.user(ctx, "oid-1"); ok {
		t.Fatal("a user never seen is known")
	}
	emea := "https://smba.trafficmanager.net/emea/"
	if err := r.saw(ctx, "oid-1", userRef{MRI: "29:1", ServiceURL: emea}); err != nil {
		t.Fatal(err)
	}
	if err := r.saw(ctx, "oid-1", userRef{Personal: "a:chat"}); err != nil { // a later activity, in their chat
		t.Fatal(err)
	}
	other := newRefs(st, "tenant-1", DefaultServiceURL, allow, time.Now) // another replica
	if u, ok := other.user(ctx, "oid-1"); !ok || u != (userRef{MRI: "29:1", ServiceURL: emea, Personal: "a:chat"}) {
		t.Fatalf("merged reference %+v %v", u, ok)
	}
	if _, ok := newRefs(st, "tenant-2", DefaultServiceURL, allow, time.Now).user(ctx, "oid-1"); ok {
		t.Fatal("another tenant's reference is read")
	}
	if err := r.sawService(ctx, emea); err != nil || other.serviceURL(ctx) != emea {
		t.Fatalf("tenant service URL: %v %q", err, other.serviceURL(ctx))
	}
	if err := r.sawService(ctx, "https://evil.example/"); err != nil || other.serviceURL(ctx) != emea {
		t.Fatal("a service URL on another host was recorded")
	}

	// Someone who can write the store points a user at their own host.
	rec, _ := st.Get(ctx, r.userKey("oid-1"))
	if _, err := st.CompareAndSwap(ctx, rec.Key, rec.Version, []byte(`{"mri":"29:1","service_url":"https://evil.example/","personal":"a:chat"}`), 0); err != nil {
		t.Fatal(err)
	}
	if u, _ := other.user(ctx, "oid-1"); u.ServiceURL != "" {
		t.Fatalf("a poisoned service URL is used: %+v", u)
	}
	if _, err := st.CompareAndSwap(ctx, r.svcKey(), 1, []byte("https://evil.example/"), 0); err != nil {
		t.Fatal(err)
	}
	if got := other.serviceURL(ctx); got != DefaultServiceURL {
		t.Fatalf("a poisoned tenant service URL is used: %q", got)
	}
}
