package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
)

// TestJobPause: an Active job is paused (one pause reaches Graph, the job is
// then Paused); a Paused job answers 200 with nothing sent; NotConfigured is
// 422; a dry run sends nothing; a start's cooldown never holds a pause back.
func TestJobPause(t *testing.T) {
	e := newEnv(t)
	slack := jobURL(graphsim.SlackObjectID, graphsim.SlackJobID)

	d := decodeJSON[api.DryRun](t, e.post(slack+"/pause?dryRun=true", ""))
	if !d.DryRun || !d.WouldStart || d.Reason != nil || d.PreviousStatus != "Active" {
		t.Fatalf("dry run pause of an Active job: %+v", d)
	}
	if n := e.graph.PauseCalls(graphsim.SlackJobID); n != 0 {
		t.Fatalf("a dry run sent %d pauses to Graph", n)
	}

	r := e.post(slack+"/pause", "")
	wantStatus(t, r, http.StatusOK)
	got := decodeJSON[api.JobPaused](t, r)
	if !got.Changed || got.Status != "Paused" || got.PreviousStatus != "Active" || got.UpstreamRequestID == "" ||
		got.JobID != graphsim.SlackJobID || got.RequestID != r.header.Get("X-Request-ID") {
		t.Fatalf("pause of an Active job: %+v", got)
	}
	if loc := r.header.Get("Location"); loc != slack {
		t.Errorf("Location %q; want %q", loc, slack)
	}
	if job := decodeJSON[api.Job](t, e.get(slack)); job.Status != "Paused" {
		t.Fatalf("job after pause: %s; want Paused", job.Status)
	}

	again := decodeJSON[api.JobPaused](t, e.post(slack+"/pause", ""))
	if again.Changed || again.PreviousStatus != "Paused" || again.UpstreamRequestID != "" {
		t.Fatalf("pause of a Paused job: %+v; want changed false", again)
	}
	d = decodeJSON[api.DryRun](t, e.post(slack+"/pause?dryRun=true", ""))
	if d.WouldStart || d.Reason != nil || d.PreviousStatus != "Paused" {
		t.Fatalf("dry run pause of a Paused job: %+v", d)
	}
	if n := e.graph.PauseCalls(graphsim.SlackJobID); n != 1 {
		t.Fatalf("%d pauses reached Graph; want 1 (none for the Paused job)", n)
	}

	dropbox := jobURL(graphsim.DropboxObjectID, graphsim.DropboxJobID) + "/pause"
	r = e.post(dropbox, "")
	wantProblem(t, r, http.StatusUnprocessableEntity, api.TypeNotEligible)
	if r.problem.CurrentStatus != "NotConfigured" || e.graph.PauseCalls(graphsim.DropboxJobID) != 0 {
		t.Fatalf("NotConfigured: %+v, %d pauses sent", r.problem, e.graph.PauseCalls(graphsim.DropboxJobID))
	}
	wantProblem(t, e.post(slack+"/pause?force=true", ""), http.StatusBadRequest, api.TypeValidation)

	// A job started moments ago can be paused at once; the start's cooldown
	// still holds the next start.
	aws := jobURL(graphsim.AWSObjectID, graphsim.AWSJobID)
	wantStatus(t, e.post(aws+"/start", ""), http.StatusAccepted)
	if p := decodeJSON[api.JobPaused](t, e.post(aws+"/pause", "")); !p.Changed || p.PreviousStatus != "Active" {
		t.Fatalf("pause right after a start: %+v", p)
	}
	wantProblem(t, e.post(aws+"/start", ""), http.StatusTooManyRequests, api.TypeCooldown)

	m := e.metrics()
	for _, c := range []struct {
		decision string
		want     float64
	}{{"started", 2}, {"unchanged", 1}, {"dry_run", 2}, {"ineligible", 1}} {
		wantMetric(t, m, "syncgate_start_decisions_total", map[string]string{"kind": "job_pause", "decision": c.decision}, c.want)
	}

	logs := e.logs.String()
	for _, want := range []string{`"action":"graph.job.pause"`, `"decision":"unchanged"`, `"decision":"would-be-unchanged"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

// TestJobRestartResetScopes: each reset scope reaches Graph as
// criteria.resetScope; the quarantine is lifted only by QuarantineState or
// Full, as Graph does.
func TestJobRestartResetScopes(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.cooldown = 0 })
	seed, ok := e.graph.Job(graphsim.ServiceNowObjectID, graphsim.ServiceNowJobID)
	if !ok || seed.Status.Code != graphsim.StatusQuarantine {
		t.Fatal("the seeded ServiceNow job is not in Quarantine")
	}
	path := jobURL(graphsim.ServiceNowObjectID, graphsim.ServiceNowJobID)
	tests := []struct {
		body, wantCriteria string
		lifts              bool
	}{
		{`{"resetScope":["Watermark"]}`, "Watermark", false},
		{`{"resetScope":["Escrows"]}`, "Escrows", false},
		{`{"resetScope":["ConnectorDataStore"]}`, "ConnectorDataStore", false},
		{`{"resetScope":["None"]}`, "None", false},
		{`{"resetScope":["QuarantineState"]}`, "QuarantineState", true},
		{`{"resetScope":["Full"]}`, "Full", true},
		{`{"resetScope":["Watermark","Escrows","QuarantineState"]}`, "Watermark, Escrows, QuarantineState", true},
		{``, "", false},
		{`{}`, "", false},
	}
	for i, tt := range tests {
		if !e.graph.PutJob(graphsim.ServiceNowObjectID, seed) {
			t.Fatal("PutJob")
		}
		r := e.post(path+"/restart", tt.body)
		wantStatus(t, r, http.StatusAccepted)
		got := decodeJSON[api.JobRestarted](t, r)
		if got.PreviousStatus != "Quarantine" || got.UpstreamRequestID == "" || r.header.Get("Location") != path {
			t.Errorf("%s: answer %+v", tt.body, got)
		}
		restarts := e.graph.Restarts(graphsim.ServiceNowJobID)
		if len(restarts) != i+1 || restarts[i] != tt.wantCriteria {
			t.Fatalf("%s: Graph got resetScope %q; want %q", tt.body, restarts[len(restarts)-1], tt.wantCriteria)
		}
		job := decodeJSON[api.Job](t, e.get(path))
		if lifted := job.Status == "Active" && job.Quarantine == nil; lifted != tt.lifts {
			t.Errorf("%s: job after restart %s (quarantine %v); want lifted=%v", tt.body, job.Status, job.Quarantine != nil, tt.lifts)
		}
	}
	if want := []string{"Watermark", "QuarantineState"}; !slices.Equal(decodeJSON[api.JobRestarted](t, e.post(
		jobURL(graphsim.AWSObjectID, graphsim.AWSJobID)+"/restart", `{"resetScope":["Watermark","QuarantineState"]}`)).ResetScope, want) {
		t.Errorf("answer's resetScope is not the one asked for")
	}
}

// TestJobRestartGuard: restart is guarded as a start and shares its
// cooldown; bad reset scopes are 400 before any call; dry runs send nothing.
func TestJobRestartGuard(t *testing.T) {
	e := newEnv(t)
	slack := jobURL(graphsim.SlackObjectID, graphsim.SlackJobID) + "/restart"
	r := e.post(slack, `{"resetScope":["Full"]}`)
	wantProblem(t, r, http.StatusConflict, api.TypeAlreadyRunning)
	if r.problem.CurrentStatus != "Active" || len(e.graph.Restarts(graphsim.SlackJobID)) != 0 {
		t.Fatalf("restart of an Active job: %+v", r.problem)
	}
	d := decodeJSON[api.DryRun](t, e.post(slack+"?dryRun=true&force=true", `{"resetScope":["Full"]}`))
	if !d.WouldStart || d.PreviousStatus != "Active" || len(e.graph.Restarts(graphsim.SlackJobID)) != 0 {
		t.Fatalf("forced dry run: %+v", d)
	}
	wantStatus(t, e.post(slack+"?force=true", `{"resetScope":["Full"]}`), http.StatusAccepted)
	wantProblem(t, e.post(slack+"?force=true", `{"resetScope":["Full"]}`), http.StatusTooManyRequests, api.TypeCooldown)

	// One cooldown for start and restart of a job, both ways.
	aws := jobURL(graphsim.AWSObjectID, graphsim.AWSJobID)
	wantStatus(t, e.post(aws+"/start", ""), http.StatusAccepted)
	r = e.post(aws+"/restart?force=true", `{"resetScope":["Watermark"]}`)
	wantProblem(t, r, http.StatusTooManyRequests, api.TypeCooldown)
	if r.header.Get("Retry-After") == "" || len(e.graph.Restarts(graphsim.AWSJobID)) != 0 {
		t.Fatal("restart in a start's cooldown: no Retry-After, or it reached Graph")
	}
	sf := jobURL(graphsim.SalesforceObjectID, graphsim.SalesforceJobID)
	wantStatus(t, e.post(sf+"/restart", ""), http.StatusAccepted)
	wantProblem(t, e.post(sf+"/start?force=true", ""), http.StatusTooManyRequests, api.TypeCooldown)
	if n := e.graph.StartCalls(graphsim.SalesforceJobID); n != 0 {
		t.Fatalf("a start in a restart's cooldown reached Graph (%d)", n)
	}

	wantProblem(t, e.post(jobURL(graphsim.DropboxObjectID, graphsim.DropboxJobID)+"/restart", ""), http.StatusUnprocessableEntity, api.TypeNotEligible)
	wantMetric(t, e.metrics(), "syncgate_start_decisions_total", map[string]string{"kind": "job_restart", "decision": "cooldown"}, 2)

	snow := jobURL(graphsim.ServiceNowObjectID, graphsim.ServiceNowJobID) + "/restart"
	for _, body := range []string{
		`{"resetScope":["Everything"]}`, `{"resetScope":["ForceDeletes"]}`, `{"resetScope":["Full","Full"]}`,
		`{"resetScope":"Full"}`, `{"scope":["Full"]}`,
	} {
		r := e.post(snow, body)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: %d; want 400", body, r.status)
		}
	}
	if r := e.post(snow, `{"resetScope":["Everything","Sometimes"]}`); len(r.problem.Errors) != 2 || r.problem.Errors[0].Field != "resetScope[0]" {
		t.Errorf("bad scopes: errors %+v; want both named", r.problem.Errors)
	}
	if d := decodeJSON[api.DryRun](t, e.post(snow+"?dryRun=true", `{"resetScope":["QuarantineState"]}`)); !d.WouldStart || d.PreviousStatus != "Quarantine" {
		t.Errorf("dry run: %+v", d)
	}
	if n := len(e.graph.Restarts(graphsim.ServiceNowJobID)); n != 0 {
		t.Fatalf("%d refused or dry-run restarts reached Graph", n)
	}

	// Every restart attempt is audited, refused and dry ones included, with
	// the reset scope it asked for.
	decisions := map[string]int{}
	for _, rec := range e.auditRecords() {
		if rec["action"] == "graph.job.restart" {
			decisions[fmt.Sprint(rec["decision"])]++
			if rec["decision"] == "would-start" && rec["target"] == graphsim.ServiceNowObjectID+"/"+graphsim.ServiceNowJobID &&
				fmt.Sprint(rec["request"]) != "map[resetScope:[QuarantineState]]" {
				t.Errorf("the dry run's audit record has request %v; want its resetScope [QuarantineState]", rec["request"])
			}
		}
	}
	t.Logf("restart audit decisions: %v", decisions)
	for _, d := range []string{"started", "already-running", "cooldown", "not-eligible", "would-start"} {
		if decisions[d] == 0 {
			t.Errorf("no audit record of a restart with decision %q (have %v)", d, decisions)
		}
	}
}

// TestJobManageScope: pause and restart need SyncJobs.Manage; SyncJobs.Start
// is not enough, and the challenge names the scope.
func TestJobManageScope(t *testing.T) {
	e := newEnv(t)
	tok := e.mint("SyncJobs.Read", "SyncJobs.Start")
	for _, action := range []string{"pause", "restart"} {
		r := e.do(req{method: "POST", path: jobURL(graphsim.SlackObjectID, graphsim.SlackJobID) + "/" + action, token: tok})
		wantProblem(t, r, http.StatusForbidden, api.TypeInsufficientScope)
		if !strings.Contains(r.header.Get("WWW-Authenticate"), `scope="SyncJobs.Manage"`) {
			t.Errorf("%s: WWW-Authenticate %q", action, r.header.Get("WWW-Authenticate"))
		}
	}
	if e.graph.PauseCalls(graphsim.SlackJobID) != 0 {
		t.Fatal("a refused pause reached Graph")
	}
	// The scope's name is configurable.
	e = newEnv(t, func(o *envOptions) {
		o.vars = map[string]string{"SYNCGATE_SCOPE_SYNCJOBS_MANAGE": "Provisioning.Admin"}
	})
	r := e.do(req{method: "POST", path: jobURL(graphsim.SlackObjectID, graphsim.SlackJobID) + "/pause", token: e.mint("Provisioning.Admin")})
	wantStatus(t, r, http.StatusOK)
}

// TestJobActionsIdempotencyKey: a restart and a pause repeated with their
// Idempotency-Key are answered with the first answer (Idempotent-Replayed)
// and reach Graph once; the key with another reset scope is 422.
func TestJobActionsIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	snow := jobURL(graphsim.ServiceNowObjectID, graphsim.ServiceNowJobID) + "/restart"
	restart := func(body string) response {
		return e.do(req{method: "POST", path: snow, token: e.token, body: body, header: withKey("restart-1")})
	}
	first := restart(`{"resetScope":["QuarantineState"]}`)
	wantStatus(t, first, http.StatusAccepted)
	again := restart(`{"resetScope":["QuarantineState"]}`)
	wantStatus(t, again, http.StatusAccepted)
	if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
		t.Fatalf("restart repeated with its key: %v %s; want the first answer replayed", again.header, again.body)
	}
	if n := len(e.graph.Restarts(graphsim.ServiceNowJobID)); n != 1 {
		t.Fatalf("%d restarts reached Graph; want 1", n)
	}
	wantProblem(t, restart(`{"resetScope":["Full"]}`), http.StatusUnprocessableEntity, api.TypeIdempotencyKeyReuse)

	slack := jobURL(graphsim.SlackObjectID, graphsim.SlackJobID) + "/pause"
	p1 := e.do(req{method: "POST", path: slack, token: e.token, header: withKey("pause-1")})
	wantStatus(t, p1, http.StatusOK)
	p2 := e.do(req{method: "POST", path: slack, token: e.token, header: withKey("pause-1")})
	if p2.header.Get("Idempotent-Replayed") != "true" || string(p2.body) != string(p1.body) {
		t.Fatalf("pause repeated with its key: %v %s; want the first answer (changed true) replayed", p2.header, p2.body)
	}
	if n := e.graph.PauseCalls(graphsim.SlackJobID); n != 1 {
		t.Fatalf("%d pauses reached Graph; want 1", n)
	}
}
