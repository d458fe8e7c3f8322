package sms

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// fakeOnce answers every request with status and body.
func fakeOnce(t *testing.T, status int, body string) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}
