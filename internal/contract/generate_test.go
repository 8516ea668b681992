package contract_test

import (
	"context"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/syncgate/syncgate/internal/contract"
)

var update = flag.Bool("update", false, "rewrite docs/ and openapi.yaml (what `make docs` does)")

// root is the repository root, seen from this package.
const root = "../.."

// TestGeneratedFilesAreFresh regenerates docs/ and openapi.yaml from the
// annotations and fails when the committed files differ: an annotation
// edited without `make docs` fails `make test`. -update rewrites them.
func TestGeneratedFilesAreFresh(t *testing.T) {
	files, err := contract.Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := files.Write(root); err != nil {
			t.Fatal(err)
		}
	}
	names := []string{contract.DocsGo, contract.SwaggerJSON, contract.SwaggerYAML, contract.OpenAPIYAML}
	if got := slices.Sorted(maps.Keys(files)); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
		t.Fatalf("generated %v; want %v", got, names)
	}
	for _, name := range names {
		committed, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Errorf("%s: %v; run `make docs`", name, err)
			continue
		}
		if string(committed) != string(files[name]) {
			diff := cmp.Diff(strings.Split(string(committed), "\n"), strings.Split(string(files[name]), "\n"))
			t.Errorf("%s is stale: run `make docs` (-committed +generated):\n%.4000s", name, diff)
		}
	}
}

// TestOpenAPIYAML checks the committed contract: valid OpenAPI 3 for
// kin-openapi, a bearer http security scheme, problem+json errors, JSON
// successes and closed object schemas.
func TestOpenAPIYAML(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join(root, contract.OpenAPIYAML))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not valid OpenAPI 3: %v", err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" {
		t.Errorf("servers = %v; want one, /", doc.Servers)
	}
	s := doc.Components.SecuritySchemes["bearer"]
	if s == nil || s.Value.Type != "http" || s.Value.Scheme != "bearer" || s.Value.BearerFormat != "JWT" {
		t.Errorf("security scheme bearer = %+v; want http, bearer, JWT", s)
	}
	for name, ref := range doc.Components.Schemas {
		if v := ref.Value; v.Type.Is(openapi3.TypeObject) && len(v.Properties) > 0 &&
			(v.AdditionalProperties.Has == nil || *v.AdditionalProperties.Has) {
			t.Errorf("schema %s is open: want additionalProperties false", name)
		}
	}
	operations := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			operations++
			for code, resp := range op.Responses.Map() {
				where := method + " " + path + " " + code
				if _, ok := resp.Value.Headers["X-Request-ID"]; !ok {
					t.Errorf("%s: X-Request-ID not documented", where)
				}
				if code >= "400" {
					if len(resp.Value.Content) != 1 || resp.Value.Content["application/problem+json"] == nil {
						t.Errorf("%s: content %v; want application/problem+json only", where, slices.Sorted(maps.Keys(resp.Value.Content)))
					}
					continue
				}
				if strings.HasPrefix(path, "/swagger") || path == "/openapi.yaml" || path == "/metrics" {
					continue
				}
				if code == "304" { // Not Modified has no content (RFC 9110 §15.4.5)
					if len(resp.Value.Content) != 0 {
						t.Errorf("%s: content %v; want none", where, slices.Sorted(maps.Keys(resp.Value.Content)))
					}
					continue
				}
				if len(resp.Value.Content) != 1 || resp.Value.Content["application/json"] == nil {
					t.Errorf("%s: content %v; want application/json only", where, slices.Sorted(maps.Keys(resp.Value.Content)))
				}
			}
		}
	}
	if operations < 14 {
		t.Errorf("%d operations; want every route", operations)
	}
}
