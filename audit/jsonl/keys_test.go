package jsonl

import (
	"bytes"
	"testing"

	"github.com/unlockbot/unlockbot/audit"
)

func testKeys(t testing.TB) *audit.Keyring {
	t.Helper()
	k, err := audit.NewKeyring("t1", map[string][]byte{"t1": bytes.Repeat([]byte("k"), 32)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}
