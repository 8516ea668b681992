package contract_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/syncgate/syncgate/internal/contract"
)

func newChecker(t *testing.T) *contract.Checker {
	t.Helper()
	spec, err := os.ReadFile(filepath.Join(root, contract.OpenAPIYAML))
	if err != nil {
		t.Fatal(err)
	}
	c, err := contract.NewChecker(spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	org     = "/organizations/3fa85f64-5717-4562-b3fc-2c963f66afa6"
	problem = `{"type":"urn:syncgate:problem:not-found","title":"Not found","status":404,"requestId":"r1"}`
)

// TestCheckerFindsViolations: the contract check accepts answers as the
// gateway sends them and catches each way an answer can break openapi.yaml.
func TestCheckerFindsViolations(t *testing.T) {
	c := newChecker(t)
	hdr := func(ct string, kv ...string) http.Header {
		h := http.Header{"X-Request-Id": {"r1"}}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	const (
		js = "application/json"
		pj = "application/problem+json"
	)
	started := `{"organizationId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","type":"Full","parts":[],"previousStatus":"None","requestId":"r1"}`
	tests := []struct {
		name         string
		method, path string
		status       int
		header       http.Header
		body         string
		violation    string // "" when the answer keeps the contract
	}{
		{"health", "GET", "/healthz", 200, hdr(js), `{"status":"ok"}`, ""},
		{"undocumented field", "GET", "/healthz", 200, hdr(js), `{"status":"ok","uptime":3}`, "uptime"},
		{"undocumented status", "GET", "/healthz", 418, hdr(pj), problem, "status 418 is not documented"},
		{"required header missing", "GET", "/healthz", 200, http.Header{"Content-Type": {js}}, `{"status":"ok"}`, "X-Request-ID"},
		{"error as plain JSON", "GET", org, 404, hdr(js), problem, "Content-Type"},
		{"error as problem", "GET", org, 404, hdr(pj), problem, ""},
		{"problem without title", "GET", org, 404, hdr(pj), `{"type":"x","status":404}`, "title"},
		{"required field missing", "GET", org + "/sync", 200, hdr(js, "ETag", `"e1"`), `{"organizationId":"x","status":"None","current":null,"parts":null}`, "last"},
		{"null where nullable", "GET", org + "/sync", 200, hdr(js, "ETag", `"e1"`), `{"organizationId":"x","status":"None","current":null,"last":null,"parts":null}`, ""},
		{"null where not nullable", "GET", org + "/sync", 200, hdr(js, "ETag", `"e1"`), `{"organizationId":null,"status":"None","current":null,"last":null,"parts":null}`, "organizationId"},
		{"state without its ETag", "GET", org + "/sync", 200, hdr(js), `{"organizationId":"x","status":"None","current":null,"last":null,"parts":null}`, "ETag"},
		{"wrong type", "GET", "/organizations", 200, hdr(js), `{"items":[],"offset":"0","limit":100,"total":null}`, "offset"},
		{"202 with Location", "POST", org + "/sync", 202, hdr(js, "Location", org+"/sync"), started, ""},
		{"202 without Location", "POST", org + "/sync", 202, hdr(js), started, "Location"},
		{"dry-run body on 202", "POST", org + "/sync", 202, hdr(js, "Location", org+"/sync"), `{"dryRun":true,"wouldStart":true,"reason":null,"previousStatus":"None"}`, "dryRun"},
		{"429 without Retry-After", "POST", org + "/sync", 429, hdr(pj), problem, "Retry-After"},
		{"503 without Retry-After", "POST", org + "/sync", 503, hdr(pj), problem, ""},
		{"401 without challenge", "POST", org + "/sync", 401, hdr(pj), problem, "WWW-Authenticate"},
		{"unknown route, problem", "GET", "/nowhere", 404, hdr(pj), problem, ""},
		{"unknown method, problem", "DELETE", "/organizations", 405, hdr(pj), problem, ""},
		{"unknown route, plain text", "GET", "/nowhere", 404, hdr("text/plain"), "404 page not found", "Content-Type"},
		{"unknown route, undocumented field", "GET", "/nowhere", 404, hdr(pj), `{"type":"x","title":"t","status":404,"trace":"…"}`, "trace"},
		{"unknown route, success", "GET", "/nowhere", 200, hdr(js), `{}`, "no operation"},
		{"html page", "GET", "/swagger/", 200, hdr("text/html; charset=utf-8"), "<html></html>", ""},
		{"page with another type", "GET", "/swagger/", 200, hdr("application/json"), "{}", "Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			err := c.Check(req, tt.status, tt.header, []byte(tt.body))
			if err != nil {
				t.Log(err)
			}
			switch {
			case tt.violation == "" && err != nil:
				t.Errorf("violation reported for an answer that keeps the contract: %v", err)
			case tt.violation != "" && err == nil:
				t.Errorf("no violation reported; want one about %q", tt.violation)
			case tt.violation != "" && !strings.Contains(err.Error(), tt.violation):
				t.Errorf("violation %q; want one about %q", err, tt.violation)
			}
		})
	}
}

// TestTransport: the RoundTripper counts and records what it checks, and the
// caller still reads the whole body.
func TestTransport(t *testing.T) {
	c := newChecker(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", "r1")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/readyz" {
			_, _ = io.WriteString(w, `{"status":"ready","keys":2}`)
			return
		}
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}))
	defer srv.Close()
	client := &http.Client{Transport: c.Transport(srv.Client().Transport)}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !strings.HasPrefix(string(body), `{"status":`) {
			t.Fatalf("%s: body %q (%v); want the server's", path, body, err)
		}
	}
	checked, violations := c.Report()
	if checked != 2 || len(violations) != 1 || !strings.Contains(violations[0], "GET /readyz") || !strings.Contains(violations[0], "keys") {
		t.Fatalf("checked %d, violations %q; want 2 checked and the /readyz field reported", checked, violations)
	}
}

