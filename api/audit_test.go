package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/sim"
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

// TestEarlyAnswersAudited: a start answered before it reached the guard —
// replayed for its Idempotency-Key, refused for the key (another request
// with it, or the first still in flight) or by the caller's rate limit —
// leaves its audit record like any start attempt (nothing started; the
// problem's slug, or "replayed", as its decision), in the file and the log,
// and is counted in syncgate_start_decisions_total by kind and decision.
func TestEarlyAnswersAudited(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.vars = map[string]string{"SYNCGATE_RATE_LIMIT": "6/m"} })
	contoso := "/organizations/" + veeamsim.ContosoID + "/sync"
	type want struct{ requestID, action, target, decision, clientID string }
	var wants []want
	expect := func(r response, status int, action, target, decision, clientID string) {
		t.Helper()
		wantStatus(t, r, status)
		wants = append(wants, want{r.header.Get("X-Request-ID"), action, target, decision, clientID})
	}

	first := e.do(req{method: "POST", path: contoso, token: e.token, body: `{"full":true}`, header: withKey("k-1")})
	expect(first, http.StatusAccepted, "veeam.organization.sync", veeamsim.ContosoID, "started", testClientID)
	again := e.do(req{method: "POST", path: contoso, token: e.token, body: `{"full":true}`, header: withKey("k-1")})
	expect(again, http.StatusAccepted, "veeam.organization.sync", veeamsim.ContosoID, "replayed", testClientID)
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the second answer is not a replay: %v", again.header)
	}
	reused := e.do(req{method: "POST", path: contoso, token: e.token, body: `{"full":false}`, header: withKey("k-1")})
	expect(reused, http.StatusUnprocessableEntity, "veeam.organization.sync", veeamsim.ContosoID, "idempotency-key-reused", testClientID)

	// Two at once with one key, Veeam slow to answer the start: one runs,
	// the other is told the first is in flight.
	e.veeam.Faults.Set(veeamsim.RouteSync, sim.Fault{Latency: 3 * time.Second, Times: 1})
	fabrikam := "/organizations/" + veeamsim.FabrikamID + "/sync"
	answers := make(chan response, 2)
	for range 2 {
		go func() {
			answers <- e.do(req{method: "POST", path: fabrikam, token: e.token, header: withKey("k-2")})
		}()
	}
	a, b := <-answers, <-answers
	if a.status == http.StatusConflict {
		a, b = b, a
	}
	expect(a, http.StatusAccepted, "veeam.organization.sync", veeamsim.FabrikamID, "started", testClientID)
	expect(b, http.StatusConflict, "veeam.organization.sync", veeamsim.FabrikamID, "idempotency-key-in-flight", testClientID)

	// Another caller over its rate limit: a bulk sync and a restart.
	portal, err := e.minter.Mint(auth.MintClaims{Subject: "portal-user", ClientID: "portal", Scopes: allScopes, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	suiteSecrets.add(portal)
	for range 6 {
		wantStatus(t, e.do(req{method: "GET", path: "/organizations/" + veeamsim.ContosoID, token: portal}), http.StatusOK)
	}
	bulk := e.do(req{method: "POST", path: "/organizations/sync", token: portal})
	expect(bulk, http.StatusTooManyRequests, "veeam.organizations.sync", "", "rate-limited", "portal")
	restart := e.do(req{method: "POST", path: jobURL(strings.ToUpper(graphsim.AWSObjectID), graphsim.AWSJobID) + "/restart?dryRun=true", token: portal})
	expect(restart, http.StatusTooManyRequests, "graph.job.restart", graphsim.AWSObjectID+"/"+graphsim.AWSJobID, "rate-limited", "portal")
	if n := e.veeam.SyncCalls(veeamsim.ContosoID) + e.veeam.SyncCalls(veeamsim.FabrikamID); n != 2 {
		t.Errorf("%d syncs reached Veeam; want 2 (the replay, the refusals sent none)", n)
	}

	// A reader trying a job start: refused for want of the scope, before
	// anything else, and recorded with who it was and what it held. A
	// reader's refused read is no start attempt.
	reader, err := e.minter.Mint(auth.MintClaims{Subject: "reader", ClientID: "dashboard", Scopes: []string{"SyncJobs.Read"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	suiteSecrets.add(reader)
	job := jobURL(graphsim.AWSObjectID, graphsim.AWSJobID)
	forbidden := e.do(req{method: "POST", path: job + "/start", token: reader, header: withKey("k-3")})
	expect(forbidden, http.StatusForbidden, "graph.job.start", graphsim.AWSObjectID+"/"+graphsim.AWSJobID, "insufficient-scope", "dashboard")
	wantStatus(t, e.do(req{method: "GET", path: "/organizations", token: reader}), http.StatusForbidden)
	if n := e.graph.StartCalls(graphsim.AWSJobID); n != 0 {
		t.Errorf("%d starts reached Graph; want none", n)
	}

	recs := e.auditFileRecords()
	logged := e.auditRecords()
	if len(recs) != len(wants) || len(logged) != len(wants) {
		t.Fatalf("%d audit records in the file, %d logged; want %d", len(recs), len(logged), len(wants))
	}
	byRequest := map[string]map[string]any{}
	for _, rec := range recs {
		byRequest[fmt.Sprint(rec["requestId"])] = rec
	}
	for _, w := range wants {
		rec, ok := byRequest[w.requestID]
		if !ok {
			t.Errorf("no audit record of request %s (%s)", w.requestID, w.decision)
			continue
		}
		got := want{fmt.Sprint(rec["requestId"]), fmt.Sprint(rec["action"]), fmt.Sprint(rec["target"]), fmt.Sprint(rec["decision"]), fmt.Sprint(rec["clientId"])}
		if got != w {
			t.Errorf("audit record %+v; want %+v", got, w)
		}
		if started := w.decision == "started"; rec["started"] != started {
			t.Errorf("%s: started %v; want %v", w.decision, rec["started"], started)
		}
		if d, ok := rec["duration"].(float64); !ok || d < 0 {
			t.Errorf("%s: duration %v; want seconds", w.decision, rec["duration"])
		}
	}
	if restartRec := byRequest[restart.header.Get("X-Request-ID")]; restartRec["dryRun"] != true {
		t.Errorf("the refused restart's record lost its dryRun: %v", restartRec)
	}
	if rec := byRequest[forbidden.header.Get("X-Request-ID")]; fmt.Sprint(rec["scopes"]) != "[SyncJobs.Read]" || rec["sub"] != "reader" {
		t.Errorf("the forbidden start's record does not say who tried it with what: %v", rec)
	}

	m := e.metrics()
	for _, c := range []struct {
		kind, decision string
		want           float64
	}{
		{"organization", "started", 2}, {"organization", "replayed", 1}, {"organization", "idempotency_conflict", 2},
		{"bulk", "rate_limited", 1}, {"job_restart", "rate_limited", 1}, {"job", "forbidden", 1},
	} {
		wantMetric(t, m, "syncgate_start_decisions_total", map[string]string{"kind": c.kind, "decision": c.decision}, c.want)
	}
}
