package api_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/syncgate/syncgate"
	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/contract"
	"github.com/syncgate/syncgate/internal/graph"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/upstream"
	"github.com/syncgate/syncgate/internal/veeam"
)

// stubOrgs is an OrganizationSyncer whose every call fails with err.
type stubOrgs struct{ err error }

func (s stubOrgs) Organizations(context.Context, int, int) (veeam.OrganizationPage, error) {
	return veeam.OrganizationPage{}, s.err
}
func (s stubOrgs) Organization(context.Context, string) (veeam.Organization, error) {
	return veeam.Organization{}, s.err
}
func (s stubOrgs) StartSync(context.Context, string, veeam.SyncRequest) error { return s.err }
func (s stubOrgs) SyncState(context.Context, string) (veeam.SyncState, error) {
	return veeam.SyncState{}, s.err
}
func (s stubOrgs) SyncStates(context.Context) ([]veeam.SyncState, error) { return nil, s.err }

// stubJobs is a JobStarter whose every call fails with err.
type stubJobs struct{ err error }

func (s stubJobs) Jobs(context.Context, string) ([]graph.Job, error) { return nil, s.err }
func (s stubJobs) Job(context.Context, string, string) (graph.Job, error) {
	return graph.Job{}, s.err
}
func (s stubJobs) JobStatus(context.Context, string, string) (string, error) { return "", s.err }
func (s stubJobs) StartJob(context.Context, string, string) (graph.StartResult, error) {
	return graph.StartResult{}, s.err
}
func (s stubJobs) PauseJob(context.Context, string, string) (graph.StartResult, error) {
	return graph.StartResult{}, s.err
}
func (s stubJobs) RestartJob(context.Context, string, string, []string) (graph.StartResult, error) {
	return graph.StartResult{}, s.err
}

