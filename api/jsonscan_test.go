package api

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// hostileBodies are 64 KB bodies of the shapes that cost the most to read:
// nesting (closed and unclosed), width, long names and long strings.
func hostileBodies() map[string]string {
	const size = maxBodyBytes
	fill := func(prefix, unit, suffix string) string {
		n := (size - len(prefix) - len(suffix)) / len(unit)
		return prefix + strings.Repeat(unit, n) + suffix
	}
	half := func(open, close string) string {
		n := size / (len(open) + len(close))
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	return map[string]string{
		"unclosed arrays":          strings.Repeat("[", size),
		"unclosed arrays in parts": fill(`{"parts":`, "[", ""),
		"closed arrays":            half("[", "]"),
		"closed arrays in parts":   `{"parts":` + half("[", "]")[:size-12] + `}`,
		"nested objects":           fill(``, `{"parts":`, ``),
		"nested objects closed":    half(`{"a":`, `}`),
		"wide array":               fill(`{"parts":[`, `"Users",`, `"Users"]}`),
		"wide numbers":             fill(`{"parts":[`, `0,`, `0]}`),
		"wide array of arrays":     fill(`{"parts":[`, `[],`, `[]]}`),
		"wide array of objects":    fill(`{"parts":[`, `{},`, `{}]}`),
		"many members":             fill(`{`, `"a":0,`, `"a":0}`),
		"long name":                fill(`{"`, `p`, `":true}`),
		"long string":              fill(`{"parts":["`, `x`, `"]}`),
		"escapes":                  fill(`{"parts":["`, `\u00e9`, `"]}`),
		"unclosed string":          fill(`{"parts":["`, `x`, ``),
	}
}

// TestBodyMemoryBound: a body of at most 64 KB, whatever its shape, is
// answered (with a problem or a decoded value) allocating under 10 MB (the
// time is logged, not asserted: on a loaded machine a wall clock says
// nothing about the code). On the old decoder 65,000 unclosed brackets took
// gigabytes.
func TestBodyMemoryBound(t *testing.T) {
	b := newBinder()
	for name, body := range hostileBodies() {
		t.Run(name, func(t *testing.T) {
			if len(body) > maxBodyBytes {
				t.Fatalf("test body has %d bytes", len(body))
			}
			var allocated uint64
			var took time.Duration
			var err error
			// The least of three runs, so that another test's garbage
			// collection or allocation does not count.
			for i := range 3 {
				r := httptest.NewRequest(http.MethodPost, "/organizations/sync", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				err = b.body(r, &BulkSyncRequest{}, true)
				d := time.Since(start)
				runtime.ReadMemStats(&after)
				if a := after.TotalAlloc - before.TotalAlloc; i == 0 || a < allocated {
					allocated = a
				}
				if i == 0 || d < took {
					took = d
				}
			}
			t.Logf("%s, %d bytes: %d bytes allocated, %s", name, len(body), allocated, took)
			if allocated >= 10<<20 {
				t.Errorf("reading a %d-byte body allocated %d bytes, want < 10 MB", len(body), allocated)
			}
			var p *Problem
			if err != nil && (!errors.As(err, &p) || p.Status != http.StatusBadRequest) {
				t.Errorf("error %v, want a 400 problem", err)
			}
		})
	}
}

// TestBodyNamesExact: member names match the contract's exactly
// (additionalProperties: false); encoding/json alone folds case and even
// matches U+017F (ſ) to "s".
func TestBodyNamesExact(t *testing.T) {
	b := newBinder()
	tests := []struct {
		body      string
		wantField string // "" when the body is accepted
		wantRule  string
	}{
		{`{"full":true}`, "", ""},
		{`{"full":true,"parts":["Users"],"organizationIds":[]}`, "", ""},
		{`{"Full":true}`, "Full", "unknown"},
		{`{"FULL":true}`, "FULL", "unknown"},
		{`{"partſ":["Users"]}`, "partſ", "unknown"},
		{`{"parts":["Users"],"partſ":["Groups"]}`, "partſ", "unknown"},
		{`{"OrganizationIds":[]}`, "OrganizationIds", "unknown"},
		{`{"full":true,"full":false}`, "full", "duplicate"},
		{`{"` + strings.Repeat("x", 1000) + `":1}`, strings.Repeat("x", maxNameBytes) + "…", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.body[:min(len(tt.body), 40)], func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/organizations/sync", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			err := b.body(r, &BulkSyncRequest{}, true)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var p *Problem
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest || len(p.Errors) != 1 {
				t.Fatalf("got %v, want one 400 field error", err)
			}
			if got := p.Errors[0]; got.Field != tt.wantField || got.Rule != tt.wantRule {
				t.Fatalf("field error %+v, want field %q rule %q", got, tt.wantField, tt.wantRule)
			}
		})
	}
}

// TestBodyArrayBound: an array longer than its contract's maximum is refused
// at the first item too many, named as the validator names it.
func TestBodyArrayBound(t *testing.T) {
	b := newBinder()
	for _, tt := range []struct{ body, field, msg string }{
		{`{"parts":[` + strings.Repeat(`0,`, 30000) + `0]}`, "parts", "must have at most 5 items"},
		{`{"organizationIds":[` + strings.Repeat(`"x",`, 5000) + `"x"]}`, "organizationIds", "must have at most 1000 items"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/organizations/sync", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json")
		var p *Problem
		if err := b.body(r, &BulkSyncRequest{}, true); !errors.As(err, &p) || len(p.Errors) != 1 ||
			p.Errors[0] != (FieldError{Field: tt.field, Rule: "max", Message: tt.msg}) {
			t.Errorf("got %v (%+v), want %s %s", err, p, tt.field, tt.msg)
		}
	}
}

// slowBody fails as a connection's body read does when the server's read
// timeout passes.
type slowBody struct{}

func (slowBody) Read([]byte) (int, error) { return 0, os.ErrDeadlineExceeded }

// TestSlowBody408: a body that does not arrive within the read timeout is
// 408 Request Timeout (it was 400, as if the caller had sent bad JSON).
func TestSlowBody408(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/organizations/sync", io.NopCloser(slowBody{}))
	r.Header.Set("Content-Type", "application/json")
	var p *Problem
	if err := newBinder().body(r, &BulkSyncRequest{}, true); !errors.As(err, &p) || p.Status != http.StatusRequestTimeout || p.Type != TypeRequestTimeout {
		t.Fatalf("got %v, want a 408 request-timeout problem", err)
	}
}