// TestCheckerRefusesExamplesThatAreNotAnswers: every example openapi.yaml
// shows must be a valid answer (or request) of its operation; the committed
// contract's are, and a contract whose example breaks its schema, its enums
// or its pattern is refused, naming the example.
func TestCheckerRefusesExamplesThatAreNotAnswers(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join(root, contract.OpenAPIYAML))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		t.Fatal(err)
	}
	if bad := contract.CheckExamples(doc); len(bad) > 0 {
		t.Fatalf("openapi.yaml's examples:\n%s", strings.Join(bad, "\n"))
	}
	// Every JSON answer of a start shows an example.
	for _, code := range []string{"200", "202", "400", "409", "429"} {
		op := doc.Paths.Value("/organizations/{organizationId}/sync").Post
		shown := false
		for _, media := range op.Responses.Value(code).Value.Content {
			shown = shown || media.Example != nil
		}
		if !shown {
			t.Errorf("POST /organizations/{organizationId}/sync %s has no example", code)
		}
	}

	start := doc.Paths.Value("/organizations/{organizationId}/sync").Post
	start.Responses.Value("202").Value.Content.Get("application/json").Example = map[string]any{
		"organizationId": "62c4ab35-68fb-4a48-ae4d-8103635b9526", "type": "Partial", "parts": []any{}, "previousStatus": "None", "requestId": "r1",
	}
	start.Responses.Value("400").Value.Content.Get("application/problem+json").Example = map[string]any{
		"type": "urn:syncgate:problem:validation", "title": "Request validation failed", "status": "400",
	}
	for _, p := range start.Parameters {
		if p.Value.Name == "organizationId" {
			p.Value.Example = "not-a-guid"
		}
	}
	doc.Components.Schemas["Problem"].Value.Properties["retryAfter"].Value.Example = "soon"
	bad := strings.Join(contract.CheckExamples(doc), "\n")
	for _, want := range []string{
		"POST /organizations/{organizationId}/sync 202 application/json example",
		"POST /organizations/{organizationId}/sync 400 application/problem+json example",
		"POST /organizations/{organizationId}/sync parameter organizationId",
		"#/components/schemas/Problem.retryAfter example",
	} {
		if !strings.Contains(bad, want) {
			t.Errorf("CheckExamples does not report the %s:\n%s", want, bad)
		}
	}
	doctored, err := doc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := contract.NewChecker(doctored); err == nil || !strings.Contains(err.Error(), "examples that are not valid answers") {
		t.Errorf("NewChecker accepted a contract with bad examples: %v", err)
	}
}
