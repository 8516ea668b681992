package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
)

func jobURL(app, job string) string { return "/applications/" + app + "/jobs/" + job }

// TestJobStartByStatus covers each job status' outcome, in both path modes,
// both API versions and both credential kinds.
func TestJobStartByStatus(t *testing.T) {
	tests := []struct {
		app, job   string
		wantStatus int
		wantType   string
		wantPrev   string
	}{
		{graphsim.AWSObjectID, graphsim.AWSJobID, http.StatusAccepted, "", "Paused"},
		{graphsim.ServiceNowObjectID, graphsim.ServiceNowJobID, http.StatusAccepted, "", "Quarantine"},
		{graphsim.SalesforceObjectID, graphsim.SalesforceJobID, http.StatusAccepted, "", "NotRun"},
		{graphsim.SlackObjectID, graphsim.SlackJobID, http.StatusConflict, api.TypeAlreadyRunning, "Active"},
		{graphsim.DropboxObjectID, graphsim.DropboxJobID, http.StatusUnprocessableEntity, api.TypeNotEligible, "NotConfigured"},
	}
	modes := []struct{ name, version, path, credential string }{
		{"beta applications secret", "beta", "applications", "secret"},
		{"v1.0 servicePrincipals certificate", "v1.0", "servicePrincipals", "certificate"},
		{"v1.0 applications secret", "v1.0", "applications", "secret"},
		{"beta servicePrincipals secret", "beta", "servicePrincipals", "secret"},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			e := newEnv(t, func(o *envOptions) {
				o.graphVersion, o.graphJobPath, o.graphCredential = m.version, m.path, m.credential
			})
			for _, tt := range tests {
				r := e.post(jobURL(tt.app, tt.job)+"/start", "")
				if tt.wantType == "" {
					wantStatus(t, r, tt.wantStatus)
					got := decodeJSON[api.JobStarted](t, r)
					if got.PreviousStatus != tt.wantPrev || got.JobID != tt.job || got.ApplicationID != tt.app ||
						got.UpstreamRequestID == "" || got.RequestID != r.header.Get("X-Request-ID") {
						t.Errorf("%s: 202 body %+v", tt.job, got)
					}
					if loc := r.header.Get("Location"); loc != jobURL(tt.app, tt.job) {
						t.Errorf("Location = %q", loc)
					}
					job := decodeJSON[api.Job](t, e.get(jobURL(tt.app, tt.job)))
					if job.Status != "Active" || job.Quarantine != nil {
						t.Errorf("%s after start: %+v; want Active without quarantine", tt.job, job)
					}
				} else {
					wantProblem(t, r, tt.wantStatus, tt.wantType)
					if r.problem.CurrentStatus != tt.wantPrev {
						t.Errorf("%s: currentStatus %q; want %q", tt.job, r.problem.CurrentStatus, tt.wantPrev)
					}
				}
				wantStarts := 0
				if tt.wantType == "" {
					wantStarts = 1
				}
				if n := e.graph.StartCalls(tt.job); n != wantStarts {
					t.Errorf("%s: %d start calls reached Graph; want %d", tt.job, n, wantStarts)
				}
			}
			if e.login.TokenGrants() != 1 {
				t.Errorf("%d token grants; want 1 shared by every call", e.login.TokenGrants())
			}
		})
	}
}

func TestJobReads(t *testing.T) {
	e := newEnv(t)
	list := decodeJSON[api.JobList](t, e.get("/applications/"+graphsim.ServiceNowObjectID+"/jobs"))
	if len(list.Items) != 1 || list.Total == nil || *list.Total != 1 || list.Items[0].ID != graphsim.ServiceNowJobID {
		t.Fatalf("jobs = %+v", list)
	}
	q := list.Items[0]
	if q.Status != "Quarantine" || q.Quarantine == nil || q.Quarantine.Reason == "" || q.Quarantine.Error == nil || q.TemplateID == "" {
		t.Fatalf("quarantined job = %+v; want its quarantine details", q)
	}
	empty := decodeJSON[api.JobList](t, e.get("/applications/"+graphsim.HRPortalObjectID+"/jobs"))
	if len(empty.Items) != 0 || *empty.Total != 0 {
		t.Fatalf("application without jobs: %+v", empty)
	}
	r := e.get(jobURL(graphsim.AWSObjectID, "aWSSingleSignon.00000000000000000000000000000000."+graphsim.SeedTenantID))
	wantProblem(t, r, http.StatusNotFound, api.TypeNotFound)
	if r.problem.Upstream == nil || r.problem.Upstream.Service != "graph" || r.problem.Upstream.RequestID == "" {
		t.Errorf("404 upstream = %+v; want Graph's request id", r.problem.Upstream)
	}
	wantProblem(t, e.get("/applications/00000000-0000-4000-8000-000000000009/jobs"), http.StatusNotFound, api.TypeNotFound)
}

