// Package powershell_test checks the PowerShell example against openapi.yaml:
// PowerShell does not run on these machines, so what can be checked without
// it is that every call names routes, parameters, headers and body fields
// that the contract has, and that the module's functions are the cmdlets a
// runbook already calls, with their parameters.
package powershell_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// cmdlets are the cmdlets Syncgate.psm1 stands in for, each with the
// parameters a runbook passes them.
var cmdlets = map[string][]string{
	"Start-VBOOrganizationSynchronization":        {"Organization", "Full"},
	"Get-VBOOrganizationSynchronizationState":     {"Organization"},
	"Get-VBOOrganization":                         {"Id", "Name"},
	"Start-MgBetaApplicationSynchronizationJob":   {"ApplicationId", "SynchronizationJobId"},
	"Get-MgBetaApplicationSynchronizationJob":     {"ApplicationId", "SynchronizationJobId"},
	"Suspend-MgBetaApplicationSynchronizationJob": {"ApplicationId", "SynchronizationJobId"},
	"Restart-MgBetaApplicationSynchronizationJob": {"ApplicationId", "SynchronizationJobId", "Criteria"},
}

func loadContract(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// params are an operation's declared parameters by location and name.
func params(item *openapi3.PathItem, op *openapi3.Operation) map[string]bool {
	out := map[string]bool{}
	for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, p := range list {
			if p.Value != nil {
				out[p.Value.In+" "+strings.ToLower(p.Value.Name)] = true
			}
		}
	}
	return out
}

// hashKeys are the keys of a PowerShell hashtable literal's content.
func hashKeys(content string) []string {
	var keys []string
	for _, entry := range strings.Split(content, ";") {
		if m := regexp.MustCompile(`^\s*'?([A-Za-z][A-Za-z0-9-]*)'?\s*=`).FindStringSubmatch(entry); m != nil {
			keys = append(keys, m[1])
		}
	}
	return keys
}

// TestModuleCallsExist checks every Invoke-Syncgate call of Syncgate.psm1:
// its method and route are an operation of openapi.yaml, its path
// parameters fill exactly the route's, and its query parameters, headers
// and body fields are the operation's.
func TestModuleCallsExist(t *testing.T) {
	doc := loadContract(t)
	src, err := os.ReadFile("Syncgate.psm1")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`Invoke-Syncgate -Method (\w+) -Path '([^']+)'([^\n]*)`)
	calls := call.FindAllStringSubmatch(string(src), -1)
	if len(calls) < 9 {
		t.Fatalf("found %d Invoke-Syncgate calls; want every cmdlet's", len(calls))
	}
	arg := func(rest, name string) (string, bool) {
		m := regexp.MustCompile(`-` + name + ` @\{([^}]*)\}`).FindStringSubmatch(rest)
		if m == nil {
			return "", false
		}
		return m[1], true
	}
	for _, c := range calls {
		method, path, rest := c[1], c[2], c[3]
		where := method + " " + path
		item := doc.Paths.Value(path)
		if item == nil {
			t.Errorf("%s: openapi.yaml has no route %s", where, path)
			continue
		}
		op := item.GetOperation(strings.ToUpper(method))
		if op == nil {
			t.Errorf("%s: openapi.yaml has no %s on %s", where, method, path)
			continue
		}
		declared := params(item, op)
		want := regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1)
		pathArgs, _ := arg(rest, "PathParameters")
		got := hashKeys(pathArgs)
		if len(got) != len(want) {
			t.Errorf("%s: path parameters %v; want the route's %v", where, got, want)
		}
		for _, k := range got {
			if !strings.Contains(path, "{"+k+"}") || !declared["path "+strings.ToLower(k)] {
				t.Errorf("%s: path parameter %s is not the route's", where, k)
			}
		}
		query, _ := arg(rest, "Query")
		for _, k := range hashKeys(query) {
			if !declared["query "+strings.ToLower(k)] {
				t.Errorf("%s: query parameter %s is not in openapi.yaml", where, k)
			}
		}
		headers, _ := arg(rest, "Headers")
		for _, k := range hashKeys(headers) {
			if !declared["header "+strings.ToLower(k)] {
				t.Errorf("%s: header %s is not in openapi.yaml", where, k)
			}
		}
		if body, ok := arg(rest, "Body"); ok {
			var props openapi3.Schemas
			if rb := op.RequestBody; rb != nil && rb.Value != nil {
				if media := rb.Value.Content.Get("application/json"); media != nil && media.Schema != nil && media.Schema.Value != nil {
					props = media.Schema.Value.Properties
				}
			}
			if props == nil {
				t.Errorf("%s: sends a body, and openapi.yaml takes none", where)
			}
			for _, k := range hashKeys(body) {
				if _, ok := props[k]; !ok {
					t.Errorf("%s: body field %s is not in openapi.yaml", where, k)
				}
			}
		}
	}
}

