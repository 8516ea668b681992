package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/syncgate/syncgate"
	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/contract"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/store"
)

// contractChecker checks every answer the suite's clients receive against
// openapi.yaml; TestMain fails the run when any answer breaks the contract.
var contractChecker *contract.Checker

func TestMain(m *testing.M) {
	checker, err := contract.NewChecker(syncgate.OpenAPI())
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi.yaml:", err)
		os.Exit(1)
	}
	contractChecker = checker
	code := m.Run()
	checked, violations := checker.Report()
	fmt.Printf("contract: %d answers validated against openapi.yaml, %d violations\n", checked, len(violations))
	if missing := checker.Unexercised(); testing.Verbose() && len(missing) > 0 {
		fmt.Printf("contract: documented answers no test produced:\n  %s\n", strings.Join(missing, "\n  "))
	}
	if len(violations) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d answers break openapi.yaml (fix the annotations and run `make docs`, or the handler):\n", len(violations))
		for _, v := range violations {
			fmt.Fprintln(os.Stderr, "  "+v)
		}
		code = 1
	}
	os.Exit(checkSuiteSecrets(code))
}

// TestContractCoversEveryRoute: openapi.yaml documents exactly the routes
// routes.go serves, and every route behind a token says so.
func TestContractCoversEveryRoute(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(syncgate.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	h := api.NewServer(api.Config{
		Auth:   fakeAuth{},
		Scopes: api.Scopes{OrganizationsRead: "Organizations.Read", OrganizationsSync: "Organizations.Sync", SyncJobsRead: "SyncJobs.Read", SyncJobsStart: "SyncJobs.Start"},
		Guard:  guard.New(store.NewMemory(time.Now), time.Minute),
	})
	routes, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("NewServer returned %T, not a chi router", h)
	}
	var served []string
	err = chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served = append(served, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented = append(documented, method+" "+path)
			public := slices.ContainsFunc(op.Tags, func(tag string) bool { return tag == "health" || tag == "contract" })
			secured := op.Security != nil && len(*op.Security) == 1 && (*op.Security)[0]["bearer"] != nil
			scopes, _ := op.Extensions["x-required-scopes"].([]any)
			if !public && (!secured || len(scopes) != 1) {
				t.Errorf("%s %s: security %v, scopes %v; want the bearer scheme and its one scope", method, path, op.Security, scopes)
			}
			if public && op.Security != nil {
				t.Errorf("%s %s is public but documents security %v", method, path, *op.Security)
			}
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	if !slices.Equal(served, documented) {
		t.Errorf("routes served:\n  %s\nroutes documented in openapi.yaml:\n  %s",
			strings.Join(served, "\n  "), strings.Join(documented, "\n  "))
	}
	// DESIGN.md's routes, as far as they exist.
	for _, r := range []string{
		"POST /organizations/{organizationId}/sync", "GET /organizations/{organizationId}/sync", "GET /organizations",
		"GET /organizations/{organizationId}", "POST /organizations/sync", "POST /applications/{applicationId}/jobs/{jobId}/start",
		"GET /applications/{applicationId}/jobs/{jobId}", "GET /applications/{applicationId}/jobs", "GET /healthz", "GET /readyz",
		"GET /swagger/", "GET /openapi.yaml",
	} {
		if !slices.Contains(documented, r) {
			t.Errorf("openapi.yaml does not document %s", r)
		}
	}
	bearer := doc.Components.SecuritySchemes["bearer"]
	if bearer == nil || bearer.Value.Type != "http" || bearer.Value.Scheme != "bearer" {
		t.Errorf("security scheme bearer = %+v; want http bearer", bearer)
	}
}

// TestSwaggerUI: /swagger/ serves Swagger UI pointed at /openapi.yaml, every
// file it loads comes from the gateway (it works offline), and /openapi.yaml
// is the committed file byte for byte, all without a token.
func TestSwaggerUI(t *testing.T) {
	e := newEnv(t)
	before, _ := contractChecker.Report()
	r := e.do(req{method: "GET", path: "/swagger"}) // the client follows the redirect
	wantStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("/swagger/: Content-Type %q", ct)
	}
	page := string(r.body)
	for _, want := range []string{`id="swagger-ui"`, `<script src="./swagger-ui-bundle.js">`, `<script src="./swagger-initializer.js">`} {
		if !strings.Contains(page, want) {
			t.Errorf("Swagger UI page lacks %s", want)
		}
	}
	if strings.Contains(page, "onload") {
		t.Error("Swagger UI waits for window.onload (every image and style sheet) before it renders")
	}
	// The page's initializer carries the contract inline (nothing to fetch
	// before the operations show), the same document as /openapi.yaml.
	init := e.do(req{method: "GET", path: "/swagger/swagger-initializer.js"})
	wantStatus(t, init, http.StatusOK)
	js := string(init.body)
	if strings.Contains(js, "petstore") || strings.Contains(js, "url:") || !strings.Contains(js, `dom_id: "#swagger-ui"`) {
		t.Errorf("swagger-initializer.js does not start Swagger UI with the inline contract:\n%.300s", js)
	}
	start, end := strings.Index(js, "spec: "), strings.LastIndex(js, ",\n  dom_id")
	if start < 0 || end < start {
		t.Fatalf("no inline spec in swagger-initializer.js")
	}
	var inline, want any
	if err := yaml.Unmarshal([]byte(js[start+len("spec: "):end]), &inline); err != nil {
		t.Fatalf("inline spec: %v", err)
	}
	if err := yaml.Unmarshal(syncgate.OpenAPI(), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, inline); diff != "" {
		t.Errorf("the inline spec differs from openapi.yaml (-yaml +inline):\n%s", diff)
	}
	for _, path := range []string{"/swagger/index.html", "/swagger/?lang=en", "/swagger/index.html?lang=en"} {
		if same := e.do(req{method: "GET", path: path}); !bytes.Equal(same.body, r.body) {
			t.Errorf("%s differs from /swagger/", path)
		}
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 4 {
		t.Fatalf("the page loads only %d files: %v", len(refs), refs)
	}
	wantType := map[string]string{".js": "application/javascript", ".css": "text/css", ".png": "image/png"}
	for _, ref := range refs {
		file := ref[1]
		if strings.Contains(file, "//") {
			if strings.HasPrefix(file, "http://www.w3.org/") { // SVG namespaces, not loaded
				continue
			}
			t.Errorf("the page loads %s from elsewhere; it must work offline", file)
			continue
		}
		asset := e.do(req{method: "GET", path: "/swagger/" + strings.TrimPrefix(file, "./")})
		wantStatus(t, asset, http.StatusOK)
		ext := file[strings.LastIndex(file, "."):]
		if ct := asset.header.Get("Content-Type"); !strings.HasPrefix(ct, wantType[ext]) || len(asset.body) == 0 {
			t.Errorf("%s: Content-Type %q, %d bytes", file, ct, len(asset.body))
		}
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"path":"/swagger/swagger-ui.css"`) || strings.Contains(logs, `"path":"/swagger-ui.css"`) {
		t.Errorf("the access log does not show the paths asked for:\n%s", logs)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/swagger/doc.json"}), http.StatusNotFound, api.TypeRouteNotFound)
	wantProblem(t, e.do(req{method: "GET", path: "/swagger/nothing.js"}), http.StatusNotFound, api.TypeRouteNotFound)

	spec := e.do(req{method: "GET", path: "/openapi.yaml"})
	wantStatus(t, spec, http.StatusOK)
	if ct := spec.header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("/openapi.yaml: Content-Type %q", ct)
	}
	committed, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(spec.body, committed) {
		t.Error("/openapi.yaml is not the committed openapi.yaml")
	}
	if after, _ := contractChecker.Report(); after < before+10 {
		t.Errorf("%d answers checked against openapi.yaml during this test; the suite's client must check every answer", after-before)
	}
}