// TestEveryDocumentedAnswer produces every answer openapi.yaml documents,
// operation by operation and status by status, from the gateway (in front of
// the simulators, or of adapters failing on purpose), and checks each against
// the contract: the contract promises nothing the gateway does not do.
func TestEveryDocumentedAnswer(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(syncgate.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	checker, err := contract.NewChecker(syncgate.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	client := func(base http.RoundTripper) *http.Client {
		return &http.Client{
			Transport:     checker.Transport(contractChecker.Transport(base)),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	type target struct {
		url    string
		client *http.Client
		token  string
	}
	newReal := func() (target, *env) {
		e := newEnv(t)
		return target{e.gw.URL, client(e.gw.Client().Transport), e.token}, e
	}
	live, liveEnv := newReal()
	stub := func(err error) target {
		srv := httptest.NewServer(api.NewServer(api.Config{
			Auth:          fakeAuth{},
			Scopes:        api.Scopes{OrganizationsRead: "Organizations.Read", OrganizationsSync: "Organizations.Sync", SyncJobsRead: "SyncJobs.Read", SyncJobsStart: "SyncJobs.Start", SyncJobsManage: "SyncJobs.Manage"},
			Guard:         guard.New(store.NewMemory(time.Now), time.Minute),
			Organizations: stubOrgs{err},
			Jobs:          stubJobs{err},
			Ready:         func(context.Context) error { return err },
		}))
		t.Cleanup(srv.Close)
		return target{srv.URL, client(srv.Client().Transport), ""}
	}
	// failing is a gateway whose backend for path fails as that backend
	// does: the status and code each kind comes with (the answers are the
	// examples openapi.yaml shows).
	failing := func(path string, kind upstream.Kind) target {
		e := &upstream.Error{Service: "veeam", Op: "test", Kind: kind}
		graphRoute := strings.HasPrefix(path, "/applications/")
		if graphRoute {
			e.Service, e.RequestID = "graph", "7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"
		}
		switch kind {
		case upstream.KindNotFound:
			e.Status, e.Code = 404, "ResourceNotFound"
			if graphRoute {
				e.Code = "Request_ResourceNotFound"
			}
		case upstream.KindConflict:
			e.Status, e.Code = 409, "OperationConflict"
		case upstream.KindInternal:
			e.Status = 500
		case upstream.KindThrottled:
			e.Status, e.RetryAfter = 429, 30*time.Second
		case upstream.KindTimeout:
			e.RequestID = "" // no answer came back
		}
		return stub(e)
	}
	send := func(to target, method, path, body, contentType string, header ...string) *http.Response {
		t.Helper()
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		hr, err := http.NewRequest(method, to.url+path, r)
		if err != nil {
			t.Fatal(err)
		}
		if to.token != "" {
			hr.Header.Set("Authorization", "Bearer "+to.token)
		}
		hr.Header.Set("X-Request-ID", exampleRequestID) // the examples' request id
		if body != "" {
			hr.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(header); i += 2 {
			hr.Header.Set(header[i], header[i+1])
		}
		resp, err := to.client.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(data))
		return resp
	}

	// sendWith sends a bodiless request with extra headers.
	sendWith := func(to target, method, path string, header map[string]string) *http.Response {
		t.Helper()
		hr, err := http.NewRequest(method, to.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set("Authorization", "Bearer "+to.token)
		hr.Header.Set("X-Request-ID", exampleRequestID)
		for k, v := range header {
			hr.Header.Set(k, v)
		}
		resp, err := to.client.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(data))
		return resp
	}

	// fill puts seeded ids into a path template; refused picks targets a
	// start refuses as not eligible.
	fill := func(path string, refused bool) string {
		org, app, job := veeamsim.ContosoID, graphsim.AWSObjectID, graphsim.AWSJobID
		if refused {
			org, app, job = veeamsim.NorthwindID, graphsim.DropboxObjectID, graphsim.DropboxJobID
		}
		return strings.NewReplacer("{organizationId}", org, "{applicationId}", app, "{jobId}", job, "{file}", "swagger-ui.css").Replace(path)
	}
	// busy picks targets a start refuses as already running.
	busy := func(path string) string {
		org, app, job := veeamsim.WoodgroveID, graphsim.SlackObjectID, graphsim.SlackJobID
		return strings.NewReplacer("{organizationId}", org, "{applicationId}", app, "{jobId}", job, "{file}", "swagger-ui.css").Replace(path)
	}
	big := `{"parts":["` + strings.Repeat("a", 70<<10) + `"]}`

	// answer makes the gateway give status for the operation.
	answer := func(method, path string, status int) (*http.Response, bool) {
		p := fill(path, false)
		isStart := method == "POST" && path != "/organizations/sync"
		isPause := strings.HasSuffix(path, "/pause")
		switch status {
		case 200:
			switch {
			case isPause:
				// The real answer (the seeded job is Paused already); a dry
				// run's DryRun is the other answer the contract allows.
				if r := send(live, method, busy(path)+"?dryRun=true", "", ""); r.StatusCode != http.StatusOK {
					t.Fatalf("%s %s dry run: %d", method, path, r.StatusCode)
				}
				return send(live, method, p, "", ""), true
			case isStart:
				return send(live, method, p+"?dryRun=true", "", ""), true
			case method == "GET" && path == "/organizations/sync":
				// Every organization's state, before the bulk start's 200
				// (on live) changes one.
				fresh, _ := newReal()
				return send(fresh, method, p, "", ""), true
			case method == "POST":
				return send(live, method, p, `{"organizationIds":["`+veeamsim.FabrikamID+`"]}`, "application/json"), true
			}
			return send(live, method, p, "", ""), true
		case 202:
			fresh, _ := newReal()
			return send(fresh, method, p, "", ""), true
		case 301:
			return send(live, method, p, "", ""), true
		case 304:
			etag := send(live, method, p, "", "").Header.Get("ETag")
			r := sendWith(live, method, p, map[string]string{"If-None-Match": etag})
			return r, true
		case 400:
			return send(live, method, p+"?bogus=1", "", ""), true
		case 401:
			return send(target{live.url, live.client, ""}, method, p, "", ""), true
		case 403:
			return send(target{live.url, live.client, liveEnv.mint("Nothing.Else")}, method, p, "", ""), true
		case 404:
			if path == "/swagger/{file}" {
				return send(live, method, "/swagger/nothing.js", "", ""), true
			}
			return send(failing(path, upstream.KindNotFound), method, p, "", ""), true
		case 408:
			return slowSend(t, liveEnv, client, method, p, live.token), true
		case 409:
			if isStart && !isPause {
				return send(live, method, busy(path), "", ""), true
			}
			if method == "POST" {
				return idempotencyInFlight(t, client, method, p), true
			}
			return send(failing(path, upstream.KindConflict), method, p, "", ""), true
		case 413:
			return send(live, method, p, big, "application/json"), true
		case 415:
			return send(live, method, p, `{"full":true}`, "text/plain"), true
		case 422:
			if !isStart {
				// The same Idempotency-Key with another request (on a
				// gateway of its own: the first request starts a sync).
				fresh, _ := newReal()
				key := "example-" + strconv.Itoa(status)
				send(fresh, method, p, `{"organizationIds":["`+veeamsim.FabrikamID+`"],"full":true}`, "application/json", "Idempotency-Key", key)
				return send(fresh, method, p, `{"organizationIds":["`+veeamsim.FabrikamID+`"]}`, "application/json", "Idempotency-Key", key), true
			}
			return send(live, method, fill(path, true), "", ""), true
		case 429:
			if !isStart || isPause {
				// The caller's rate limit: one request an hour (a pause has
				// no cooldown).
				e := newEnv(t, func(o *envOptions) { o.vars = map[string]string{"SYNCGATE_RATE_LIMIT": "1/h"} })
				limited := target{e.gw.URL, client(e.gw.Client().Transport), e.token}
				send(limited, method, p, "", "")
				return send(limited, method, p, "", ""), true
			}
			fresh, _ := newReal()
			if r := send(fresh, method, p, "", ""); r.StatusCode != http.StatusAccepted {
				t.Fatalf("%s %s: first start %d", method, p, r.StatusCode)
			}
			return send(fresh, method, p+"?force=true", "", ""), true
		case 500:
			return send(stub(errors.New("a bug")), method, p, "", ""), true
		case 502:
			return send(failing(path, upstream.KindInternal), method, p, "", ""), true
		case 503:
			return send(failing(path, upstream.KindThrottled), method, p, "", ""), true
		case 504:
			return send(failing(path, upstream.KindTimeout), method, p, "", ""), true
		}
		return nil, false
	}

	examples := examplesFile{}
	paths := doc.Paths.InMatchingOrder()
	slices.Sort(paths)
	for _, path := range paths {
		for method, op := range doc.Paths.Value(path).Operations() {
			for code := range op.Responses.Map() {
				status, _ := strconv.Atoi(code)
				name := method + " " + path + " " + code
				t.Run(name, func(t *testing.T) {
					resp, ok := answer(method, path, status)
					if !ok {
						t.Fatalf("no way to produce %s: teach this test, or stop documenting it", name)
					}
					if resp.StatusCode != status {
						t.Fatalf("answered %d; want %d", resp.StatusCode, status)
					}
					examples.add(t, method+" "+path, code, resp)
				})
			}
		}
	}
	checked, violations := checker.Report()
	for _, v := range violations {
		t.Errorf("contract violation: %s", v)
	}
	if missing := checker.Unexercised(); len(missing) > 0 {
		t.Errorf("documented answers not produced:\n  %s", strings.Join(missing, "\n  "))
	}
	t.Logf("%d answers checked against openapi.yaml", checked)
	examples.compare(t)
}

// idempotencyInFlight answers a POST whose Idempotency-Key is still in
// flight: the first request with it waits in its backend call while the
// same request is sent again.
func idempotencyInFlight(t *testing.T, client func(http.RoundTripper) *http.Client, method, path string) *http.Response {
	t.Helper()
	b := &blocking{entered: make(chan struct{}), release: make(chan struct{})}
	srv := httptest.NewServer(api.NewServer(api.Config{
		Auth:          fakeAuth{},
		Scopes:        api.Scopes{OrganizationsRead: "Organizations.Read", OrganizationsSync: "Organizations.Sync", SyncJobsRead: "SyncJobs.Read", SyncJobsStart: "SyncJobs.Start", SyncJobsManage: "SyncJobs.Manage"},
		Guard:         guard.New(store.NewMemory(time.Now), time.Minute),
		Organizations: blockingOrgs{blocking: b},
		Jobs:          blockingJobs{blocking: b, stubJobs: stubJobs{errors.New("unused")}},
	}))
	defer srv.Close()
	c := client(srv.Client().Transport)
	do := func() *http.Response {
		hr, _ := http.NewRequest(method, srv.URL+path, nil)
		hr.Header.Set("Idempotency-Key", "in-flight")
		hr.Header.Set("X-Request-ID", exampleRequestID)
		resp, err := c.Do(hr)
		if err != nil {
			t.Error(err)
			return nil
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(data))
		return resp
	}
	first := make(chan *http.Response, 1)
	go func() { first <- do() }()
	select {
	case <-b.entered:
	case <-time.After(time.Minute):
		t.Errorf("%s %s: the first request never reached its backend", method, path)
		close(b.release)
		return <-first
	}
	second := do()
	close(b.release)
	<-first
	return second
}

// blocking holds the first backend call a request makes until release is
// closed, after saying so on entered.
type blocking struct {
	once             sync.Once
	entered, release chan struct{}
}

func (b *blocking) hold() {
	b.once.Do(func() { close(b.entered) })
	<-b.release
}

// blockingOrgs is an OrganizationSyncer whose listing waits for release.
type blockingOrgs struct {
	*blocking
	stubOrgs
}

func (b blockingOrgs) Organizations(context.Context, int, int) (veeam.OrganizationPage, error) {
	b.hold()
	return veeam.OrganizationPage{}, nil
}

// blockingJobs is a JobSyncer whose status read (every job action's
// precheck) waits for release.
type blockingJobs struct {
	*blocking
	stubJobs
}

func (b blockingJobs) JobStatus(context.Context, string, string) (string, error) {
	b.hold()
	return "Active", nil
}
