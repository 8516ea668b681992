package graphsim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// jobsPath is the jobs collection of an application under a root and version.
func jobsPath(ver, root, id string) string {
	return "/" + ver + "/" + root + "/" + id + "/synchronization/jobs"
}

// roots are the two ways to address an application's jobs.
var roots = []struct {
	name string
	root string
	id   func(objectID, spID string) string
}{
	{"applications", "applications", func(o, _ string) string { return o }},
	{"servicePrincipals", "servicePrincipals", func(_, sp string) string { return sp }},
}

func TestListAndGetJobsUnderBothRootsAndVersions(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.secretToken(t, readerClientID)
	for _, ver := range []string{"beta", "v1.0"} {
		for _, rt := range roots {
			t.Run(ver+"/"+rt.name, func(t *testing.T) {
				id := rt.id(graphsim.AWSObjectID, graphsim.AWSServicePrincipalID)
				base := jobsPath(ver, rt.root, id)
				resp := e.do(t, http.MethodGet, base, tok, nil)
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json;") {
					t.Errorf("Content-Type = %q", ct)
				}
				status, list := decode(t, resp)
				if status != http.StatusOK {
					t.Fatalf("list: %d %v", status, list)
				}
				wantCtx := e.graphSrv.URL + "/" + ver + "/$metadata#" + rt.root + "('" + id + "')/synchronization/jobs"
				if list["@odata.context"] != wantCtx {
					t.Errorf("@odata.context = %v, want %s", list["@odata.context"], wantCtx)
				}
				value, _ := list["value"].([]any)
				if len(value) != 1 || value[0].(map[string]any)["id"] != graphsim.AWSJobID {
					t.Fatalf("value = %v, want the AWS job", value)
				}
				status, job := decode(t, e.do(t, http.MethodGet, base+"/"+graphsim.AWSJobID, tok, nil))
				if status != http.StatusOK {
					t.Fatalf("get: %d %v", status, job)
				}
				if job["@odata.context"] != wantCtx+"/$entity" {
					t.Errorf("@odata.context = %v", job["@odata.context"])
				}
				delete(job, "@odata.context")
				if diff := cmp.Diff(value[0], any(job)); diff != "" {
					t.Errorf("get differs from list (-list +get):\n%s", diff)
				}
			})
		}
	}
	t.Run("application without jobs", func(t *testing.T) {
		status, list := decode(t, e.do(t, http.MethodGet, jobsPath("beta", "applications", graphsim.HRPortalObjectID), tok, nil))
		if value, ok := list["value"].([]any); status != http.StatusOK || !ok || len(value) != 0 {
			t.Errorf("got %d %v, want 200 with an empty value array", status, list)
		}
	})
}

