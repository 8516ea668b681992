package api

import (
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/upstream"
)

// TestRetryAfterCapped: a backend's Retry-After of 99999999999999999999
// seconds (or a date in year 9999) reaches the caller as one day, never as a
// negative number (it used to become Retry-After: -9223372035).
func TestRetryAfterCapped(t *testing.T) {
	for _, header := range []string{"99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"} {
		d, ok := upstream.ParseRetryAfter(header, time.Now())
		if !ok {
			t.Fatalf("Retry-After %q not read", header)
		}
		for _, wait := range []time.Duration{d, time.Duration(math.MaxInt64)} {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/organizations", nil)
			writeError(w, r, slog.New(slog.NewTextHandler(io.Discard, nil)),
				&upstream.Error{Service: "veeam", Op: "list", Kind: upstream.KindThrottled, Status: 429, RetryAfter: wait})
			if got := w.Header().Get("Retry-After"); got != "86400" {
				t.Errorf("backend Retry-After %q (%d): caller got Retry-After %q, want 86400", header, wait, got)
			}
		}
	}
}
