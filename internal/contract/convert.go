package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// problemJSON is the media type of every error answer (RFC 9457).
const problemJSON = "application/problem+json"

// ToOpenAPI3 converts swag's Swagger 2.0 swagger.json into openapi.yaml with
// kin-openapi, then completes what Swagger 2.0 cannot say:
//
//   - the "bearer" apiKey security definition becomes an http bearer scheme
//     (bearerFormat JWT), so Swagger UI's Authorize asks for a token;
//   - error answers (4xx, 5xx) are application/problem+json;
//   - every object schema of components is closed (additionalProperties:
//     false): a field the annotations do not declare fails the contract test;
//   - a parameter's x-pattern and x-example extensions become its schema's
//     pattern and its example (swag has no pattern attribute, and Swagger 2.0
//     no parameter example);
//   - a response header is required unless its description starts with
//     "When " (sent only in some cases);
//   - each JSON answer's example is the gateway's own answer to that
//     operation with that status (examples, captured by the api tests:
//     {"METHOD /path": {"status": answer}}), so that Swagger UI shows real
//     answers rather than ones it makes up from the schema;
//   - an operation marked x-dry-run-200 (an action whose real answer is
//     200 too, such as a pause) answers 200 with either its own body or,
//     with dryRun=true, the DryRun body: oneOf the two;
//   - servers is [{url: "/"}]: the contract is served by the gateway it
//     describes, so Swagger UI calls the same origin.
//
// The document is validated with kin-openapi before it is written, and the
// output is deterministic.
func ToOpenAPI3(swagger2, examples []byte) ([]byte, error) {
	var doc2 openapi2.T
	if err := json.Unmarshal(swagger2, &doc2); err != nil {
		return nil, fmt.Errorf("contract: read swagger.json: %w", err)
	}
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("contract: convert to OpenAPI 3: %w", err)
	}
	complete(doc)
	inOrder, err := addExamples(doc, examples)
	if err != nil {
		return nil, err
	}
	if bad := CheckExamples(doc); len(bad) > 0 {
		return nil, fmt.Errorf("contract: examples that are not valid answers:\n  %s", strings.Join(bad, "\n  "))
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("contract: the converted document is not valid OpenAPI 3: %w", err)
	}
	inOrder()
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: encode OpenAPI 3: %w", err)
	}
	return toYAML(data)
}

// complete adds to a converted document what Swagger 2.0 cannot express.
func complete(doc *openapi3.T) {
	doc.Servers = openapi3.Servers{{URL: "/"}}
	if c := doc.Info.Contact; c != nil && c.Name == "" && c.URL == "" && c.Email == "" && len(c.Extensions) == 0 {
		doc.Info.Contact = nil
	}
	for name, ref := range doc.Components.SecuritySchemes {
		if s := ref.Value; s != nil && s.Type == "apiKey" && s.In == "header" && strings.EqualFold(s.Name, "Authorization") {
			doc.Components.SecuritySchemes[name] = &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
				Type: "http", Scheme: "bearer", BearerFormat: "JWT", Description: s.Description,
			}}
		}
	}
	for _, ref := range doc.Components.Schemas {
		if s := ref.Value; s != nil && s.Type.Is(openapi3.TypeObject) && len(s.Properties) > 0 {
			s.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
		}
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				fromExtensions(p.Value)
			}
			if body := op.RequestBody; body != nil && body.Value != nil {
				delete(body.Value.Extensions, "x-originalParamName") // the converter's note
			}
			for code, ref := range op.Responses.Map() {
				completeResponse(code, ref.Value)
			}
			if _, ok := op.Extensions["x-dry-run-200"]; ok {
				delete(op.Extensions, "x-dry-run-200")
				orDryRun(op.Responses.Value("200"), doc.Components.Schemas["DryRun"])
			}
		}
	}
}

// orDryRun makes a 200 answer's JSON schema oneOf its own and DryRun.
func orDryRun(r *openapi3.ResponseRef, dryRun *openapi3.SchemaRef) {
	if r == nil || r.Value == nil || dryRun == nil {
		return
	}
	for ct, media := range r.Value.Content {
		if media == nil || media.Schema == nil || !isJSON(ct) {
			continue
		}
		media.Schema = &openapi3.SchemaRef{Value: &openapi3.Schema{OneOf: openapi3.SchemaRefs{
			media.Schema, {Ref: "#/components/schemas/DryRun", Value: dryRun.Value},
		}}}
	}
}

