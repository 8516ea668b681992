package graph

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/syncgate/syncgate/internal/upstream"
)

// TestURLs records the requests each operation sends, for both path modes
// and both API versions, against testdata/urls.golden.
func TestURLs(t *testing.T) {
	var out strings.Builder
	for _, mode := range []string{PathApplications, PathServicePrincipals} {
		for _, version := range []string{VersionBeta, VersionV1} {
			s := newSetup(t, happy(t), func(c *Config) { c.JobPath, c.APIVersion = mode, version })
			ctx := context.Background()
			out.WriteString("# " + mode + " " + version + "\n")
			if _, err := s.client.Jobs(ctx, appObjectID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.client.Job(ctx, appObjectID, jobID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.client.StartJob(ctx, appObjectID, jobID); err != nil {
				t.Fatal(err)
			}
			for _, u := range s.graph.uris() {
				out.WriteString(u + "\n")
			}
		}
	}
	checkGolden(t, "urls.golden", []byte(out.String()))
}

func TestDefaultsAreBetaAndApplications(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	if _, err := s.client.Job(context.Background(), appObjectID, jobID); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /beta/applications/" + appObjectID + "/synchronization/jobs/" + jobID}
	if diff := cmp.Diff(want, s.graph.uris()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestBaseURLWithPathPrefix(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	c, err := New(Config{Credential: s.cred, BaseURL: s.graph.srv.URL + "/graph/", Options: upstream.Options{HTTPClient: s.graph.srv.Client(), Now: s.clock.Now}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Job(context.Background(), appObjectID, jobID); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /graph/beta/applications/" + appObjectID + "/synchronization/jobs/" + jobID}
	if diff := cmp.Diff(want, s.graph.uris()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestPercentEncoding(t *testing.T) {
	tests := []struct {
		name       string
		mode       string
		appID, job string
		wantURI    string
	}{
		{"dots stay", PathApplications, appObjectID, "a.b.c", "/beta/applications/" + appObjectID + "/synchronization/jobs/a.b.c/start"},
		{"space", PathApplications, appObjectID, "a b", "/beta/applications/" + appObjectID + "/synchronization/jobs/a%20b/start"},
		{"slash", PathApplications, appObjectID, "a/b", "/beta/applications/" + appObjectID + "/synchronization/jobs/a%2Fb/start"},
		{"encoded slash is not decoded", PathApplications, appObjectID, "%2F", "/beta/applications/" + appObjectID + "/synchronization/jobs/%252F/start"},
		{"question mark and hash", PathApplications, appObjectID, "a?b#c", "/beta/applications/" + appObjectID + "/synchronization/jobs/a%3Fb%23c/start"},
		{"application id", PathApplications, "x/../y", jobID, "/beta/applications/x%2F..%2Fy/synchronization/jobs/" + jobID + "/start"},
		{"service principal mode", PathServicePrincipals, "a b", "j%2Fk", "/beta/servicePrincipals/" + spObjectID + "/synchronization/jobs/j%252Fk/start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, happy(t), func(c *Config) { c.JobPath = tt.mode })
			if _, err := s.client.StartJob(context.Background(), tt.appID, tt.job); err != nil {
				t.Fatal(err)
			}
			uris := s.graph.uris()
			if got := uris[len(uris)-1]; got != "POST "+tt.wantURI {
				t.Errorf("start sent %q, want %q", got, "POST "+tt.wantURI)
			}
			if tt.mode == PathServicePrincipals {
				if got, want := uris[0], "GET /beta/applications/a%20b?$select=appId"; got != want {
					t.Errorf("application lookup sent %q, want %q", got, want)
				}
			}
		})
	}
}

func TestServicePrincipalLookupQuotesAppID(t *testing.T) {
	tests := []struct {
		name, appID, wantURI string
	}{
		{"guid", appID, "/beta/servicePrincipals(appId='" + appID + "')"},
		{"quote doubled and encoded", "it's", "/beta/servicePrincipals(appId='it%27%27s')"},
		{"slash, space and percent", "a/b c%", "/beta/servicePrincipals(appId='a%2Fb%20c%25')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if r.URL.RawQuery == "$select=appId" {
					body, _ := jsonString(tt.appID)
					writeJSON(w, http.StatusOK, `{"appId":`+body+`}`)
					return
				}
				happy(t)(w, r, n)
			}, func(c *Config) { c.JobPath = PathServicePrincipals })
			if _, err := s.client.Job(context.Background(), appObjectID, jobID); err != nil {
				t.Fatal(err)
			}
			if got := s.graph.uris()[1]; got != "GET "+tt.wantURI {
				t.Errorf("service principal lookup sent %q, want %q", got, "GET "+tt.wantURI)
			}
		})
	}
}

func TestInvalidIDsAreNotSent(t *testing.T) {
	tests := []struct{ appID, jobID string }{
		{"", jobID}, {appObjectID, ""}, {appObjectID, "."}, {appObjectID, ".."}, {"..", jobID},
	}
	for _, tt := range tests {
		s := newSetup(t, happy(t), nil)
		_, err := s.client.StartJob(context.Background(), tt.appID, tt.jobID)
		wantKind(t, err, upstream.KindInvalid)
		if n := len(s.graph.requests()); n != 0 {
			t.Errorf("StartJob(%q, %q) sent %d requests, want none", tt.appID, tt.jobID, n)
		}
	}
}

func TestServicePrincipalResolvedOnce(t *testing.T) {
	s := newSetup(t, happy(t), func(c *Config) { c.JobPath = PathServicePrincipals })
	ctx := context.Background()
	done := make(chan error)
	for range 8 {
		go func() {
			_, err := s.client.Job(ctx, appObjectID, jobID)
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.client.StartJob(ctx, appObjectID, jobID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.Jobs(ctx, appObjectID); err != nil {
		t.Fatal(err)
	}
	lookups := map[string]int{}
	for _, u := range s.graph.uris() {
		if !strings.Contains(u, "/synchronization/") {
			lookups[u]++
		}
	}
	want := map[string]int{
		"GET /beta/applications/" + appObjectID + "?$select=appId": 1,
		"GET /beta/servicePrincipals(appId='" + appID + "')":       1,
	}
	if diff := cmp.Diff(want, lookups); diff != "" {
		t.Errorf("lookups (-want +got):\n%s", diff)
	}
}

func TestServicePrincipalFailuresAreNotCached(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.RawQuery == "$select=appId" && fail.Load() {
			writeFile(t, w, http.StatusNotFound, "errors/not_found.json")
			return
		}
		happy(t)(w, r, n)
	}, func(c *Config) { c.JobPath = PathServicePrincipals })
	ctx := context.Background()
	_, err := s.client.Job(ctx, appObjectID, jobID)
	wantKind(t, err, upstream.KindNotFound)
	fail.Store(false)
	if _, err := s.client.Job(ctx, appObjectID, jobID); err != nil {
		t.Fatalf("second call: %v", err)
	}
	if got := len(s.graph.uris()); got != 4 {
		t.Errorf("sent %d requests, want 4 (failed lookup, lookup again, service principal, job): %v", got, s.graph.uris())
	}
}

func TestServicePrincipalForgottenAfterNotFound(t *testing.T) {
	s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if strings.HasSuffix(r.URL.Path, "/jobs/"+jobID) && n == 1 {
			writeFile(t, w, http.StatusNotFound, "errors/job_not_found.json")
			return
		}
		happy(t)(w, r, n)
	}, func(c *Config) { c.JobPath = PathServicePrincipals })
	ctx := context.Background()
	_, err := s.client.Job(ctx, appObjectID, jobID)
	wantKind(t, err, upstream.KindNotFound)
	if _, err := s.client.Job(ctx, appObjectID, jobID); err != nil {
		t.Fatal(err)
	}
	appLookups := 0
	for _, u := range s.graph.uris() {
		if strings.HasSuffix(u, "?$select=appId") {
			appLookups++
		}
	}
	if appLookups != 2 {
		t.Errorf("application looked up %d times, want 2 (again after the 404): %v", appLookups, s.graph.uris())
	}
}

func TestClientRequestID(t *testing.T) {
	const guid = "0d5e3a4c-7f1b-4a0e-9c2d-6b8f1e2a3b4c"
	tests := []struct {
		name      string
		requestID string
		wantSame  bool
	}{
		{"GUID request id is sent as it is", guid, true},
		{"other request id gets a fresh GUID", "req-42", false},
		{"braced GUID is not the canonical form", "{" + guid + "}", false},
		{"no request id", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, happy(t), func(c *Config) { c.JobPath = PathServicePrincipals })
			ctx := upstream.WithRequestID(context.Background(), tt.requestID)
			res, err := s.client.StartJob(ctx, appObjectID, jobID)
			if err != nil {
				t.Fatal(err)
			}
			reqs := s.graph.requests()
			if len(reqs) != 3 {
				t.Fatalf("sent %d requests, want 3", len(reqs))
			}
			sent := reqs[0].ClientRequestID
			for _, r := range reqs {
				if r.ClientRequestID != sent {
					t.Errorf("client-request-id %q on %s %s, want %q on every call of one operation", r.ClientRequestID, r.Method, r.URI, sent)
				}
				if r.ReturnClientRequestID != "true" {
					t.Errorf("return-client-request-id = %q on %s, want true", r.ReturnClientRequestID, r.URI)
				}
			}
			if _, err := uuid.Parse(sent); err != nil || len(sent) != 36 {
				t.Errorf("client-request-id %q is not a GUID", sent)
			}
			if got := sent == tt.requestID; got != tt.wantSame {
				t.Errorf("client-request-id %q, request id %q: same = %v, want %v", sent, tt.requestID, got, tt.wantSame)
			}
			if res.ClientRequestID != sent {
				t.Errorf("StartResult.ClientRequestID = %q, want %q", res.ClientRequestID, sent)
			}
			if !tt.wantSame && !strings.Contains(s.logs.String(), `"request_id":"`+strings.ReplaceAll(tt.requestID, `"`, `\"`)+`","client_request_id":"`+sent+`"`) {
				t.Errorf("the request id and the client-request-id sent are not logged together:\n%s", s.logs.String())
			}
		})
	}
}

