package api_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// auditRecords returns the audit lines logged so far.
func (e *env) auditRecords() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(e.logs.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "audit" {
			out = append(out, rec)
		}
	}
	return out
}

// TestAuditOfAStartedJob: the audit record of a Graph start that succeeded
// carries Graph's request id, the one the 202 answer gives, so an operator
// can find the call in Microsoft's logs.
func TestAuditOfAStartedJob(t *testing.T) {
	e := newEnv(t)
	r := e.post(jobURL(graphsim.AWSObjectID, graphsim.AWSJobID)+"/start", "")
	wantStatus(t, r, http.StatusAccepted)
	started := decodeJSON[api.JobStarted](t, r)
	if started.UpstreamRequestID == "" {
		t.Fatal("the 202 answer has no upstreamRequestId")
	}
	recs := e.auditRecords()
	if len(recs) != 1 {
		t.Fatalf("%d audit records; want 1", len(recs))
	}
	rec := recs[0]
	if rec["decision"] != "started" || rec["upstreamRequestId"] != started.UpstreamRequestID || rec["requestId"] != started.RequestID {
		t.Errorf("audit record %v; want decision started with upstreamRequestId %s and requestId %s", rec, started.UpstreamRequestID, started.RequestID)
	}
}

// TestBulkSyncDryRun: a bulk dry run starts nothing and claims no cooldown;
// each result says whether that organization would start, with the problem
// a real start would meet, and one audit record per organization says so.
func TestBulkSyncDryRun(t *testing.T) {
	e := newEnv(t)
	r := e.post("/organizations/sync?dryRun=true", `{"full":true}`)
	wantStatus(t, r, http.StatusOK)
	want := map[string]struct {
		would bool
		typ   string
	}{
		veeamsim.ContosoID:   {true, ""},
		veeamsim.FabrikamID:  {true, ""},
		veeamsim.TailspinID:  {true, ""},
		veeamsim.WoodgroveID: {false, api.TypeAlreadyRunning},
		veeamsim.NorthwindID: {false, api.TypeNotEligible},
		veeamsim.LitwareID:   {false, api.TypeNotEligible},
	}
	results := decodeJSON[api.BulkSyncResult](t, r).Results
	if len(results) != len(want) {
		t.Fatalf("%d results; want %d: %s", len(results), len(want), r.body)
	}
	for _, res := range results {
		w, ok := want[res.OrganizationID]
		if !ok {
			t.Errorf("unexpected result %+v", res)
			continue
		}
		typ := ""
		if res.Problem != nil {
			typ = res.Problem.Type
		}
		if res.Status != http.StatusOK || res.Started || res.WouldStart == nil || *res.WouldStart != w.would || typ != w.typ {
			t.Errorf("%s: %+v (problem %q); want status 200, not started, wouldStart %v, problem %q", res.OrganizationID, res, typ, w.would, w.typ)
		}
		if n := e.veeam.SyncCalls(res.OrganizationID); n != 0 {
			t.Errorf("%s: the dry run reached Veeam's start %d times", res.OrganizationID, n)
		}
	}
	decisions := map[string]int{}
	for _, rec := range e.auditRecords() {
		if rec["dryRun"] == true {
			decisions[rec["decision"].(string)]++
		}
	}
	if decisions["would-start"] != 3 || decisions["would-refuse:busy"] != 1 || decisions["would-refuse:ineligible"] != 2 {
		t.Errorf("audit decisions %v; want 3 would-start, 1 would-refuse:busy, 2 would-refuse:ineligible", decisions)
	}
	// Nothing was claimed: the real bulk start starts the three at once.
	r = e.post("/organizations/sync", `{"full":true}`)
	wantStatus(t, r, http.StatusOK)
	startedN := 0
	for _, res := range decodeJSON[api.BulkSyncResult](t, r).Results {
		if res.Started {
			startedN++
		}
	}
	if startedN != 3 {
		t.Errorf("after the dry run, a real bulk start started %d organizations; want 3", startedN)
	}
}