// addExamples sets each JSON answer's example from examples, decoded (so
// that they can be validated); the returned function puts the answers' own
// bytes in their place, so that openapi.yaml shows each answer's fields in
// the order the gateway sends them.
func addExamples(doc *openapi3.T, examples []byte) (inOrder func(), err error) {
	inOrder = func() {}
	if len(examples) == 0 {
		return inOrder, nil
	}
	var answers map[string]map[string]json.RawMessage
	if err := json.Unmarshal(examples, &answers); err != nil {
		return nil, fmt.Errorf("contract: read examples: %w", err)
	}
	raw := map[*openapi3.MediaType]json.RawMessage{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, ref := range op.Responses.Map() {
				answer, ok := answers[method+" "+path][code]
				if !ok || ref.Value == nil {
					continue
				}
				var example any
				if err := json.Unmarshal(answer, &example); err != nil {
					return nil, fmt.Errorf("contract: example of %s %s %s: %w", method, path, code, err)
				}
				for ct, media := range ref.Value.Content {
					if media == nil || !isJSON(ct) {
						continue
					}
					withExample := *media
					withExample.Example = example
					ref.Value.Content[ct] = &withExample
					raw[&withExample] = answer
				}
			}
		}
	}
	return func() {
		for media, answer := range raw {
			media.Example = answer
		}
	}, nil
}

// fromExtensions moves a parameter's x-pattern extension to its schema's
// pattern and its x-example extension to its example.
func fromExtensions(p *openapi3.Parameter) {
	if p == nil {
		return
	}
	if pattern, ok := p.Extensions["x-pattern"].(string); ok && p.Schema != nil && p.Schema.Value != nil {
		p.Schema.Value.Pattern = pattern
		delete(p.Extensions, "x-pattern")
	}
	if example, ok := p.Extensions["x-example"]; ok {
		p.Example = example
		delete(p.Extensions, "x-example")
	}
}

// completeResponse makes an error answer's media type problem+json and marks
// the headers that are always sent as required.
func completeResponse(code string, r *openapi3.Response) {
	if r == nil {
		return
	}
	if status, err := strconv.Atoi(code); err == nil && status >= 400 && len(r.Content) > 0 {
		var media *openapi3.MediaType
		for _, ct := range slices.Sorted(maps.Keys(r.Content)) {
			if media = r.Content[ct]; media != nil {
				break
			}
		}
		r.Content = openapi3.Content{problemJSON: media}
	}
	for _, h := range r.Headers {
		if h.Value != nil && !strings.HasPrefix(h.Value.Description, "When ") {
			h.Value.Required = true
		}
	}
}

// toYAML turns the document's JSON (whose keys json.Marshal sorted) into
// block-style YAML, ordering the top level and each operation's keys for
// reading; other keys stay in alphabetical order.
func toYAML(data []byte) ([]byte, error) {
	topKeys := []string{"openapi", "info", "servers", "tags", "paths", "components"}
	operationKeys := []string{"tags", "summary", "description", "operationId", "parameters", "requestBody", "responses", "security"}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("contract: read OpenAPI 3 JSON: %w", err)
	}
	blockStyle(&root)
	doc := root.Content[0]
	orderKeys(doc, topKeys)
	if paths := mappingValue(doc, "paths"); paths != nil {
		for i := 1; i < len(paths.Content); i += 2 {
			item := paths.Content[i]
			for j := 1; j < len(item.Content); j += 2 {
				orderKeys(item.Content[j], operationKeys)
			}
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("contract: write YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("contract: write YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// blockStyle drops the flow and quoting styles JSON input gives every node,
// so the encoder picks YAML's plain block style (quoting only what needs it).
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// orderKeys puts a mapping's keys listed in first ahead of the others, in
// that order; the others keep their order.
func orderKeys(m *yaml.Node, first []string) {
	if m.Kind != yaml.MappingNode {
		return
	}
	rank := func(key string) int {
		if i := slices.Index(first, key); i >= 0 {
			return i
		}
		return len(first)
	}
	type pair struct{ k, v *yaml.Node }
	pairs := make([]pair, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		pairs = append(pairs, pair{m.Content[i], m.Content[i+1]})
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return rank(a.k.Value) - rank(b.k.Value) })
	m.Content = m.Content[:0]
	for _, p := range pairs {
		m.Content = append(m.Content, p.k, p.v)
	}
}

// mappingValue returns the value of key in mapping m, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
