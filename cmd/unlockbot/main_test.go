package main

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"testing"
)

// TestMain gives every test config (and every replica a test starts) an
// audit HMAC key: configs name UNLOCKBOT_TEST_AUDIT_KEY.
func TestMain(m *testing.M) {
	if os.Getenv("UNLOCKBOT_TEST_AUDIT_KEY") == "" {
		os.Setenv("UNLOCKBOT_TEST_AUDIT_KEY", base64.StdEncoding.EncodeToString([]byte(rand.Text()+rand.Text())))
	}
	os.Exit(m.Run())
}
