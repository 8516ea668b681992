package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/graph"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/store"
)

// benchJobJSON is the 620-byte job of `make bench`.
const benchJobJSON = `{"id":"aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f","templateId":"aWSSingleSignon","schedule":{"expiration":null,"interval":"PT40M","state":"Active"},"status":{"code":"Active","countSuccessiveCompleteFailures":0,"escrowsPruned":false,"lastExecution":{"activityIdentifier":"a8f1e2d3c4","state":"Succeeded","timeBegan":"2026-11-30T21:45:53.6330529Z","timeEnded":"2026-11-30T21:46:02.1204117Z","countEntitled":12,"countImported":12,"error":null},"lastSuccessfulExecution":null,"quarantine":null,"steadyStateLastAchievedTime":"2026-11-30T21:46:02.1204117Z","troubleshootingUrl":""}}`

// benchJobs answers every job call from memory.
type benchJobs struct{ job graph.Job }

func (b benchJobs) Jobs(context.Context, string) ([]graph.Job, error) { return []graph.Job{b.job}, nil }
func (b benchJobs) Job(context.Context, string, string) (graph.Job, error) {
	return b.job, nil
}
func (b benchJobs) JobStatus(context.Context, string, string) (string, error) {
	return b.job.Status.Code, nil
}
func (b benchJobs) StartJob(context.Context, string, string) (graph.StartResult, error) {
	return graph.StartResult{RequestID: "7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"}, nil
}
func (b benchJobs) PauseJob(context.Context, string, string) (graph.StartResult, error) {
	return graph.StartResult{RequestID: "7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"}, nil
}
func (b benchJobs) RestartJob(context.Context, string, string, []string) (graph.StartResult, error) {
	return graph.StartResult{RequestID: "7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"}, nil
}

// BenchmarkRouteJobRead is GET /applications/{app}/jobs/{job} through the
// router, middleware (JSON access log included), path validation and the
// answer's encoding, with the adapter answering from memory: the gateway's
// own cost without the network.
func BenchmarkRouteJobRead(b *testing.B) {
	var job graph.Job
	if err := json.Unmarshal([]byte(benchJobJSON), &job); err != nil {
		b.Fatal(err)
	}
	h := api.NewServer(api.Config{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Auth:   fakeAuth{},
		Scopes: api.Scopes{OrganizationsRead: "Organizations.Read", OrganizationsSync: "Organizations.Sync", SyncJobsRead: "SyncJobs.Read", SyncJobsStart: "SyncJobs.Start"},
		Guard:  guard.New(store.NewMemory(time.Now), 0),
		Jobs:   benchJobs{job},
	})
	req := httptest.NewRequest(http.MethodGet, "/applications/fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3/jobs/"+job.ID, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("answered %d: %s", rec.Code, rec.Body)
		}
	}
}
