package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// TestHostileRequests sends malformed and hostile requests: none may get a
// 5xx, each gets a problem+json body, and none may reach Veeam's start.
func TestHostileRequests(t *testing.T) {
	e := newEnv(t)
	org := "/organizations/" + veeamsim.ContosoID
	sync := org + "/sync"
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	tests := []struct {
		name   string
		r      req
		status int // 0: any 4xx
	}{
		{"id too short", req{method: "POST", path: "/organizations/62c4ab35/sync"}, 400},
		{"id with braces", req{method: "POST", path: "/organizations/{" + veeamsim.ContosoID + "}/sync"}, 400},
		{"id with spaces", req{method: "POST", path: "/organizations/%20" + veeamsim.ContosoID + "/sync"}, 400},
		{"id not hex", req{method: "POST", path: "/organizations/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz/sync"}, 400},
		{"id with encoded slash", req{method: "POST", path: "/organizations/..%2F..%2Ftoken/sync"}, 400},
		{"id dot dot", req{method: "GET", path: "/organizations/../sync"}, 0},
		{"encoded dot dot", req{method: "GET", path: "/organizations/%2e%2e/sync"}, 400},
		{"double encoded", req{method: "GET", path: "/organizations/%252e%252e%252fv8%252ftoken"}, 400},
		{"id with null byte", req{method: "GET", path: "/organizations/%00"}, 400},
		{"id with unicode", req{method: "GET", path: "/organizations/%E2%80%AE" + veeamsim.ContosoID}, 400},
		{"id too long", req{method: "GET", path: "/organizations/" + strings.Repeat("a", 5000)}, 400},
		{"id with query injection", req{method: "GET", path: "/organizations/" + veeamsim.ContosoID + "%3Flimit%3D1"}, 400},
		{"sql in id", req{method: "GET", path: "/organizations/1'%20OR%20'1'='1"}, 400},
		{"trailing slash", req{method: "POST", path: sync + "/"}, 404},
		{"extra segment", req{method: "POST", path: sync + "/now"}, 404},
		{"body not json", req{method: "POST", path: sync, body: "full=true"}, 400},
		{"body truncated", req{method: "POST", path: sync, body: `{"full":true`}, 400},
		{"body array", req{method: "POST", path: sync, body: `[{"full":true}]`}, 400},
		{"body string", req{method: "POST", path: sync, body: `"full"`}, 400},
		{"body null", req{method: "POST", path: sync, body: `null`}, 400},
		{"body number", req{method: "POST", path: sync, body: `42`}, 400},
		{"trailing garbage", req{method: "POST", path: sync, body: `{"full":true} {"full":false}`}, 400},
		{"duplicate field", req{method: "POST", path: sync, body: `{"full":false,"full":true}`}, 400},
		{"duplicate field case", req{method: "POST", path: sync, body: `{"full":false,"Full":true}`}, 400},
		{"wrong type full", req{method: "POST", path: sync, body: `{"full":"yes"}`}, 400},
		{"wrong type parts", req{method: "POST", path: sync, body: `{"parts":"Users"}`}, 400},
		{"parts of numbers", req{method: "POST", path: sync, body: `{"parts":[1,2]}`}, 400},
		{"parts null item", req{method: "POST", path: sync, body: `{"parts":[null]}`}, 400},
		{"parts lower case", req{method: "POST", path: sync, body: `{"parts":["users"]}`}, 400},
		{"parts too many", req{method: "POST", path: sync, body: `{"parts":["Users","Groups","GroupMembers","Sites","Mailboxes","Users"]}`}, 400},
		{"unknown field", req{method: "POST", path: sync, body: `{"type":"Full"}`}, 400},
		{"proto pollution", req{method: "POST", path: sync, body: `{"__proto__":{"admin":true}}`}, 400},
		{"deep nesting", req{method: "POST", path: sync, body: `{"parts":` + deep + `}`}, 400},
		{"unclosed deep nesting", req{method: "POST", path: sync, body: `{"parts":` + strings.Repeat("[", 65000)}, 400},
		{"closed deep nesting", req{method: "POST", path: "/organizations/sync", body: `{"parts":` + strings.Repeat("[", 32000) + strings.Repeat("]", 32000) + `}`}, 400},
		{"nested objects", req{method: "POST", path: sync, body: strings.Repeat(`{"parts":`, 7000)}, 400},
		{"field upper case", req{method: "POST", path: sync, body: `{"FULL":true}`}, 400},
		{"field title case", req{method: "POST", path: sync, body: `{"Full":true}`}, 400},
		{"field long s", req{method: "POST", path: sync, body: `{"parts":["Users"],"partſ":["Groups"]}`}, 400},
		{"job body field", req{method: "POST", path: "/applications/" + graphsim.AWSObjectID + "/jobs/" + graphsim.AWSJobID + "/start", body: `{"Force":true}`}, 400},
		{"many unknown query parameters", req{method: "POST", path: sync + "?" + strings.Repeat("x=1&", 3000) + "y=2"}, 400},
		{"long unknown query name", req{method: "GET", path: "/organizations?" + strings.Repeat("n", 20000) + "=1"}, 400},
		{"wide parts array", req{method: "POST", path: sync, body: `{"parts":[` + strings.Repeat(`"Users",`, 7000) + `"Users"]}`}, 400},
		{"long unknown field", req{method: "POST", path: sync, body: `{"` + strings.Repeat("f", 60000) + `":1}`}, 400},
		{"invalid utf8", req{method: "POST", path: sync, body: "{\"parts\":[\"\xff\xfe\"]}"}, 400},
		{"nul in json string", req{method: "POST", path: sync, body: `{"parts":["Users\u0000"]}`}, 400},
		{"huge number", req{method: "POST", path: sync, body: `{"full":1e999}`}, 400},
		{"oversized", req{method: "POST", path: sync, body: `{"parts":["` + strings.Repeat("Users", 20000) + `"]}`}, 413},
		{"xml body", req{method: "POST", path: sync, body: `<sync full="true"/>`, contentType: "application/xml"}, 415},
		{"form body", req{method: "POST", path: sync, body: `full=true`, contentType: "application/x-www-form-urlencoded"}, 415},
		{"bad content type", req{method: "POST", path: sync, body: `{}`, contentType: "application/json; charset=utf-16"}, 415},
		{"garbage content type", req{method: "POST", path: sync, body: `{}`, contentType: ";;;=="}, 415},
		{"limit not a number", req{method: "GET", path: "/organizations?limit=ten"}, 400},
		{"limit zero", req{method: "GET", path: "/organizations?limit=0"}, 400},
		{"limit huge", req{method: "GET", path: "/organizations?limit=99999999999999999999"}, 400},
		{"offset negative", req{method: "GET", path: "/organizations?offset=-5"}, 400},
		{"limit twice", req{method: "GET", path: "/organizations?limit=1&limit=2"}, 400},
		{"dryRun not bool", req{method: "POST", path: sync + "?dryRun=maybe"}, 400},
		{"force twice", req{method: "POST", path: sync + "?force=true&force=false"}, 400},
		{"unknown query", req{method: "POST", path: sync + "?full=true"}, 400},
		{"broken query escape", req{method: "GET", path: "/organizations?limit=%zz"}, 400},
		{"bulk ids not guids", req{method: "POST", path: "/organizations/sync", body: `{"organizationIds":["a","b"]}`}, 400},
		{"bulk ids repeated", req{method: "POST", path: "/organizations/sync", body: `{"organizationIds":["` + veeamsim.ContosoID + `","` + veeamsim.ContosoID + `"]}`}, 400},
		{"bulk ids wrong type", req{method: "POST", path: "/organizations/sync", body: `{"organizationIds":"all"}`}, 400},
		{"bulk too many ids", req{method: "POST", path: "/organizations/sync", body: `{"organizationIds":[` + strings.Repeat(`"`+veeamsim.ContosoID+`",`, 1000) + `"` + veeamsim.ContosoID + `"]}`}, 400},
		{"wrong method", req{method: "PUT", path: sync}, 405},
		{"patch method", req{method: "PATCH", path: org}, 405},
		{"unknown route", req{method: "GET", path: "/v8/token"}, 404},
		{"path traversal route", req{method: "GET", path: "/organizations/%2e%2e/%2e%2e/etc/passwd"}, 404},
		{"request id with a tab", req{method: "GET", path: "/organizations/x", header: map[string]string{"X-Request-ID": "a\tb"}}, 400},
		{"auth header with two tokens", req{method: "GET", path: "/organizations", header: map[string]string{"Authorization": "Bearer a Bearer b"}}, 401},
		{"lower case bearer garbage", req{method: "GET", path: "/organizations", header: map[string]string{"Authorization": "bearer x.y.z"}}, 401},
		{"huge token", req{method: "GET", path: "/organizations", header: map[string]string{"Authorization": "Bearer " + strings.Repeat("eyJ", 8000)}}, 401},
	}
	if len(tests) < 50 {
		t.Fatalf("only %d hostile requests", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			if r.token == "" && r.header["Authorization"] == "" {
				r.token = e.token
			}
			resp := e.do(r)
			if resp.status >= 500 {
				t.Fatalf("status %d: %s", resp.status, resp.body)
			}
			if tt.status != 0 && resp.status != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tt.status, resp.body)
			}
			if resp.status < 400 {
				t.Fatalf("status %d accepted a hostile request: %s", resp.status, resp.body)
			}
			if len(resp.body) > 8<<10 {
				t.Fatalf("a %d-byte answer to a hostile request: %.200s…", len(resp.body), resp.body)
			}
			if ct := resp.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q: %s", ct, resp.body)
			}
			var p map[string]any
			if err := json.Unmarshal(resp.body, &p); err != nil || p["type"] == "" || p["status"] != float64(resp.status) {
				t.Fatalf("problem body %s (%v)", resp.body, err)
			}
		})
	}
	if n := e.veeam.SyncCalls(veeamsim.ContosoID); n != 0 {
		t.Fatalf("hostile requests reached Veeam's start %d times", n)
	}
	if n := e.graph.StartCalls(graphsim.AWSJobID); n != 0 {
		t.Fatalf("hostile requests reached Graph's start %d times", n)
	}
	if resp := e.do(req{method: "GET", path: "/organizations", token: e.token}); resp.status != http.StatusOK {
		t.Fatalf("gateway unhealthy after the hostile requests: %d", resp.status)
	}
}
