package identity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestSecretNeverPrints(t *testing.T) {
	const pw = "Hunter2-Hunter2"
	s := NewSecret(pw)
	type wrapper struct {
		Password Secret
		Ptr      *Secret
	}
	w := wrapper{Password: s, Ptr: &s}
	js, _ := json.Marshal(w)
	var logBuf, zlBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "pw", s, "w", w)
	zl := zerolog.New(&zlBuf)
	zl.Info().Interface("pw", s).Any("w", w).Stringer("s", s).Msgf("bind with %v", s)
	outs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x %d", s, s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", w, w, &w), string(js), logBuf.String(),
		fmt.Errorf("bind failed for %v", s).Error(), zlBuf.String(),
	}
	for _, o := range outs {
		if strings.Contains(o, pw) || strings.Contains(o, "48756e746572") {
			t.Fatalf("secret leaked: %s", o)
		}
		if !strings.Contains(o, "[redacted]") {
			t.Fatalf("no redaction marker: %s", o)
		}
	}
	if s.Reveal() != pw || s.IsZero() || !(Secret{}).IsZero() {
		t.Fatal("Reveal/IsZero wrong")
	}
}
