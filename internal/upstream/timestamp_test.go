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

// TestParseUTCAgreesWithTimeParse: the allocation-free reader of Graph's
// timestamps reads what time.Parse reads, and leaves the rest to it.
func TestParseUTCAgreesWithTimeParse(t *testing.T) {
	cases := []string{
		"2021-05-24T21:45:53.6330529Z", "2021-05-24T21:45:53Z", "2021-05-24T21:45:53.1Z", "2021-05-24T21:45:53.123456789Z",
		"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.0000000Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z",
		"2021-13-01T00:00:00Z", "2021-00-01T00:00:00Z", "2021-04-31T00:00:00Z", "2021-05-24T24:00:00Z", "2021-05-24T21:60:00Z",
		"2021-05-24T21:45:60Z", "2021-05-24T21:45:53.Z", "2021-05-24T21:45:53.1234567890Z", "2021-05-24t21:45:53Z",
		"2021-05-24T21:45:53+02:00", "2021-05-24T21:45:53", "2021-5-24T21:45:53Z", "+021-05-24T21:45:53Z", "2021-05-24T21:45:5aZ",
		"2021-05-24 21:45:53Z", "2021-05-24T21:45:53.12a4Z", "",
	}
	for _, c := range cases {
		want, werr := time.Parse(time.RFC3339Nano, c)
		got, ok := parseUTC([]byte(c))
		switch {
		case ok && werr != nil:
			t.Errorf("parseUTC(%q) = %v, but time.Parse refuses it: %v", c, got, werr)
		case ok && !got.Equal(want):
			t.Errorf("parseUTC(%q) = %v, time.Parse reads %v", c, got, want)
		}
	}
	for _, c := range cases[:7] { // the shapes Graph sends
		if _, ok := parseUTC([]byte(c)); !ok {
			t.Errorf("parseUTC(%q) left a timestamp of Graph's shape to time.Parse", c)
		}
	}
}
