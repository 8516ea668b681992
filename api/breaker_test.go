package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// TestCircuitOpenAnswer: with SYNCGATE_BREAKER_FAILURES=2, two reads that
// Veeam fails with 500 open its breaker: the third read, and a start, are
// answered 503 circuit-open with a Retry-After within SYNCGATE_BREAKER_OPEN,
// and the start reaches no backend and keeps no cooldown claim. Graph,
// another backend with its own breaker, is still called.
func TestCircuitOpenAnswer(t *testing.T) {
	e := newEnv(t, func(o *envOptions) {
		o.vars = map[string]string{"SYNCGATE_BREAKER_FAILURES": "2", "SYNCGATE_BREAKER_OPEN": "1m"}
	})
	e.veeam.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Status: http.StatusInternalServerError})
	for range 2 {
		wantProblem(t, e.get("/organizations"), http.StatusBadGateway, api.TypeUpstreamError)
	}
	r := e.get("/organizations")
	wantProblem(t, r, http.StatusServiceUnavailable, api.TypeCircuitOpen)
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 60 || r.problem.RetryAfter != secs {
		t.Errorf("Retry-After %q, retryAfter %d; want the same 1..60 s", r.header.Get("Retry-After"), r.problem.RetryAfter)
	}
	if r.problem.Upstream == nil || r.problem.Upstream.Service != "veeam" || r.problem.Upstream.Status != 0 {
		t.Errorf("upstream %+v; want service veeam and no backend status (nothing was sent)", r.problem.Upstream)
	}

	e.veeam.Faults.Reset()
	start := "/organizations/" + veeamsim.ContosoID + "/sync"
	wantProblem(t, e.post(start, ""), http.StatusServiceUnavailable, api.TypeCircuitOpen)
	if n := e.veeam.SyncCalls(veeamsim.ContosoID); n != 0 {
		t.Errorf("%d starts reached Veeam through an open breaker", n)
	}
	if recs := e.auditFileRecords(); len(recs) != 1 || recs[0]["decision"] != "circuit-open" || recs[0]["started"] != false {
		t.Errorf("audit records %v; want one, decision circuit-open, nothing started", recs)
	}
	wantMetric(t, e.metrics(), "syncgate_start_decisions_total", map[string]string{"kind": "organization", "decision": "circuit_open"}, 1)
	wantStatus(t, e.get("/applications/"+graphsim.AWSObjectID+"/jobs"), http.StatusOK)
}
