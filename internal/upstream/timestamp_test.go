package upstream

import (
	"encoding/json"
	"testing"
	"time"
)

// TestTimestamp: both backends' date forms decode to the same instant, and
// what means "no time" decodes to nil.
func TestTimestamp(t *testing.T) {
	want := time.Date(2026, 11, 2, 9, 30, 15, 123456700, time.UTC)
	for _, tc := range []struct {
		name, in string
		want     *time.Time
	}{
		{"Graph, 7 fractional digits", `"2026-11-02T09:30:15.1234567Z"`, &want},
		{"no zone means UTC", `"2026-11-02T09:30:15.1234567"`, &want},
		{"space between date and time", `"2026-11-02 09:30:15.1234567Z"`, &want},
		{"null", `null`, nil},
		{"empty", `""`, nil},
		{"Graph's never", `"0001-01-01T00:00:00Z"`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ts Timestamp
			if err := json.Unmarshal([]byte(tc.in), &ts); err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == nil && ts.T != nil:
				t.Fatalf("got %v, want no time", *ts.T)
			case tc.want != nil && (ts.T == nil || !ts.T.Equal(*tc.want)):
				t.Fatalf("got %v, want %v", ts.T, *tc.want)
			}
		})
	}
	for _, bad := range []string{`"yesterday"`, `42`} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(bad), &ts); err == nil {
			t.Errorf("%s decoded to %v, want an error", bad, ts.T)
		}
	}
}
