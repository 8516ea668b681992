// Package contract makes and checks syncgate's API contract. Generate runs
// swag over package api's annotations (the single source) and converts
// swag's Swagger 2.0 output into the OpenAPI 3 openapi.yaml; Checker
// validates HTTP exchanges against openapi.yaml.
package contract

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/swaggo/swag/gen"
)

// The generated files, relative to the repository root.
const (
	DocsGo      = "docs/docs.go"
	SwaggerJSON = "docs/swagger.json"
	SwaggerYAML = "docs/swagger.yaml"
	OpenAPIYAML = "openapi.yaml"
)

// ExamplesJSON holds the gateway's real answers that openapi.yaml shows as
// examples; the api tests capture it (go test ./api -run
// TestEveryDocumentedAnswer -update).
const ExamplesJSON = "api/testdata/examples.json"

// Files are generated files by path relative to the repository root.
type Files map[string][]byte

// Generate runs swag over root/api, its general information read from
// api/contract.go, and converts the result: docs/ (swag's own output) and
// openapi.yaml. root is the repository root. Nothing is written under root.
func Generate(root string) (Files, error) {
	tmp, err := os.MkdirTemp("", "syncgate-docs-*")
	if err != nil {
		return nil, fmt.Errorf("contract: generate: %w", err)
	}
	defer os.RemoveAll(tmp)
	quiet := log.New(io.Discard, "", 0)
	err = gen.New().Build(&gen.Config{
		Debugger:           quiet,
		SearchDir:          filepath.Join(root, "api"),
		MainAPIFile:        "contract.go",
		OutputDir:          tmp,
		OutputTypes:        []string{"go", "json", "yaml"},
		PackageName:        "docs",
		InstanceName:       "swagger",
		ParseDepth:         100,
		UseStructNames:     true,
		RequiredByDefault:  true,
		Strict:             true,
		CollectionFormat:   "csv",
		LeftTemplateDelim:  "{{",
		RightTemplateDelim: "}}",
	})
	if err != nil {
		return nil, fmt.Errorf("contract: swag: %w", err)
	}
	files := Files{}
	for _, name := range []string{DocsGo, SwaggerJSON, SwaggerYAML} {
		data, err := os.ReadFile(filepath.Join(tmp, filepath.Base(name)))
		if err != nil {
			return nil, fmt.Errorf("contract: swag output: %w", err)
		}
		files[name] = data
	}
	examples, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(ExamplesJSON)))
	if err != nil {
		return nil, fmt.Errorf("contract: examples: %w", err)
	}
	files[OpenAPIYAML], err = ToOpenAPI3(files[SwaggerJSON], examples)
	if err != nil {
		return nil, err
	}
	return files, nil
}

// Write writes the files under root.
func (f Files) Write(root string) error {
	var errs []error
	for name, data := range f {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("contract: write: %w", err)
	}
	return nil
}
