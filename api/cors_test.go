package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

const portal = "https://portal.example.com"

// preflight sends a browser's CORS preflight from origin for a POST with the
// given request headers. It goes around the contract checker: a preflight is
// the browser's CORS protocol, not an operation of the API.
func (e *env) preflight(path, origin string, headers ...string) *http.Response {
	e.t.Helper()
	r, err := http.NewRequest(http.MethodOptions, e.gw.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	r.Header.Set("Origin", origin)
	r.Header.Set("Access-Control-Request-Method", http.MethodPost)
	if len(headers) > 0 {
		r.Header.Set("Access-Control-Request-Headers", strings.ToLower(strings.Join(headers, ",")))
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// corsHeaders lists the Access-Control-* headers of h.
func corsHeaders(h http.Header) []string {
	var out []string
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out = append(out, k)
		}
	}
	return out
}

// headerList splits a comma-separated header value into canonical names.
func headerList(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, http.CanonicalHeaderKey(item))
		}
	}
	return out
}

// TestCORS: with SYNCGATE_CORS_ORIGINS set, a portal on a listed origin gets
// its preflight answered (no token needed) allowing the headers a start
// sends, and its answers say which headers the page may read; an origin not
// listed gets no CORS header at all, on the preflight or the answer.
func TestCORS(t *testing.T) {
	e := newEnv(t, func(o *envOptions) {
		o.vars = map[string]string{"SYNCGATE_CORS_ORIGINS": portal + ",http://localhost:3000"}
	})
	sent := []string{"Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID", "Prefer", "If-None-Match", "Traceparent", "Tracestate"}
	path := "/organizations/" + veeamsim.ContosoID + "/sync"

	resp := e.preflight(path, portal, sent...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preflight: %d, want 200", resp.StatusCode)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != portal {
		t.Errorf("preflight Access-Control-Allow-Origin %q, want %q", got, portal)
	}
	if got := resp.Header.Get("Access-Control-Allow-Methods"); got != "POST" {
		t.Errorf("preflight Access-Control-Allow-Methods %q, want POST", got)
	}
	if got := headerList(resp.Header.Get("Access-Control-Allow-Headers")); !sameSet(got, headerList(strings.Join(sent, ","))) {
		t.Errorf("preflight Access-Control-Allow-Headers %v, want %v", got, sent)
	}
	if resp.Header.Get("Access-Control-Max-Age") == "" {
		t.Error("preflight has no Access-Control-Max-Age: the browser would repeat it before every call")
	}
	if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "" {
		t.Errorf("Access-Control-Allow-Credentials %q: bearer tokens need no cookies", got)
	}
	if resp := e.preflight(path, portal, "X-Secret-Header"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("a preflight asking for a header that is not allowed was allowed")
	}

	r := e.do(req{method: "GET", path: "/organizations", token: e.token, header: map[string]string{"Origin": portal}})
	wantStatus(t, r, http.StatusOK)
	if got := r.header.Get("Access-Control-Allow-Origin"); got != portal {
		t.Errorf("answer Access-Control-Allow-Origin %q, want %q", got, portal)
	}
	exposed := []string{"X-Request-Id", "Location", "Retry-After", "Idempotent-Replayed", "Ratelimit", "Ratelimit-Policy", "Etag", "Preference-Applied"}
	if got := headerList(r.header.Get("Access-Control-Expose-Headers")); !sameSet(got, exposed) {
		t.Errorf("Access-Control-Expose-Headers %v, want %v", got, exposed)
	}
	if !slices.Contains(r.header.Values("Vary"), "Origin") {
		t.Errorf("Vary %v lacks Origin: a cache could serve one origin's answer to another", r.header.Values("Vary"))
	}

	// A start's problem answers carry the headers too, so a page can read
	// its Retry-After.
	r = e.do(req{method: "POST", path: path, token: e.token, header: map[string]string{"Origin": portal}})
	wantStatus(t, r, http.StatusAccepted)
	r = e.do(req{method: "POST", path: path, token: e.token, header: map[string]string{"Origin": portal}})
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Access-Control-Allow-Origin") != portal || r.header.Get("Retry-After") == "" {
		t.Errorf("cooldown answer to the portal: Allow-Origin %q, Retry-After %q", r.header.Get("Access-Control-Allow-Origin"), r.header.Get("Retry-After"))
	}

	for _, origin := range []string{"https://evil.example.com", "https://portal.example.com.evil.example", "http://portal.example.com"} {
		if got := corsHeaders(e.preflight(path, origin, sent...).Header); len(got) != 0 {
			t.Errorf("preflight from %s: CORS headers %v, want none", origin, got)
		}
		r := e.do(req{method: "GET", path: "/organizations", token: e.token, header: map[string]string{"Origin": origin}})
		wantStatus(t, r, http.StatusOK)
		if got := corsHeaders(r.header); len(got) != 0 {
			t.Errorf("answer to %s: CORS headers %v, want none", origin, got)
		}
	}
}

// TestCORSOff: without SYNCGATE_CORS_ORIGINS no answer carries a CORS
// header, and a preflight is not answered as one (it needs a token like any
// request).
func TestCORSOff(t *testing.T) {
	e := newEnv(t)
	resp := e.preflight("/organizations/"+veeamsim.ContosoID+"/sync", portal, "Authorization")
	if got := corsHeaders(resp.Header); len(got) != 0 {
		t.Errorf("preflight: CORS headers %v, want none", got)
	}
	if resp.StatusCode == http.StatusOK {
		t.Errorf("preflight answered 200 with CORS off")
	}
	r := e.do(req{method: "GET", path: "/organizations", token: e.token, header: map[string]string{"Origin": portal}})
	wantStatus(t, r, http.StatusOK)
	if got := corsHeaders(r.header); len(got) != 0 {
		t.Errorf("answer: CORS headers %v, want none", got)
	}
}

// TestCORSAnyOrigin: "*" allows every origin without naming it.
func TestCORSAnyOrigin(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.vars = map[string]string{"SYNCGATE_CORS_ORIGINS": "*"} })
	resp := e.preflight("/organizations/"+veeamsim.ContosoID+"/sync", "https://anything.example.net", "Authorization")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight: %d, Allow-Origin %q; want 200 and *", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
