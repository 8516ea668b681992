package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/upstream"
)

// FuzzBody: any body gets nil or a 400/413/415 problem, never a panic, and a
// body accepted has only exact member names of the contract at its top level.
func FuzzBody(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"full":true,"parts":["Users","Groups"]}`, `{"organizationIds":["62c4ab35-68fb-4a48-ae4d-8103635b9526"]}`,
		`{"Full":true}`, `{"partſ":[]}`, `{"full":true,"full":false}`, `[[[[[[[[[[`, `{"parts":[[[[]]]]}`,
		`{"parts":["\u0000"]}`, `{"full":1e999}`, "{\"parts\":[\"\xff\"]}", `{"a":{"b":{"c":{}}}}`, ` `, `null`,
	} {
		f.Add([]byte(s))
	}
	b := newBinder()
	f.Fuzz(func(t *testing.T, data []byte) {
		r := httptest.NewRequest(http.MethodPost, "/organizations/sync", bytes.NewReader(data))
		r.Header.Set("Content-Type", "application/json")
		var v BulkSyncRequest
		err := b.body(r, &v, true)
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("error %v (%T) is not a problem", err, err)
			}
			if p.Status != 400 && p.Status != 413 && p.Status != 415 {
				t.Fatalf("status %d for %q", p.Status, data)
			}
			for _, fe := range p.Errors {
				if len(fe.Field) > 4*maxNameBytes*maxBodyDepth {
					t.Fatalf("field name of %d bytes repeated", len(fe.Field))
				}
			}
			return
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(data, &members); err != nil {
			t.Fatalf("accepted %q, which is not a JSON object: %v", data, err)
		}
		for name := range members {
			if name != "full" && name != "parts" && name != "organizationIds" {
				t.Fatalf("accepted member %q in %q", name, data)
			}
		}
	})
}

// FuzzQuery: any query string gets nil or a 400 problem listing a bounded
// number of short field errors.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"", "limit=10&offset=5", "limit=0", "limit=ten", "limit=1&limit=2", "dryRun=maybe",
		"force=true&force=false", "%zz", "a;b", "x=1&y=2&z=3&w=4&v=5&u=6&t=7", strings.Repeat("p", 500) + "=1"} {
		f.Add(s)
	}
	b := newBinder()
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest(http.MethodGet, "/organizations", nil)
		r.URL.RawQuery = raw
		for _, dst := range []any{&pageQuery{}, &startQuery{}} {
			err := b.query(r, dst)
			if err == nil {
				continue
			}
			var p *Problem
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest {
				t.Fatalf("query %q: %v, want a 400 problem", raw, err)
			}
			if len(p.Errors) > maxUnknownListed+4 {
				t.Fatalf("query %q: %d field errors", raw, len(p.Errors))
			}
			for _, fe := range p.Errors {
				if len(fe.Field) > maxNameBytes+len("…") {
					t.Fatalf("query %q: field %q repeated whole", raw, fe.Field)
				}
			}
		}
	})
}

// FuzzProblem: whatever an error carries (a backend's message and code, a
// Retry-After, a caller's field name), the answer is one problem+json object
// whose status is the header's, Retry-After is 1..86400 seconds, and a 5xx
// never repeats the backend's text.
func FuzzProblem(f *testing.F) {
	f.Add("a backend message", "Code", int64(30*time.Second), "field", 502)
	f.Add("password=secret Bearer x.y.z", "", int64(-1), "\xff\u2028", 429)
	f.Add("", "", int64(1<<62), strings.Repeat("x", 300), 0)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// backendMark starts the backend's message, so that the check below
	// finds the message and not a title it happens to share words with.
	const backendMark = "BACKEND-TEXT:"
	kinds := []upstream.Kind{upstream.KindInternal, upstream.KindNotFound, upstream.KindConflict, upstream.KindInvalid,
		upstream.KindAuth, upstream.KindThrottled, upstream.KindUnavailable, upstream.KindTimeout, upstream.KindBadResponse}
	f.Fuzz(func(t *testing.T, msg, code string, retryAfter int64, field string, status int) {
		errs := []error{
			&upstream.Error{Service: "veeam", Op: "fuzz", Kind: kinds[uint(status)%uint(len(kinds))], Status: status, Code: code, Message: backendMark + msg, RetryAfter: time.Duration(retryAfter)},
			validationProblem([]FieldError{{Field: field, Rule: "unknown", Message: msg}}),
			errors.New(msg),
		}
		for _, err := range errs {
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest(http.MethodGet, "/organizations", nil), logger, err)
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var p struct {
				Status int    `json:"status"`
				Type   string `json:"type"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code || p.Type == "" {
				t.Fatalf("body %q for status %d (%v)", w.Body, w.Code, err)
			}
			if w.Code < 400 || w.Code > 599 {
				t.Fatalf("status %d", w.Code)
			}
			if ra := w.Header().Get("Retry-After"); ra != "" {
				if n, err := strconv.Atoi(ra); err != nil || n < 1 || n > 86400 {
					t.Fatalf("Retry-After %q", ra)
				}
			}
			if w.Code >= 500 && strings.Contains(w.Body.String(), backendMark) {
				t.Fatalf("a %d repeats the backend's text: %s", w.Code, w.Body)
			}
		}
	})
}
