package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/graph"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/upstream"
	"github.com/syncgate/syncgate/internal/veeam"
)

// idRecorder is a backend that records the ids it is asked about and knows
// none of them.
type idRecorder struct {
	mu  sync.Mutex
	ids []string
}

func (r *idRecorder) seen(ids ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, ids...)
	return &upstream.Error{Service: "fuzz", Op: "fuzz", Kind: upstream.KindNotFound, Status: 404}
}

func (r *idRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := r.ids
	r.ids = nil
	return ids
}

func (r *idRecorder) Organizations(context.Context, int, int) (veeam.OrganizationPage, error) {
	return veeam.OrganizationPage{}, nil
}
func (r *idRecorder) Organization(_ context.Context, id string) (veeam.Organization, error) {
	return veeam.Organization{}, r.seen(id)
}
func (r *idRecorder) StartSync(_ context.Context, id string, _ veeam.SyncRequest) error {
	return r.seen(id)
}
func (r *idRecorder) SyncState(_ context.Context, id string) (veeam.SyncState, error) {
	return veeam.SyncState{}, r.seen(id)
}
func (r *idRecorder) Jobs(_ context.Context, app string) ([]graph.Job, error) {
	return nil, r.seen(app)
}
func (r *idRecorder) Job(_ context.Context, app, job string) (graph.Job, error) {
	return graph.Job{}, r.seen(app, job)
}
func (r *idRecorder) JobStatus(_ context.Context, app, job string) (string, error) {
	return "", r.seen(app, job)
}
func (r *idRecorder) StartJob(_ context.Context, app, job string) (graph.StartResult, error) {
	return graph.StartResult{}, r.seen(app, job)
}
func (r *idRecorder) PauseJob(_ context.Context, app, job string) (graph.StartResult, error) {
	return graph.StartResult{}, r.seen(app, job)
}
func (r *idRecorder) RestartJob(_ context.Context, app, job string, _ []string) (graph.StartResult, error) {
	return graph.StartResult{}, r.seen(app, job)
}
func (r *idRecorder) SyncStates(context.Context) ([]veeam.SyncState, error) { return nil, nil }

var (
	lowerGUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	jobID     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$`)
)

// FuzzPathIDs sends made-up path segments to every route with ids: the
// gateway answers a 4xx problem (never a 5xx), and an id that reaches a
// backend is a lower-case GUID (organization, application) or a job id of
// the documented pattern.
func FuzzPathIDs(f *testing.F) {
	for _, s := range []string{"62c4ab35-68fb-4a48-ae4d-8103635b9526", "62C4AB35-68FB-4A48-AE4D-8103635B9526",
		"..%2F..%2Ftoken", "%2e%2e", "{62c4ab35-68fb-4a48-ae4d-8103635b9526}", "aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.x",
		"%00", "%E2%80%AE", "a%3Fb", "-x", ".hidden"} {
		f.Add(s, s)
	}
	rec := &idRecorder{}
	h := api.NewServer(api.Config{
		Auth:          fakeAuth{},
		Scopes:        api.Scopes{OrganizationsRead: "Organizations.Read", OrganizationsSync: "Organizations.Sync", SyncJobsRead: "SyncJobs.Read", SyncJobsStart: "SyncJobs.Start", SyncJobsManage: "SyncJobs.Manage"},
		Guard:         guard.New(store.NewMemory(time.Now), time.Minute),
		Organizations: rec,
		Jobs:          rec,
	})
	f.Fuzz(func(t *testing.T, a, b string) {
		paths := []struct{ method, path string }{
			{"GET", "/organizations/" + a},
			{"POST", "/organizations/" + a + "/sync?force=true"},
			{"GET", "/applications/" + a + "/jobs"},
			{"GET", "/applications/" + a + "/jobs/" + b},
			{"POST", "/applications/" + a + "/jobs/" + b + "/start?force=true"},
			{"POST", "/applications/" + a + "/jobs/" + b + "/pause"},
			{"POST", "/applications/" + a + "/jobs/" + b + "/restart?force=true"},
			{"GET", "/organizations/" + a + "/sync"},
		}
		for _, p := range paths {
			r, err := http.NewRequest(p.method, "http://gw"+p.path, http.NoBody)
			if err != nil {
				continue // not a request line a client could send
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Fatalf("%s %s: %d %s", p.method, p.path, w.Code, w.Body)
			}
			if w.Code >= 400 && w.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s %s: %d without a problem", p.method, p.path, w.Code)
			}
			ids := rec.take()
			for i, id := range ids {
				isJob := len(ids) == 2 && i == 1 || len(ids) == 4 && i%2 == 1
				if isJob && !jobID.MatchString(id) || !isJob && !lowerGUID.MatchString(id) {
					t.Fatalf("%s %s: backend asked about %q", p.method, p.path, id)
				}
			}
		}
	})
}
