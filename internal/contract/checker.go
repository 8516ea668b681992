package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Checker validates HTTP answers against an OpenAPI 3 contract with
// kin-openapi's openapi3filter. An answer to a documented operation must have
// a documented status, the documented headers (the required ones present),
// a documented media type and, for JSON, a body its schema accepts: with
// closed schemas, an undocumented field is a violation. An answer to a
// request no operation matches (an unknown route or method) must be a
// problem+json body the Problem schema accepts.
//
// A Checker is safe for concurrent use; Transport records what it checks.
type Checker struct {
	doc     *openapi3.T
	router  routers.Router
	problem *openapi3.SchemaRef

	mu         sync.Mutex
	checked    int
	violations []string
	seen       map[string]bool // "METHOD /path status" of documented answers checked
}

// NewChecker loads and validates an OpenAPI 3 document, such as
// openapi.yaml, whose components hold a Problem schema.
func NewChecker(spec []byte) (*Checker, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("contract: load: %w", err)
	}
	if bad := CheckExamples(doc); len(bad) > 0 {
		return nil, fmt.Errorf("contract: examples that are not valid answers:\n  %s", strings.Join(bad, "\n  "))
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("contract: invalid OpenAPI 3 document: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: router: %w", err)
	}
	problem := doc.Components.Schemas["Problem"]
	if problem == nil || problem.Value == nil {
		return nil, fmt.Errorf("contract: the document has no Problem schema")
	}
	return &Checker{doc: doc, router: router, problem: problem, seen: map[string]bool{}}, nil
}

// Check validates one answer to req and returns what is wrong with it, or
// nil.
func (c *Checker) Check(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return c.checkProblem(status, header, body)
	}
	var resp *openapi3.ResponseRef
	if resp = route.Operation.Responses.Status(status); resp == nil {
		resp = route.Operation.Responses.Default()
	}
	if resp == nil || resp.Value == nil {
		return fmt.Errorf("status %d is not documented for %s %s", status, req.Method, route.Path)
	}
	ct := header.Get("Content-Type")
	jsonBody := isJSON(ct)
	if !jsonBody && len(resp.Value.Content) > 0 && resp.Value.Content.Get(ct) == nil {
		return fmt.Errorf("%s %s %d: Content-Type %q is not documented", req.Method, route.Path, status, ct)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: !jsonBody},
	}
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		return fmt.Errorf("%s %s %d: %w", req.Method, route.Path, status, err)
	}
	return nil
}

// checkProblem validates an answer to a request outside the contract's
// operations: it must be an error in the Problem shape.
func (c *Checker) checkProblem(status int, header http.Header, body []byte) error {
	if status < 400 {
		return fmt.Errorf("status %d answered a request no operation documents", status)
	}
	if ct := header.Get("Content-Type"); ct != problemJSON {
		return fmt.Errorf("status %d outside the documented operations: Content-Type %q, want %s", status, ct, problemJSON)
	}
	if header.Get("X-Request-ID") == "" {
		return fmt.Errorf("status %d outside the documented operations: no X-Request-ID", status)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("status %d outside the documented operations: body is not JSON: %w", status, err)
	}
	if err := c.problem.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsResponse()); err != nil {
		return fmt.Errorf("status %d outside the documented operations: body is not a Problem: %w", status, err)
	}
	return nil
}

// record checks an answer and keeps the outcome.
func (c *Checker) record(req *http.Request, status int, header http.Header, body []byte) {
	err := c.Check(req, status, header, body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked++
	if route, _, ferr := c.router.FindRoute(req); ferr == nil {
		c.seen[fmt.Sprintf("%s %s %d", req.Method, route.Path, status)] = true
	}
	if err != nil {
		c.violations = append(c.violations, fmt.Sprintf("%s %s → %d: %s\n    body: %.300s", req.Method, req.URL.RequestURI(), status, brief(err), body))
	}
}

// brief is an error's message without the schema and value dumps
// kin-openapi appends.
func brief(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\nSchema:"); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 1000 {
		msg = msg[:1000] + "…"
	}
	return msg
}

// Report returns how many answers Transport checked and the violations it
// found.
func (c *Checker) Report() (checked int, violations []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checked, append([]string(nil), c.violations...)
}

// Unexercised lists the documented answers ("METHOD /path status") that
// Transport has not seen.
func (c *Checker) Unexercised() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code := range op.Responses.Map() {
				if key := method + " " + path + " " + code; !c.seen[key] {
					out = append(out, key)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// Transport returns a RoundTripper that sends requests through base and
// checks every answer; the caller reads the body as usual.
func (c *Checker) Transport(base http.RoundTripper) http.RoundTripper {
	return &transport{checker: c, base: base}
}

type transport struct {
	checker *Checker
	base    http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("contract: read the answer to %s %s: %w", req.Method, req.URL.Path, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	t.checker.record(req, resp.StatusCode, resp.Header, body)
	return resp, nil
}

// CloseIdleConnections closes base's idle connections (httptest.Server's
// Close calls it on its client's transport).
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// isJSON reports whether a Content-Type is JSON: application/json or a
// +json type such as application/problem+json.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// CheckExamples validates every example of doc against its schema, enums
// included: each JSON answer's example against its response's schema, each
// parameter's example against the parameter's schema, and each schema
// property's example against the property. It returns one line per example
// that a real answer (or request) could not be, naming where it is.
func CheckExamples(doc *openapi3.T) []string {
	var bad []string
	check := func(where string, schema *openapi3.SchemaRef, example any) {
		if example == nil || schema == nil || schema.Value == nil {
			return
		}
		if err := schema.Value.VisitJSON(jsonValue(example), openapi3.MultiErrors()); err != nil {
			bad = append(bad, where+": "+strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
	for _, path := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		item := doc.Paths.Value(path)
		for _, method := range slices.Sorted(maps.Keys(item.Operations())) {
			op := item.Operations()[method]
			for _, p := range op.Parameters {
				if p.Value != nil {
					check(fmt.Sprintf("%s %s parameter %s", method, path, p.Value.Name), p.Value.Schema, p.Value.Example)
				}
			}
			for _, code := range slices.Sorted(maps.Keys(op.Responses.Map())) {
				resp := op.Responses.Value(code)
				if resp == nil || resp.Value == nil {
					continue
				}
				for _, ct := range slices.Sorted(maps.Keys(resp.Value.Content)) {
					if media := resp.Value.Content[ct]; media != nil {
						check(fmt.Sprintf("%s %s %s %s example", method, path, code, ct), media.Schema, media.Example)
					}
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		checkSchemaExamples("#/components/schemas/"+name, doc.Components.Schemas[name], check, map[*openapi3.Schema]bool{})
	}
	return bad
}

// checkSchemaExamples checks a schema's own example and its properties' and
// items' examples.
func checkSchemaExamples(where string, ref *openapi3.SchemaRef, check func(string, *openapi3.SchemaRef, any), seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	seen[ref.Value] = true
	s := ref.Value
	check(where+" example", ref, s.Example)
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		checkSchemaExamples(where+"."+name, s.Properties[name], check, seen)
	}
	if s.Items != nil {
		checkSchemaExamples(where+"[]", s.Items, check, seen)
	}
	for i, sub := range s.AllOf {
		checkSchemaExamples(fmt.Sprintf("%s.allOf[%d]", where, i), sub, check, seen)
	}
}

// jsonValue turns an example as YAML or JSON decoding left it into what
// VisitJSON expects (numbers as float64, objects as map[string]any).
func jsonValue(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(data, &out) != nil {
		return v
	}
	return out
}