func TestJobStartForceAndDryRun(t *testing.T) {
	e := newEnv(t)
	slack := jobURL(graphsim.SlackObjectID, graphsim.SlackJobID) + "/start"

	d := decodeJSON[api.DryRun](t, e.post(slack+"?dryRun=true", ""))
	if d.WouldStart || d.Reason == nil || *d.Reason != api.TypeAlreadyRunning || d.PreviousStatus != "Active" {
		t.Fatalf("dry run on Active: %+v", d)
	}
	aws := jobURL(graphsim.AWSObjectID, graphsim.AWSJobID) + "/start"
	d = decodeJSON[api.DryRun](t, e.post(aws+"?dryRun=true", ""))
	if !d.WouldStart || d.Reason != nil || d.PreviousStatus != "Paused" {
		t.Fatalf("dry run on Paused: %+v", d)
	}
	dropbox := jobURL(graphsim.DropboxObjectID, graphsim.DropboxJobID) + "/start"
	d = decodeJSON[api.DryRun](t, e.post(dropbox+"?dryRun=true&force=true", ""))
	if d.WouldStart || *d.Reason != api.TypeNotEligible {
		t.Fatalf("dry run on NotConfigured: %+v", d)
	}
	if e.graph.StartCalls(graphsim.SlackJobID)+e.graph.StartCalls(graphsim.AWSJobID) != 0 {
		t.Fatal("a dry run reached Graph's start")
	}
	wantStatus(t, e.post(slack+"?force=true", ""), http.StatusAccepted)
	if n := e.graph.StartCalls(graphsim.SlackJobID); n != 1 {
		t.Fatalf("forced start: %d calls; want 1", n)
	}
}

// TestJobStartConcurrent: 200 identical starts of one Paused job make exactly
// one start call reach Graph; every other caller gets 409 or 429.
func TestJobStartConcurrent(t *testing.T) {
	e := newEnv(t)
	path := jobURL(graphsim.AWSObjectID, graphsim.AWSJobID) + "/start"
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.post(path, "")
			mu.Lock()
			counts[r.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if n := e.graph.StartCalls(graphsim.AWSJobID); n != 1 {
		t.Fatalf("%d start calls reached Graph; want exactly 1 (answers: %v)", n, counts)
	}
	if counts[http.StatusAccepted] != 1 || counts[http.StatusConflict]+counts[http.StatusTooManyRequests] != 199 {
		t.Fatalf("answers %v; want one 202 and 199 of 409 or 429", counts)
	}
}

func TestJobStartSecondCallRefused(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.cooldown = 0 })
	path := jobURL(graphsim.ServiceNowObjectID, graphsim.ServiceNowJobID) + "/start"
	wantStatus(t, e.post(path, ""), http.StatusAccepted)
	r := e.post(path, "")
	wantProblem(t, r, http.StatusConflict, api.TypeAlreadyRunning)
	if r.problem.CurrentStatus != "Active" {
		t.Fatalf("currentStatus %q; want Active", r.problem.CurrentStatus)
	}
	if n := e.graph.StartsWhileActive(graphsim.ServiceNowJobID); n != 0 {
		t.Fatalf("Graph saw %d starts of an Active job", n)
	}
}

