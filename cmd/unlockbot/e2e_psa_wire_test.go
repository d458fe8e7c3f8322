package main

import (
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/psa/connectwise/connectwisetest"
	"github.com/unlockbot/unlockbot/psa/kaseyabms/kaseyabmstest"
)

// quietOnTheWire checks, in the bodies the PSA fake received, that the
// ticket unlockbot created asked for no e-mail (ConnectWise) and that its
// resolve comment was internal (Kaseya BMS): a reset's details are for the
// helpdesk, not mailed to the contact.
func quietOnTheWire(t *testing.T, vendor string, bodies []string) {
	t.Helper()
	var want []string
	switch vendor {
	case "connectwise":
		want = []string{`"automaticEmailContactFlag":false`, `"automaticEmailResourceFlag":false`, `"automaticEmailCcFlag":false`}
	case "kaseya_bms":
		want = []string{`"IsInternal":true`}
	}
	all := strings.Join(bodies, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("%s: no request carried %s", vendor, w)
		}
	}
}

func cwBodies(f *connectwisetest.Server, pathPart string) []string {
	var out []string
	for _, r := range f.Requests() {
		if r.Method == "POST" && strings.Contains(r.Path, pathPart) {
			out = append(out, r.Body)
		}
	}
	return out
}

func bmsBodies(f *kaseyabmstest.Server, pathPart string) []string {
	var out []string
	for _, r := range f.Requests() {
		if r.Method == "POST" && strings.Contains(r.Path, pathPart) {
			out = append(out, r.Body)
		}
	}
	return out
}