// TestJobWireShape compares every seeded job's body with a golden file:
// field names and order, 7-digit timestamps, "0001-01-01T00:00:00Z" for
// never, null and [] where Graph writes them.
func TestJobWireShape(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.secretToken(t, graphsim.SeedClientID)
	var got bytes.Buffer
	for _, a := range graphsim.Seed() {
		for _, j := range a.Jobs {
			resp := e.do(t, http.MethodGet, jobsPath("beta", "applications", a.ObjectID)+"/"+j.ID, tok, nil)
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("get %s: %d %v", j.ID, resp.StatusCode, err)
			}
			got.Write(bytes.Replace(b, []byte(e.graphSrv.URL), []byte("https://graph.test"), 1))
			got.WriteByte('\n')
		}
	}
	golden := filepath.Join("testdata", "jobs.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("job bodies differ from %s (-want +got; -update rewrites):\n%s", golden, diff)
	}
	for _, ts := range regexp.MustCompile(`"(\d{4}-[^"]*T[^"]*)"`).FindAllStringSubmatch(got.String(), -1) {
		if ts[1] != "0001-01-01T00:00:00Z" && !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$`).MatchString(ts[1]) {
			t.Errorf("timestamp %s has not seven fractional digits", ts[1])
		}
	}
}

func TestServicePrincipalResolution(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.secretToken(t, graphsim.SeedClientID)
	for _, ver := range []string{"beta", "v1.0"} {
		t.Run(ver, func(t *testing.T) {
			status, app := decode(t, e.do(t, http.MethodGet, "/"+ver+"/applications/"+graphsim.AWSObjectID+"?$select=appId", tok, nil))
			want := map[string]any{
				"@odata.context": e.graphSrv.URL + "/" + ver + "/$metadata#applications(appId)/$entity",
				"appId":          graphsim.AWSAppID,
			}
			if diff := cmp.Diff(want, app); status != http.StatusOK || diff != "" {
				t.Fatalf("application ?$select=appId: %d (-want +got):\n%s", status, diff)
			}
			for _, path := range []string{
				"/" + ver + "/servicePrincipals(appId='" + graphsim.AWSAppID + "')",
				"/" + ver + "/servicePrincipals(appId=%27" + graphsim.AWSAppID + "%27)",
			} {
				status, sp := decode(t, e.do(t, http.MethodGet, path, tok, nil))
				if status != http.StatusOK || sp["id"] != graphsim.AWSServicePrincipalID || sp["appId"] != graphsim.AWSAppID {
					t.Errorf("%s: %d %v, want the AWS service principal", path, status, sp)
				}
			}
		})
	}
	t.Run("application without $select", func(t *testing.T) {
		status, app := decode(t, e.do(t, http.MethodGet, "/v1.0/applications/"+graphsim.SlackObjectID, tok, nil))
		if status != http.StatusOK || app["id"] != graphsim.SlackObjectID || app["appId"] != graphsim.SlackAppID ||
			app["displayName"] != "Slack" {
			t.Errorf("got %d %v", status, app)
		}
	})

	errs := []struct {
		name, path string
		wantStatus int
		wantCode   string
	}{
		{"unknown application", "/v1.0/applications/" + uuid.NewString() + "?$select=appId", 404, "Request_ResourceNotFound"},
		{"application by appId", "/v1.0/applications/" + graphsim.AWSAppID, 404, "Request_ResourceNotFound"},
		{"malformed application id", "/v1.0/applications/aws", 400, "Request_BadRequest"},
		{"unknown $select property", "/v1.0/applications/" + graphsim.AWSObjectID + "?$select=appId,secret", 400, "Request_BadRequest"},
		{"unknown appId", "/v1.0/servicePrincipals(appId='" + uuid.NewString() + "')", 404, "Request_ResourceNotFound"},
		{"service principal by object id as appId", "/v1.0/servicePrincipals(appId='" + graphsim.AWSServicePrincipalID + "')", 404, "Request_ResourceNotFound"},
		{"malformed appId", "/v1.0/servicePrincipals(appId='aws')", 400, "Request_BadRequest"},
		{"unquoted appId", "/v1.0/servicePrincipals(appId=" + graphsim.AWSAppID + ")", 400, "BadRequest"},
		{"other entity set", "/v1.0/users", 400, "BadRequest"},
		{"bad version", "/v2.0/servicePrincipals(appId='" + graphsim.AWSAppID + "')", 400, "BadRequest"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			status, body := decode(t, e.do(t, http.MethodGet, tt.path, tok, nil))
			if code, _ := graphErr(t, body); status != tt.wantStatus || code != tt.wantCode {
				t.Errorf("got %d %v, want %d %s", status, body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestStartTransitions(t *testing.T) {
	tests := []struct {
		name           string
		objectID, spID string
		jobID          string
		wantStatus     int
		wantCode       string // job status afterwards
		wantWhileAct   int
	}{
		{"Paused", graphsim.AWSObjectID, graphsim.AWSServicePrincipalID, graphsim.AWSJobID, 204, graphsim.StatusActive, 0},
		{"Quarantine", graphsim.ServiceNowObjectID, graphsim.ServiceNowServicePrincipalID, graphsim.ServiceNowJobID, 204, graphsim.StatusActive, 0},
		{"NotRun", graphsim.SalesforceObjectID, graphsim.SalesforceServicePrincipalID, graphsim.SalesforceJobID, 204, graphsim.StatusActive, 0},
		{"Active", graphsim.SlackObjectID, graphsim.SlackServicePrincipalID, graphsim.SlackJobID, 204, graphsim.StatusActive, 1},
		{"NotConfigured", graphsim.DropboxObjectID, graphsim.DropboxServicePrincipalID, graphsim.DropboxJobID, 400, graphsim.StatusNotConfigured, 0},
	}
	for _, tt := range tests {
		for _, rt := range roots {
			t.Run(tt.name+"/"+rt.name, func(t *testing.T) {
				e := newEnv(t, nil)
				tok := e.secretToken(t, graphsim.SeedClientID)
				resp := e.do(t, http.MethodPost, jobsPath("beta", rt.root, rt.id(tt.objectID, tt.spID))+"/"+tt.jobID+"/start", tok, nil)
				status, body := decode(t, resp)
				if status != tt.wantStatus {
					t.Fatalf("start: %d %v, want %d", status, body, tt.wantStatus)
				}
				if status == http.StatusNoContent && (body != nil || resp.ContentLength > 0) {
					t.Errorf("204 with a body: %v", body)
				}
				if status == http.StatusBadRequest {
					if code, _ := graphErr(t, body); code != "BadRequest" {
						t.Errorf("code %s, want BadRequest", code)
					}
				}
				job, ok := e.graph.Job(tt.objectID, tt.jobID)
				if !ok {
					t.Fatal("job gone")
				}
				if job.Status.Code != tt.wantCode {
					t.Errorf("status.code = %s, want %s", job.Status.Code, tt.wantCode)
				}
				if tt.wantCode == graphsim.StatusActive && (job.Status.Quarantine != nil || job.Schedule.State != graphsim.ScheduleActive) {
					t.Errorf("after start: quarantine %v, schedule %s; want none and Active", job.Status.Quarantine, job.Schedule.State)
				}
				if got := e.graph.StartCalls(tt.jobID); got != 1 {
					t.Errorf("StartCalls = %d, want 1", got)
				}
				if got := e.graph.StartsWhileActive(tt.jobID); got != tt.wantWhileAct {
					t.Errorf("StartsWhileActive = %d, want %d", got, tt.wantWhileAct)
				}
			})
		}
	}
}

func TestPauseAndRestart(t *testing.T) {
	type step struct {
		op, body, ctype string
		wantStatus      int
		wantCode        string // job status afterwards
	}
	const jsonCT = "application/json"
	tests := []struct {
		name     string
		objectID string
		jobID    string
		steps    []step
	}{
		{"pause an Active job, start it again", graphsim.SlackObjectID, graphsim.SlackJobID, []step{
			{"pause", "", "", 204, graphsim.StatusPaused},
			{"pause", "", "", 204, graphsim.StatusPaused},
			{"start", "", "", 204, graphsim.StatusActive},
		}},
		{"pause NotConfigured", graphsim.DropboxObjectID, graphsim.DropboxJobID, []step{
			{"pause", "", "", 400, graphsim.StatusNotConfigured},
			{"restart", "", "", 400, graphsim.StatusNotConfigured},
		}},
		{"restart a quarantined job without resetting the quarantine", graphsim.ServiceNowObjectID, graphsim.ServiceNowJobID, []step{
			{"restart", `{"criteria":{"resetScope":"Watermark, Escrows"}}`, jsonCT, 204, graphsim.StatusQuarantine},
			{"restart", `{"criteria":{"resetScope":"Watermark, Escrows, QuarantineState"}}`, jsonCT, 204, graphsim.StatusActive},
		}},
		{"restart with Full", graphsim.ServiceNowObjectID, graphsim.ServiceNowJobID, []step{
			{"restart", `{"criteria":{"resetScope":"Full"}}`, jsonCT, 204, graphsim.StatusActive},
		}},
		{"restart without a body", graphsim.AWSObjectID, graphsim.AWSJobID, []step{
			{"restart", "", "", 204, graphsim.StatusActive},
		}},
		{"restart bodies Graph refuses", graphsim.AWSObjectID, graphsim.AWSJobID, []step{
			{"restart", `{"criteria":{"resetScope":"Everything"}}`, jsonCT, 400, graphsim.StatusPaused},
			{"restart", `{"criteria":{"resetScope":"Full"},"force":true}`, jsonCT, 400, graphsim.StatusPaused},
			{"restart", `{"criteria":`, jsonCT, 400, graphsim.StatusPaused},
			{"restart", `{"criteria":{"resetScope":"Full"}}`, "text/plain", 400, graphsim.StatusPaused},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			tok := e.secretToken(t, graphsim.SeedClientID)
			for i, s := range tt.steps {
				var hdr []string
				if s.ctype != "" {
					hdr = []string{"Content-Type", s.ctype}
				}
				status, body := decode(t, e.do(t, http.MethodPost,
					jobsPath("v1.0", "applications", tt.objectID)+"/"+tt.jobID+"/"+s.op, tok, strings.NewReader(s.body), hdr...))
				if status != s.wantStatus {
					t.Fatalf("step %d %s: %d %v, want %d", i, s.op, status, body, s.wantStatus)
				}
				if status == http.StatusBadRequest {
					if code, _ := graphErr(t, body); code != "BadRequest" {
						t.Errorf("step %d: code %s, want BadRequest", i, code)
					}
				}
				if job, _ := e.graph.Job(tt.objectID, tt.jobID); job.Status.Code != s.wantCode {
					t.Errorf("step %d %s: status.code %s, want %s", i, s.op, job.Status.Code, s.wantCode)
				}
			}
		})
	}
}

func TestAuthAndErrorShape(t *testing.T) {
	e := newEnv(t, nil)
	writer := e.secretToken(t, graphsim.SeedClientID)
	reader := e.secretToken(t, readerClientID)
	noRoles := e.secretToken(t, noRolesClientID)
	usgov := func() string {
		_, body := e.postForm(t, map[string][]string{"grant_type": {"client_credentials"}, "client_id": {graphsim.SeedClientID},
			"client_secret": {testSecret}, "scope": {"https://graph.microsoft.us/.default"}})
		return body["access_token"].(string)
	}()
	aws := jobsPath("beta", "applications", graphsim.AWSObjectID)
	tests := []struct {
		name         string
		method, path string
		token        string
		wantStatus   int
		wantCode     string
		wantMsg      string
	}{
		{"no token", "GET", aws, "", 401, "InvalidAuthenticationToken", "Access token is empty."},
		{"unknown token", "GET", aws, "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.c2ln", 401, "InvalidAuthenticationToken", "CompactToken parsing failed with error code: 80049217"},
		{"token of another cloud", "GET", aws, usgov, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."},
		{"reader starts", "POST", aws + "/" + graphsim.AWSJobID + "/start", reader, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		{"reader reads", "GET", aws + "/" + graphsim.AWSJobID, reader, 200, "", ""},
		{"reader resolves an application", "GET", "/beta/applications/" + graphsim.AWSObjectID, reader, 403, "Authorization_RequestDenied", ""},
		{"no roles", "GET", aws, noRoles, 403, "Authorization_RequestDenied", ""},
		{"unknown application", "GET", jobsPath("beta", "applications", uuid.NewString()), writer, 404, "Request_ResourceNotFound", ""},
		{"unknown service principal", "GET", jobsPath("beta", "servicePrincipals", uuid.NewString()), writer, 404, "Request_ResourceNotFound", ""},
		{"application id under servicePrincipals", "GET", jobsPath("beta", "servicePrincipals", graphsim.AWSObjectID), writer, 404, "Request_ResourceNotFound", ""},
		{"appId under applications", "GET", jobsPath("beta", "applications", graphsim.AWSAppID), writer, 404, "Request_ResourceNotFound", ""},
		{"malformed object id", "GET", jobsPath("beta", "applications", "aws-sso"), writer, 400, "Request_BadRequest", "Invalid object identifier 'aws-sso'."},
		{"unknown job", "GET", aws + "/aWSSingleSignon.00000000000000000000000000000000." + graphsim.SeedTenantID, writer, 404, "ResourceNotFound", ""},
		{"job of another application", "GET", aws + "/" + graphsim.SlackJobID, writer, 404, "ResourceNotFound", ""},
		{"start an unknown job", "POST", aws + "/nope/start", writer, 404, "ResourceNotFound", ""},
		{"unknown version", "GET", jobsPath("v2.0", "applications", graphsim.AWSObjectID), writer, 400, "BadRequest", "Invalid version: v2.0"},
		{"unknown root", "GET", jobsPath("beta", "users", graphsim.AWSObjectID), writer, 400, "BadRequest", "Resource not found for the segment 'users'."},
		{"GET on an action", "GET", aws + "/" + graphsim.AWSJobID + "/start", writer, 405, "Request_BadRequest", ""},
		{"unrouted path", "GET", aws + "/" + graphsim.AWSJobID + "/schema/directories", writer, 404, "ResourceNotFound", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clientReqID := uuid.NewString()
			resp := e.do(t, tt.method, tt.path, tt.token, nil, "client-request-id", clientReqID)
			reqID := resp.Header.Get("request-id")
			if uuid.Validate(reqID) != nil || resp.Header.Get("client-request-id") != clientReqID ||
				resp.Header.Get("x-ms-ags-diagnostic") == "" {
				t.Errorf("headers request-id %q, client-request-id %q, x-ms-ags-diagnostic %q",
					reqID, resp.Header.Get("client-request-id"), resp.Header.Get("x-ms-ags-diagnostic"))
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, raw)
			}
			if tt.wantStatus == http.StatusOK {
				return
			}
			if tt.wantStatus == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			// The body is exactly Graph's error shape: no other field.
			var body struct {
				Error struct {
					Code       string `json:"code"`
					Message    string `json:"message"`
					InnerError struct {
						Date            string `json:"date"`
						RequestID       string `json:"request-id"`
						ClientRequestID string `json:"client-request-id"`
					} `json:"innerError"`
				} `json:"error"`
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil {
				t.Fatalf("error body %s: %v", raw, err)
			}
			in := body.Error.InnerError
			if body.Error.Code != tt.wantCode || (tt.wantMsg != "" && body.Error.Message != tt.wantMsg) || body.Error.Message == "" {
				t.Errorf("error %s %q, want %s %q", body.Error.Code, body.Error.Message, tt.wantCode, tt.wantMsg)
			}
			if _, err := time.Parse("2006-01-02T15:04:05", in.Date); err != nil || in.RequestID != reqID || in.ClientRequestID != clientReqID {
				t.Errorf("innerError %+v, want date, request-id %s, client-request-id %s", in, reqID, clientReqID)
			}
		})
	}
	t.Run("client-request-id not sent", func(t *testing.T) {
		resp := e.do(t, http.MethodGet, aws, writer, nil)
		resp.Body.Close()
		if id := resp.Header.Get("request-id"); uuid.Validate(id) != nil || resp.Header.Get("client-request-id") != id {
			t.Errorf("request-id %q, client-request-id %q; want a GUID, twice", id, resp.Header.Get("client-request-id"))
		}
	})
	t.Run("only authenticated starts are counted", func(t *testing.T) {
		if got := e.graph.StartCalls(graphsim.AWSJobID); got != 0 {
			t.Errorf("StartCalls(AWS) = %d after only a forbidden start, want 0", got)
		}
		if got := e.graph.StartCalls("nope"); got != 1 {
			t.Errorf("StartCalls(nope) = %d, want 1 (authenticated, then 404)", got)
		}
	})
}

func TestFaults(t *testing.T) {
	startPaths := []string{
		jobsPath("beta", "applications", graphsim.AWSObjectID) + "/" + graphsim.AWSJobID + "/start",
		jobsPath("v1.0", "servicePrincipals", graphsim.AWSServicePrincipalID) + "/" + graphsim.AWSJobID + "/start",
	}
	tests := []struct {
		name           string
		fault          sim.Fault
		wantStatus     int
		wantCode       string
		wantRetryAfter string
	}{
		{"throttled", sim.Fault{Status: 429, RetryAfter: 7 * time.Second}, 429, "TooManyRequests", "7"},
		{"unavailable", sim.Fault{Status: 503, RetryAfter: 2500 * time.Millisecond}, 503, "serviceNotAvailable", "3"},
		{"gateway timeout", sim.Fault{Status: 504}, 504, "gatewayTimeout", ""},
		{"own code and message", sim.Fault{Status: 429, Code: "activityLimitReached", Message: "slow down"}, 429, "activityLimitReached", ""},
		{"latency, then the real answer", sim.Fault{Latency: 20 * time.Millisecond}, 204, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			tok := e.secretToken(t, graphsim.SeedClientID)
			e.graph.Faults.Set(graphsim.RouteStartJob, tt.fault)
			for _, path := range startPaths {
				resp := e.do(t, http.MethodPost, path, tok, nil, "client-request-id", "c0ffee00-0000-4000-8000-000000000001")
				if got := resp.Header.Get("Retry-After"); got != tt.wantRetryAfter {
					t.Errorf("%s: Retry-After %q, want %q", path, got, tt.wantRetryAfter)
				}
				status, body := decode(t, resp)
				if status != tt.wantStatus {
					t.Fatalf("%s: %d %v, want %d", path, status, body, tt.wantStatus)
				}
				if tt.wantCode == "" {
					continue
				}
				code, inner := graphErr(t, body)
				if code != tt.wantCode || inner["request-id"] != resp.Header.Get("request-id") ||
					inner["client-request-id"] != "c0ffee00-0000-4000-8000-000000000001" {
					t.Errorf("%s: code %s inner %v", path, code, inner)
				}
			}
			wantStarts := 0
			if tt.wantStatus == http.StatusNoContent {
				wantStarts = len(startPaths)
			}
			if got := e.graph.StartCalls(graphsim.AWSJobID); got != wantStarts {
				t.Errorf("StartCalls = %d, want %d (a fault answers before the handler)", got, wantStarts)
			}
			// Other routes are not affected.
			if status, _ := decode(t, e.do(t, http.MethodGet, jobsPath("beta", "applications", graphsim.AWSObjectID), tok, nil)); status != http.StatusOK {
				t.Errorf("list under a start fault: %d", status)
			}
		})
	}

	t.Run("times", func(t *testing.T) {
		e := newEnv(t, nil)
		tok := e.secretToken(t, graphsim.SeedClientID)
		e.graph.Faults.Set(graphsim.RouteStartJob, sim.Fault{Status: 429, RetryAfter: time.Second, Times: 1})
		var got []int
		for range 2 {
			status, _ := decode(t, e.do(t, http.MethodPost, startPaths[0], tok, nil))
			got = append(got, status)
		}
		if diff := cmp.Diff([]int{429, 204}, got); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
	})

	t.Run("drop", func(t *testing.T) {
		e := newEnv(t, nil)
		tok := e.secretToken(t, graphsim.SeedClientID)
		e.graph.Faults.Set(graphsim.RouteStartJob, sim.Fault{Drop: true})
		req, _ := http.NewRequest(http.MethodPost, e.graphSrv.URL+startPaths[0], nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if resp, err := e.client.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("dropped request answered %d", resp.StatusCode)
		}
		if got := e.graph.StartCalls(graphsim.AWSJobID); got != 0 {
			t.Errorf("StartCalls = %d, want 0", got)
		}
	})

	t.Run("latency past the caller's deadline", func(t *testing.T) {
		e := newEnv(t, nil)
		tok := e.secretToken(t, graphsim.SeedClientID)
		e.graph.Faults.Set(graphsim.RouteStartJob, sim.Fault{Latency: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.graphSrv.URL+startPaths[0], nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := e.client.Do(req)
		status := "no answer"
		if err == nil {
			status = resp.Status
			resp.Body.Close()
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v (%s), want the deadline", err, status)
		}
		e.graph.Faults.Reset()
		if job, _ := e.graph.Job(graphsim.AWSObjectID, graphsim.AWSJobID); job.Status.Code != graphsim.StatusPaused {
			t.Errorf("job %s: a delayed, abandoned start must not run", job.Status.Code)
		}
	})
}

// TestPathsNeverReachAnotherResource sends job ids with dots, encoded
// slashes and dot segments: each either names exactly one job or nothing.
func TestPathsNeverReachAnotherResource(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.secretToken(t, graphsim.SeedClientID)
	aws := jobsPath("beta", "applications", graphsim.AWSObjectID)
	slack := jobsPath("beta", "applications", graphsim.SlackObjectID)
	encodedDots := strings.ReplaceAll(graphsim.AWSJobID, ".", "%2E")
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantCode           string
	}{
		{"dotted id", "GET", aws + "/" + graphsim.AWSJobID, 200, ""},
		{"dots percent-encoded are decoded once", "GET", aws + "/" + encodedDots, 200, ""},
		{"double-encoded dots are not decoded twice", "GET", aws + "/" + strings.ReplaceAll(encodedDots, "%", "%25"), 404, "ResourceNotFound"},
		{"id prefix", "GET", aws + "/aWSSingleSignon", 404, "ResourceNotFound"},
		{"encoded slash then an action, POST", "POST", aws + "/" + graphsim.AWSJobID + "%2Fstart", 405, "Request_BadRequest"},
		{"encoded slash then an action, GET", "GET", aws + "/" + graphsim.AWSJobID + "%2Fstart", 404, "ResourceNotFound"},
		{"encoded traversal into another application", "POST", slack + "/x%2F..%2F..%2F..%2F" + graphsim.AWSObjectID + "%2Fsynchronization%2Fjobs%2F" + graphsim.AWSJobID + "/start", 404, "ResourceNotFound"},
		{"dot-dot segment", "POST", aws + "/x/../" + graphsim.AWSJobID + "/start", 400, "BadRequest"},
		{"encoded dot-dot segment", "POST", slack + "/%2E%2E/%2E%2E/%2E%2E/" + graphsim.AWSObjectID + "/synchronization/jobs/" + graphsim.AWSJobID + "/start", 400, "BadRequest"},
		{"dot segment", "GET", aws + "/./" + graphsim.AWSJobID, 400, "BadRequest"},
		{"empty segment", "GET", jobsPath("beta", "applications", graphsim.AWSObjectID+"/") + "/" + graphsim.AWSJobID, 400, "BadRequest"},
		{"trailing slash", "GET", aws + "/", 400, "BadRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.graphSrv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			status, body := decode(t, resp)
			if status != tt.wantStatus {
				t.Fatalf("%s %s: %d %v, want %d", tt.method, req.URL.EscapedPath(), status, body, tt.wantStatus)
			}
			if tt.wantCode != "" {
				if code, _ := graphErr(t, body); code != tt.wantCode {
					t.Errorf("code %s, want %s", code, tt.wantCode)
				}
			} else if body["id"] != graphsim.AWSJobID {
				t.Errorf("got job %v, want %s", body["id"], graphsim.AWSJobID)
			}
		})
	}
	if got := e.graph.StartCalls(graphsim.AWSJobID); got != 0 {
		t.Errorf("StartCalls(AWS) = %d: a crafted path reached the start of the AWS job", got)
	}
	if job, _ := e.graph.Job(graphsim.AWSObjectID, graphsim.AWSJobID); job.Status.Code != graphsim.StatusPaused {
		t.Errorf("AWS job %s, want still Paused", job.Status.Code)
	}
}

// TestConcurrentRequests runs starts, reads and token grants at once (run
// with -race): exactly one start finds the job Paused.
func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.secretToken(t, graphsim.SeedClientID)
	const n = 200
	start := jobsPath("beta", "applications", graphsim.AWSObjectID) + "/" + graphsim.AWSJobID + "/start"
	get := jobsPath("v1.0", "servicePrincipals", graphsim.AWSServicePrincipalID) + "/" + graphsim.AWSJobID
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {graphsim.SeedClientID},
		"client_secret": {testSecret}, "scope": {graphsim.DefaultGraphScope}}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var req *http.Request
			switch i % 4 {
			case 0, 2:
				req, _ = http.NewRequest(http.MethodPost, e.graphSrv.URL+start, nil)
			case 1:
				req, _ = http.NewRequest(http.MethodGet, e.graphSrv.URL+get, nil)
			case 3:
				req, _ = http.NewRequest(http.MethodPost, e.tokenURL(), strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := e.client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
				errs <- errors.New(req.Method + " " + req.URL.Path + ": " + resp.Status)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := e.graph.StartCalls(graphsim.AWSJobID); got != n/2 {
		t.Errorf("StartCalls = %d, want %d", got, n/2)
	}
	if got := e.graph.StartsWhileActive(graphsim.AWSJobID); got != n/2-1 {
		t.Errorf("StartsWhileActive = %d, want %d", got, n/2-1)
	}
	if got := e.login.TokenGrants(); got != n/4+1 {
		t.Errorf("TokenGrants = %d, want %d", got, n/4+1)
	}
}

func TestJobAndPutJob(t *testing.T) {
	g := graphsim.New(graphsim.GraphOptions{})
	job, ok := g.Job(graphsim.AWSAppID, graphsim.AWSJobID) // appId works too
	if !ok {
		t.Fatal("AWS job not found by appId")
	}
	job.Status.LastExecution.CountImported = -1
	job.Status.Code = graphsim.StatusActive
	if again, _ := g.Job(graphsim.AWSObjectID, graphsim.AWSJobID); again.Status.Code != graphsim.StatusPaused ||
		again.Status.LastExecution.CountImported == -1 {
		t.Error("Job returned the simulator's own state, not a copy")
	}
	if !g.PutJob(graphsim.AWSServicePrincipalID, job) {
		t.Fatal("PutJob: application not found")
	}
	if again, _ := g.Job(graphsim.AWSObjectID, graphsim.AWSJobID); again.Status.Code != graphsim.StatusActive {
		t.Errorf("after PutJob: %s, want Active", again.Status.Code)
	}
	if g.PutJob(uuid.NewString(), job) {
		t.Error("PutJob to an unknown application reported success")
	}
	if _, ok := g.Job(graphsim.HRPortalObjectID, graphsim.AWSJobID); ok {
		t.Error("found the AWS job under another application")
	}
}

func TestSeed(t *testing.T) {
	guid := `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
	jobID := regexp.MustCompile(`^[A-Za-z]+\.[0-9a-f]{32}\.` + guid + `$`)
	isGUID := regexp.MustCompile(`^` + guid + `$`)
	statuses := map[string]int{}
	seen := map[string]bool{}
	for _, a := range graphsim.Seed() {
		for _, id := range []string{a.ObjectID, a.AppID, a.ServicePrincipalID} {
			if !isGUID.MatchString(id) || seen[id] {
				t.Errorf("%s: id %s is not a fresh GUID", a.DisplayName, id)
			}
			seen[id] = true
		}
		for _, j := range a.Jobs {
			if !jobID.MatchString(j.ID) || !strings.HasPrefix(j.ID, j.TemplateID+".") {
				t.Errorf("job id %s is not <templateId>.<32 hex>.<guid>", j.ID)
			}
			if (j.Status.Code == graphsim.StatusQuarantine) != (j.Status.Quarantine != nil) {
				t.Errorf("%s: quarantine %v with status %s", j.ID, j.Status.Quarantine, j.Status.Code)
			}
			statuses[j.Status.Code]++
		}
	}
	for _, s := range []string{graphsim.StatusNotConfigured, graphsim.StatusNotRun, graphsim.StatusActive, graphsim.StatusPaused, graphsim.StatusQuarantine} {
		if statuses[s] == 0 {
			t.Errorf("no seeded job is %s", s)
		}
	}
}

func TestTimestamp(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Time{}, `"0001-01-01T00:00:00Z"`},
		{time.Date(2021, 5, 24, 21, 45, 53, 633052900, time.UTC), `"2021-05-24T21:45:53.6330529Z"`},
		{time.Date(2021, 5, 24, 23, 45, 53, 0, time.FixedZone("CEST", 2*3600)), `"2021-05-24T21:45:53.0000000Z"`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(graphsim.At(tt.in))
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.in, b, err, tt.want)
		}
		var back graphsim.Timestamp
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(tt.in) {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", b, back, err, tt.in)
		}
	}
}