func TestJobGraphFailures(t *testing.T) {
	start := jobURL(graphsim.AWSObjectID, graphsim.AWSJobID) + "/start"
	t.Run("429 with Retry-After becomes 503 with Retry-After, start not sent", func(t *testing.T) {
		e := newEnv(t)
		e.graph.Faults.Set(graphsim.RouteGetJob, sim.Fault{Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second})
		r := e.post(start, "")
		wantProblem(t, r, http.StatusServiceUnavailable, api.TypeUpstreamThrottled)
		if r.header.Get("Retry-After") != "30" || r.problem.Upstream.Code != "TooManyRequests" {
			t.Fatalf("Retry-After %q, upstream %+v", r.header.Get("Retry-After"), r.problem.Upstream)
		}
		if e.graph.StartCalls(graphsim.AWSJobID) != 0 {
			t.Fatal("start sent while throttled")
		}
	})
	t.Run("429 on the start itself releases the cooldown", func(t *testing.T) {
		e := newEnv(t)
		e.graph.Faults.Set(graphsim.RouteStartJob, sim.Fault{Status: http.StatusTooManyRequests, RetryAfter: 10 * time.Second, Times: 1})
		wantProblem(t, e.post(start, ""), http.StatusServiceUnavailable, api.TypeUpstreamThrottled)
		wantStatus(t, e.post(start, ""), http.StatusAccepted)
	})
	t.Run("a start whose answer is lost is not retried blindly", func(t *testing.T) {
		e := newEnv(t)
		e.graph.Faults.Set(graphsim.RouteStartJob, sim.Fault{Status: http.StatusBadGateway, Times: 1})
		wantProblem(t, e.post(start, ""), http.StatusBadGateway, api.TypeUpstreamError)
		if n := e.graph.StartCalls(graphsim.AWSJobID); n > 0 {
			t.Fatalf("%d start calls counted after a faulted start", n)
		}
		// The outcome is unknown, so the cooldown stays: no second start now.
		wantProblem(t, e.post(start, ""), http.StatusTooManyRequests, api.TypeCooldown)
	})
	t.Run("an expired Graph token is renewed", func(t *testing.T) {
		e := newEnv(t)
		wantStatus(t, e.get(jobURL(graphsim.AWSObjectID, graphsim.AWSJobID)), http.StatusOK)
		e.login.ExpireTokens()
		wantStatus(t, e.post(start, ""), http.StatusAccepted)
		if n := e.login.TokenGrants(); n != 2 {
			t.Fatalf("%d token grants; want 2 (the first, then one renewal)", n)
		}
	})
	t.Run("Graph not configured is 503 naming the settings", func(t *testing.T) {
		e := newEnv(t, func(o *envOptions) { o.noGraph = true })
		r := e.post(start, "")
		wantProblem(t, r, http.StatusServiceUnavailable, api.TypeNotConfigured)
		if !strings.Contains(r.problem.Detail, "SYNCGATE_GRAPH_TENANT_ID") {
			t.Fatalf("detail %q", r.problem.Detail)
		}
	})
}

// TestJobIDs: a job id with dots works; ids carrying ../ or %2F are refused
// before any upstream call.
func TestJobIDs(t *testing.T) {
	e := newEnv(t)
	if !strings.Contains(graphsim.AWSJobID, ".") {
		t.Fatal("seed job id has no dots")
	}
	wantStatus(t, e.get(jobURL(graphsim.AWSObjectID, graphsim.AWSJobID)), http.StatusOK)
	grants := e.login.TokenGrants()
	for _, id := range []string{
		"..%2F..%2Fapplications",
		"aWS%2Fstart",
		"%2e%2e",
		url.PathEscape("../" + graphsim.AWSJobID),
		"a%252Fb",
		".hidden",
		strings.Repeat("a", 201),
	} {
		r := e.post("/applications/"+graphsim.AWSObjectID+"/jobs/"+id+"/start", "")
		if r.status != http.StatusBadRequest && r.status != http.StatusNotFound {
			t.Errorf("job id %q: %d; want 400 (or 404 for no route)", id, r.status)
		}
	}
	if e.login.TokenGrants() != grants || e.graph.StartCalls(graphsim.AWSJobID) != 0 {
		t.Fatal("a refused job id reached Graph")
	}
}
