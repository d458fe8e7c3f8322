package kaseyabms

import (
	"strings"
	"time"
)

// bmsTime reads BMS dates, which come with or without a zone
// ("2024-01-15T00:00:00"); zoneless ones are taken as UTC.
type bmsTime struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"}

func (t *bmsTime) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		t.Time = time.Time{}
		return nil
	}
	for _, l := range timeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	t.Time = time.Time{} // an unreadable date is not worth failing a call
	return nil
}

// wireTime is how we send dates: UTC, seconds, with a zone.
func wireTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