func TestStartJob(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	res, err := s.client.StartJob(context.Background(), appObjectID, jobID)
	if err != nil {
		t.Fatal(err)
	}
	if res.RequestID != graphReqID {
		t.Errorf("RequestID = %q, want Graph's request-id %q", res.RequestID, graphReqID)
	}
	r := s.graph.requests()[0]
	if r.ContentLength != "0" {
		t.Errorf("Content-Length = %q, want 0 (Graph wants it on a bodiless POST)", r.ContentLength)
	}
	if r.Auth != "Bearer tok-1" {
		t.Errorf("Authorization = %q, want Bearer tok-1", r.Auth)
	}
}

func TestLogsCallsWithoutTokens(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	if _, err := s.client.StartJob(context.Background(), appObjectID, jobID); err != nil {
		t.Fatal(err)
	}
	logs := s.logs.String()
	for _, want := range []string{`"msg":"graph call"`, `"method":"POST"`, `"status":204`, `"graph_request_id":"` + graphReqID + `"`, `"duration":`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "tok-1") {
		t.Errorf("logs contain the access token:\n%s", logs)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cred := &fakeCred{clock: newClock()}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no credential", Config{}},
		{"base URL without scheme", Config{Credential: cred, BaseURL: "graph.microsoft.com"}},
		{"base URL with query", Config{Credential: cred, BaseURL: "https://graph.microsoft.com?x=1"}},
		{"unknown version", Config{Credential: cred, APIVersion: "v2.0"}},
		{"unknown job path", Config{Credential: cred, JobPath: "apps"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, nil); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
}

func TestDefaultScopeFromBaseURL(t *testing.T) {
	s := newSetup(t, happy(t), func(c *Config) { c.Scope = "" })
	if _, err := s.client.Job(context.Background(), appObjectID, jobID); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{s.graph.srv.URL + "/.default"}}
	if diff := cmp.Diff(want, s.cred.scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
}
