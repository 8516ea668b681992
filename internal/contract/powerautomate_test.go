package contract_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/syncgate/syncgate/internal/contract"
)

// TestSwaggerImportsIntoPowerAutomate checks docs/swagger.json against what
// Power Automate, Power Apps and Logic Apps custom connectors import (an
// OpenAPI 2.0 file, "Import an OpenAPI file") and their string guidance for
// connectors: a title of 30 characters at most without the word API; every
// operation with a unique camel-case operationId and a summary (the
// action's name: at most 80 characters, no slash, ending with a letter or
// digit); x-ms-visibility on every operation, "internal" for what is no
// action (probes, metrics, the contract, Swagger UI), which is exactly what
// needs no token; path parameters required and titled (x-ms-summary); a
// 2xx answer with a schema on every action, so its outputs are dynamic
// content; an authentication the wizard knows (API key in the
// Authorization header); under the 1 MB import limit.
func TestSwaggerImportsIntoPowerAutomate(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, contract.SwaggerJSON))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) >= 1<<20 {
		t.Errorf("swagger.json is %d bytes; custom connectors import at most 1 MB", len(data))
	}
	type param struct {
		Name       string          `json:"name"`
		In         string          `json:"in"`
		Required   bool            `json:"required"`
		Summary    string          `json:"x-ms-summary"`
		Visibility string          `json:"x-ms-visibility"`
		Schema     json.RawMessage `json:"schema"`
	}
	type operation struct {
		OperationID string                          `json:"operationId"`
		Summary     string                          `json:"summary"`
		Description string                          `json:"description"`
		Visibility  string                          `json:"x-ms-visibility"`
		Security    []map[string][]string           `json:"security"`
		Parameters  []param                         `json:"parameters"`
		Responses   map[string]struct{ Schema any } `json:"responses"`
	}
	var doc struct {
		Swagger string `json:"swagger"`
		Info    struct {
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"info"`
		SecurityDefinitions map[string]struct {
			Type string `json:"type"`
			In   string `json:"in"`
			Name string `json:"name"`
		} `json:"securityDefinitions"`
		Paths map[string]map[string]operation `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Swagger != "2.0" {
		t.Errorf("swagger %q; custom connectors import 2.0", doc.Swagger)
	}
	api := regexp.MustCompile(`\bAPI\b`)
	if n := len(doc.Info.Title); n == 0 || n > 30 || api.MatchString(doc.Info.Title) || api.MatchString(doc.Info.Description) {
		t.Errorf("info: title %q (%d characters), or the description, breaks the connector guidance (at most 30, no word API)", doc.Info.Title, n)
	}
	for name, s := range doc.SecurityDefinitions {
		if s.Type != "apiKey" || s.In != "header" || s.Name != "Authorization" {
			t.Errorf("securityDefinitions.%s = %+v; want the API key in the Authorization header the wizard offers", name, s)
		}
	}
	seen := map[string]string{}
	camel := regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
	actions := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			where := strings.ToUpper(method) + " " + path
			if !camel.MatchString(op.OperationID) {
				t.Errorf("%s: operationId %q; want camel case, no spaces or punctuation", where, op.OperationID)
			}
			if other, ok := seen[strings.ToLower(op.OperationID)]; ok {
				t.Errorf("%s: operationId %q is also %s's", where, op.OperationID, other)
			}
			seen[strings.ToLower(op.OperationID)] = where
			s := op.Summary
			if s == "" || len(s) > 80 || strings.Contains(s, "/") || !regexp.MustCompile(`[A-Za-z0-9]$`).MatchString(s) {
				t.Errorf("%s: summary %q; want 1 to 80 characters, no slash, ending with a letter or digit", where, s)
			}
			if op.Description == "" || op.Description == s {
				t.Errorf("%s: want a description other than the summary", where)
			}
			secured := len(op.Security) > 0
			switch op.Visibility {
			case "important", "advanced":
				if !secured {
					t.Errorf("%s: a visible action that needs no token; probes and documents are internal", where)
				}
				actions++
			case "internal":
				if secured {
					t.Errorf("%s: internal, yet it is an API call that needs a token", where)
				}
				continue
			default:
				t.Errorf("%s: x-ms-visibility %q; want important, advanced or internal", where, op.Visibility)
				continue
			}
			for _, p := range op.Parameters {
				if p.In == "path" && (!p.Required || p.Summary == "") {
					t.Errorf("%s: path parameter %s: want required, with an x-ms-summary", where, p.Name)
				}
				if p.Visibility != "" && p.Visibility != "important" && p.Visibility != "advanced" && p.Visibility != "internal" {
					t.Errorf("%s: parameter %s: x-ms-visibility %q", where, p.Name, p.Visibility)
				}
				if p.In == "body" && len(p.Schema) == 0 {
					t.Errorf("%s: body parameter without a schema", where)
				}
			}
			ok := false
			for code, r := range op.Responses {
				if strings.HasPrefix(code, "2") && r.Schema != nil {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s: no 2xx answer with a schema; the action would have no outputs", where)
			}
		}
	}
	if actions < 8 {
		t.Errorf("%d visible actions; want every API operation", actions)
	}
}
