package graph

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/syncgate/syncgate/internal/upstream"
)

// dropConnection closes the connection after the request was read, without
// an answer: the backend may have acted on it.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	t.Helper()
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
}

func TestRetries(t *testing.T) {
	type answer struct {
		status     int
		retryAfter string
		drop       bool
	}
	tests := []struct {
		name       string
		start      bool // StartJob, else Job
		answers    []answer
		wantSent   int
		wantKind   *upstream.Kind // nil: success
		wantSleeps []time.Duration
		wantRA     time.Duration
	}{
		{"start: 502 is not retried", true, []answer{{status: 502}}, 1, kind(upstream.KindInternal), nil, 0},
		{"start: 504 is not retried", true, []answer{{status: 504}}, 1, kind(upstream.KindTimeout), nil, 0},
		{"start: dropped connection is not retried", true, []answer{{drop: true}}, 1, kind(upstream.KindUnavailable), nil, 0},
		{"start: 429 within budget is retried", true, []answer{{status: 429, retryAfter: "1"}, {status: 204}}, 2, nil, []time.Duration{time.Second}, 0},
		{"start: 503 with Retry-After within budget is retried", true, []answer{{status: 503, retryAfter: "2"}, {status: 204}}, 2, nil, []time.Duration{2 * time.Second}, 0},
		{"start: 429 beyond budget is returned", true, []answer{{status: 429, retryAfter: "120"}}, 1, kind(upstream.KindThrottled), nil, 120 * time.Second},
		{"start: Retry-After waits add up to the budget", true, []answer{{status: 429, retryAfter: "1"}, {status: 429, retryAfter: "2"}}, 2, kind(upstream.KindThrottled), []time.Duration{time.Second}, 2 * time.Second},
		{"read: 502 is retried", false, []answer{{status: 502}, {status: 200}}, 2, nil, nil, 0},
		{"read: dropped connection is retried", false, []answer{{drop: true}, {status: 200}}, 2, nil, nil, 0},
		{"read: 504 three times", false, []answer{{status: 504}}, 3, kind(upstream.KindTimeout), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
				a := tt.answers[min(n, len(tt.answers))-1]
				switch {
				case a.drop:
					dropConnection(t, w)
				case a.status == 200 || a.status == 204:
					happy(t)(w, r, n)
				default:
					if a.retryAfter != "" {
						w.Header().Set("Retry-After", a.retryAfter)
					}
					w.WriteHeader(a.status)
				}
			}, nil)
			var err error
			if tt.start {
				_, err = s.client.StartJob(context.Background(), appObjectID, jobID)
			} else {
				_, err = s.client.Job(context.Background(), appObjectID, jobID)
			}
			if got := len(s.graph.requests()); got != tt.wantSent {
				t.Errorf("sent %d requests, want %d", got, tt.wantSent)
			}
			if tt.wantKind == nil {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				ue := wantKind(t, err, *tt.wantKind)
				if ue.RetryAfter != tt.wantRA {
					t.Errorf("RetryAfter = %s, want %s", ue.RetryAfter, tt.wantRA)
				}
			}
			if tt.wantSleeps != nil {
				if diff := cmp.Diff(tt.wantSleeps, s.sleeps.got()); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func kind(k upstream.Kind) *upstream.Kind { return &k }

func TestStartRetriedWhenConnectionRefused(t *testing.T) {
	// A connection refused before anything is written is retried even for a
	// start; the request then reaches the backend.
	s := newSetup(t, happy(t), nil)
	url := s.graph.srv.URL
	s.graph.srv.Close()
	c, err := New(Config{Credential: s.cred, BaseURL: url, Options: upstream.Options{Retry: upstream.RetryPolicy{RetryAfterBudget: upstream.DefaultRetryAfterBudget, Sleep: s.sleeps.sleep}, Now: s.clock.Now}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.StartJob(context.Background(), appObjectID, jobID)
	wantKind(t, err, upstream.KindUnavailable)
	if got := len(s.sleeps.got()); got != upstream.DefaultMaxAttempts-1 {
		t.Errorf("waited %d times, want %d: a refused connection never sent the start, so it is retried", got, upstream.DefaultMaxAttempts-1)
	}
}

func TestJobs(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	jobs, err := s.client.Jobs(context.Background(), appObjectID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, j.ID+" "+j.Status.Code+" "+j.Schedule.State)
	}
	want := []string{
		jobID + " Paused Paused",
		"scim.ff8bf889e03141ac8f7baedb059892ee.0b5e8f43-2a91-4d1e-a5c3-7f2d9e6b1c80 Stopping Hibernating", // unknown values pass through
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	if jobs[1].Status.SteadyStateLastAchievedTime != nil || jobs[1].Schedule.Expiration == nil {
		t.Errorf("second job: steady state %v, expiration %v; want never and 2030", jobs[1].Status.SteadyStateLastAchievedTime, jobs[1].Schedule.Expiration)
	}
}

func TestJobsEmpty(t *testing.T) {
	s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, `{"value":[]}`) }, nil)
	jobs, err := s.client.Jobs(context.Background(), appObjectID)
	if err != nil {
		t.Fatal(err)
	}
	if jobs == nil || len(jobs) != 0 {
		t.Errorf("jobs = %#v, want an empty, non-nil list", jobs)
	}
}

func TestJobsFollowsNextLink(t *testing.T) {
	const root = "/beta/applications/" + appObjectID + "/synchronization/jobs"
	tests := []struct {
		name     string
		baseTail string // appended to the server URL to make BaseURL
		next     string // "" → a link to the same host
		wantErr  bool
		wantURIs []string
	}{
		{"same host", "", "", false, []string{"GET " + root, "GET " + root + "?$skiptoken=X%2BY"}},
		{"link names Graph's own host: sent to the base URL", "", "https://graph.microsoft.com" + root + "?$skiptoken=X%2BY", false,
			[]string{"GET " + root, "GET " + root + "?$skiptoken=X%2BY"}},
		{"behind a proxy with a prefix", "/graph", "https://graph.microsoft.com" + root + "?$skiptoken=X%2BY", false,
			[]string{"GET /graph" + root, "GET /graph" + root + "?$skiptoken=X%2BY"}},
		{"link outside the API version", "", "https://evil.example/other?x=1", true, []string{"GET " + root}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base string
			s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if r.URL.RawQuery == "" {
					next := tt.next
					if next == "" {
						next = base + root + "?$skiptoken=X%2BY"
					}
					body := string(golden(t, "jobs.json"))
					body = strings.Replace(body, `"value"`, `"@odata.nextLink":"`+next+`","value"`, 1)
					writeJSON(w, http.StatusOK, body)
					return
				}
				writeFile(t, w, http.StatusOK, "jobs.json")
			}, nil)
			base = s.graph.srv.URL
			c, err := New(Config{Credential: s.cred, BaseURL: base + tt.baseTail, Options: upstream.Options{HTTPClient: s.graph.srv.Client(), Now: s.clock.Now}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			jobs, err := c.Jobs(context.Background(), appObjectID)
			if tt.wantErr {
				wantKind(t, err, upstream.KindBadResponse)
			} else if err != nil {
				t.Fatal(err)
			} else if len(jobs) != 4 {
				t.Errorf("got %d jobs, want 4 from two pages", len(jobs))
			}
			if diff := cmp.Diff(tt.wantURIs, s.graph.uris()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJobsStopsAfterMaxPages(t *testing.T) {
	var base string
	s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, http.StatusOK, `{"@odata.nextLink":"`+base+r.URL.Path+`?$skiptoken=again","value":[]}`)
	}, nil)
	base = s.graph.srv.URL
	_, err := s.client.Jobs(context.Background(), appObjectID)
	wantKind(t, err, upstream.KindBadResponse)
	if got := len(s.graph.requests()); got != maxPages {
		t.Errorf("sent %d requests, want %d", got, maxPages)
	}
}

func TestJobStatus(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	code, err := s.client.JobStatus(context.Background(), appObjectID, jobID)
	if err != nil || code != StatusQuarantine {
		t.Fatalf("JobStatus = %q, %v; want %q", code, err, StatusQuarantine)
	}
	job, err := s.client.Job(context.Background(), appObjectID, jobID)
	if err != nil || job.Status.Code != code {
		t.Errorf("Job reads status %q (%v); JobStatus read %q", job.Status.Code, err, code)
	}

	s = newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, http.StatusOK, `{"status":{"code":"Paused"}}`)
	}, nil)
	_, err = s.client.JobStatus(context.Background(), appObjectID, jobID)
	if ue, ok := upstream.As(err); !ok || ue.Kind != upstream.KindBadResponse {
		t.Errorf("job without an id: %v, want a bad response", err)
	}
}

// TestRedirectNotFollowed: a 3xx from Graph is an unexpected answer; the
// gateway does not take its token to wherever it points.
func TestRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int64
	s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if strings.HasPrefix(r.URL.Path, "/elsewhere") {
			elsewhere.Add(1)
			writeJSON(w, http.StatusOK, `{"id":"j","status":{"code":"Paused"}}`)
			return
		}
		w.Header().Set("Location", "/elsewhere")
		w.WriteHeader(http.StatusTemporaryRedirect)
	}, nil)
	_, err := s.client.Job(context.Background(), appObjectID, jobID)
	if _, ok := upstream.As(err); !ok {
		t.Errorf("Job after a redirect: %v, want an upstream error", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}