// TestModuleMirrorsCmdlets checks that Syncgate.psm1 defines each cmdlet it
// stands in for, with the cmdlet's parameters, so a runbook's lines keep
// working once the Import-Module line changes.
func TestModuleMirrorsCmdlets(t *testing.T) {
	src, err := os.ReadFile("Syncgate.psm1")
	if err != nil {
		t.Fatal(err)
	}
	functions := regexp.MustCompile(`(?m)^function ([\w-]+) \{`).FindAllStringSubmatchIndex(string(src), -1)
	bodies := map[string]string{}
	for i, f := range functions {
		end := len(src)
		if i+1 < len(functions) {
			end = functions[i+1][0]
		}
		bodies[string(src[f[2]:f[3]])] = string(src[f[0]:end])
	}
	for name, want := range cmdlets {
		body, ok := bodies[name]
		if !ok {
			t.Errorf("Syncgate.psm1 does not define %s", name)
			continue
		}
		declared := paramBlock(body)
		for _, p := range want {
			if !regexp.MustCompile(`\]\s*\$` + p + `\b`).MatchString(declared) {
				t.Errorf("%s has no -%s parameter", name, p)
			}
		}
	}
}

// paramBlock is the param(...) block of a function's source.
func paramBlock(body string) string {
	i := strings.Index(body, "param(")
	if i < 0 {
		return ""
	}
	depth := 0
	for j := i + len("param"); j < len(body); j++ {
		switch body[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return body[i : j+1]
			}
		}
	}
	return ""
}

// TestReadmeRoutesExist checks the Invoke-RestMethod lines of README.md (the
// side-by-side table): each method and URL is an operation of openapi.yaml,
// and each query parameter is the operation's.
func TestReadmeRoutesExist(t *testing.T) {
	doc := loadContract(t)
	src, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := regexp.MustCompile(`Invoke-RestMethod -Method (\w+) -Uri "\$sg(/[^"?]*)(?:\?([^"]*))?"`).FindAllStringSubmatch(string(src), -1)
	if len(lines) < 10 {
		t.Fatalf("found %d Invoke-RestMethod lines in README.md; want one per cmdlet", len(lines))
	}
	for _, l := range lines {
		method, url, query := l[1], l[2], l[3]
		var op *openapi3.Operation
		var item *openapi3.PathItem
		for path, it := range doc.Paths.Map() {
			pattern := "^" + regexp.MustCompile(`\\\{\w+\\\}`).ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + "$"
			if regexp.MustCompile(pattern).MatchString(url) && it.GetOperation(method) != nil {
				op, item = it.GetOperation(method), it
			}
		}
		if op == nil {
			t.Errorf("README.md: %s %s is no operation of openapi.yaml", method, url)
			continue
		}
		declared := params(item, op)
		for _, pair := range strings.Split(query, "&") {
			if name, _, _ := strings.Cut(pair, "="); name != "" && !declared["query "+strings.ToLower(name)] {
				t.Errorf("README.md: %s %s: query parameter %s is not in openapi.yaml", method, url, name)
			}
		}
	}
}
