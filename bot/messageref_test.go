package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// A record written before message references carried a service URL (only
// channel and id) still opens, MAC and all, and keeps its card reference;
// saved again, a Slack reference gains no field an older replica would
// not expect. A Teams reference round-trips its three parts.
func TestMessageRefOldRecordsStillLoad(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	// The stored JSON as the previous version wrote it, byte for byte in
	// the part that matters: approval_msg with channel and id only.
	stored, err := h.svc.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(stored)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]json.RawMessage
	if err := json.Unmarshal(body, &generic); err != nil {
		t.Fatal(err)
	}
	generic["approval_msg"] = json.RawMessage(`{"channel":"C-approvals","id":"1700000000.000100"}`)
	old, err := json.Marshal(generic)
	if err != nil {
		t.Fatal(err)
	}
	key := requestKey(r.ID)
	sealed, err := h.sealer.sealRecord(key, stored.version+1, old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.CompareAndSwap(ctx, key, stored.version, sealed, requestTTL); err != nil {
		t.Fatal(err)
	}

	got, err := h.svc.Get(ctx, r.ID)
	if err != nil {
		t.Fatalf("an old-format record does not load: %v", err)
	}
	if want := (MessageRef{Channel: "C-approvals", ID: "1700000000.000100"}); got.ApprovalMsg == nil || *got.ApprovalMsg != want {
		t.Fatalf("approval_msg %+v, want %+v", got.ApprovalMsg, want)
	}
	if err := h.svc.repo.save(ctx, got); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(got.ApprovalMsg); string(b) != `{"channel":"C-approvals","id":"1700000000.000100"}` {
		t.Fatalf("a Slack reference marshals as %s", b)
	}

	teams := MessageRef{Channel: "19:abc@thread.tacv2", ID: "1700000000001", ServiceURL: "https://smba.trafficmanager.net/emea/"}
	got.ApprovalMsg = &teams
	if err := h.svc.repo.save(ctx, got); err != nil {
		t.Fatal(err)
	}
	back, err := h.svc.Get(ctx, r.ID)
	if err != nil || back.ApprovalMsg == nil || *back.ApprovalMsg != teams {
		t.Fatalf("a Teams reference came back as %+v (%v)", back.ApprovalMsg, err)
	}
	rec, _ := h.st.Get(ctx, key)
	if !strings.Contains(string(rec.Value), `"service_url":"https://smba.trafficmanager.net/emea/"`) {
		t.Fatal("the service URL is not stored under service_url")
	}
}
