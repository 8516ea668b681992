package api_test

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// metricSet is what GET /metrics answered, parsed by Prometheus' own text
// parser.
type metricSet map[string]*dto.MetricFamily

// metrics reads the gateway's /metrics (no token needed).
func (e *env) metrics() metricSet {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/metrics"})
	wantStatus(e.t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		e.t.Fatalf("/metrics Content-Type %q; want text/plain", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		e.t.Fatalf("/metrics does not parse: %v\n%s", err, r.body)
	}
	return fams
}

// value is the value of the series of name whose labels are exactly labels
// (a histogram's: its count); found is false when there is none.
func (m metricSet) value(name string, labels map[string]string) (v float64, found bool) {
	fam, ok := m[name]
	if !ok {
		return 0, false
	}
	for _, s := range fam.GetMetric() {
		got := map[string]string{}
		for _, l := range s.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if !maps.Equal(got, labels) {
			continue
		}
		switch {
		case s.Counter != nil:
			return s.GetCounter().GetValue(), true
		case s.Gauge != nil:
			return s.GetGauge().GetValue(), true
		case s.Histogram != nil:
			return float64(s.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// series counts the series of the families whose names start with
// "syncgate_" (Go's and the process's own are left out).
func (m metricSet) series() int {
	n := 0
	for name, fam := range m {
		if strings.HasPrefix(name, "syncgate_") {
			n += len(fam.GetMetric())
		}
	}
	return n
}

// wantMetric fails the test unless the series of name with labels has value
// want.
func wantMetric(t *testing.T, m metricSet, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := m.value(name, labels)
	if !ok {
		t.Errorf("%s%v: no such series", name, labels)
		return
	}
	if got != want {
		t.Errorf("%s%v = %v; want %v", name, labels, got, want)
	}
}

// TestStartFlowsAuditAndMetrics: every kind of start decision — started,
// each refusal, dry run, upstream failure — leaves one audit record with
// every field right, in SYNCGATE_AUDIT_FILE and in the log, and the metric
// values read back from /metrics: start decisions by kind and decision,
// inbound requests by route pattern, backend calls by operation and
// outcome, token acquisitions and the build info.
func TestStartFlowsAuditAndMetrics(t *testing.T) {
	e := newEnv(t)
	begin := time.Now().UTC()
	orgSync := func(id string) string { return "/organizations/" + id + "/sync" }
	type flow struct {
		name, path, body string
		fault            func()
		status           int
		// the audit record
		action, target, decision, previousStatus string
		dryRun, started                          bool
		upstreamStatus                           int
		upstreamRequestID                        bool // Graph's request-id, as the answer gives it
		request                                  any  // the body as asked, as the record gives it
	}
	flows := []flow{
		{name: "started", path: orgSync(veeamsim.ContosoID), body: `{"full":true}`, status: http.StatusAccepted,
			action: "veeam.organization.sync", target: veeamsim.ContosoID, decision: "started", previousStatus: "None", started: true, upstreamStatus: http.StatusNoContent,
			request: map[string]any{"full": true}},
		{name: "cooldown", path: orgSync(veeamsim.ContosoID), body: `{"full":true}`, status: http.StatusTooManyRequests,
			action: "veeam.organization.sync", target: veeamsim.ContosoID, decision: "cooldown", // refused before the state is read,
			request: map[string]any{"full": true}},
		{name: "busy", path: orgSync(veeamsim.WoodgroveID), status: http.StatusConflict,
			action: "veeam.organization.sync", target: veeamsim.WoodgroveID, decision: "already-running", previousStatus: "Running", request: map[string]any{}},
		{name: "ineligible", path: orgSync(veeamsim.NorthwindID), status: http.StatusUnprocessableEntity,
			action: "veeam.organization.sync", target: veeamsim.NorthwindID, decision: "not-eligible", previousStatus: "None", request: map[string]any{}},
		{name: "dry run", path: orgSync(veeamsim.FabrikamID) + "?dryRun=true", status: http.StatusOK,
			action: "veeam.organization.sync", target: veeamsim.FabrikamID, decision: "would-start", previousStatus: "Success", dryRun: true, request: map[string]any{}},
		{name: "upstream failure", path: orgSync(veeamsim.TailspinID), status: http.StatusBadGateway,
			fault: func() {
				e.veeam.Faults.Set(veeamsim.RouteSync, sim.Fault{Status: http.StatusInternalServerError, Times: 1})
			},
			action: "veeam.organization.sync", target: veeamsim.TailspinID, decision: "upstream-error", previousStatus: "Error", upstreamStatus: http.StatusInternalServerError, request: map[string]any{}},
		{name: "job started", path: jobURL(graphsim.AWSObjectID, graphsim.AWSJobID) + "/start", status: http.StatusAccepted,
			action: "graph.job.start", target: graphsim.AWSObjectID + "/" + graphsim.AWSJobID, decision: "started", previousStatus: "Paused",
			started: true, upstreamStatus: http.StatusNoContent, upstreamRequestID: true},
	}
	for i, f := range flows {
		if f.fault != nil {
			f.fault()
		}
		traceID := fmt.Sprintf("4bf92f3577b34da6a3ce929d0e0e%04x", i)
		r := e.do(req{method: "POST", path: f.path, token: e.token, body: f.body,
			header: map[string]string{"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"}})
		wantStatus(t, r, f.status)
		recs := e.auditFileRecords()
		if len(recs) != i+1 {
			t.Fatalf("%s: %d audit records in the file; want %d", f.name, len(recs), i+1)
		}
		got := recs[i]
		want := map[string]any{
			"requestId": r.header.Get("X-Request-ID"), "traceId": traceID,
			"sub": "tester", "oid": testObjectID, "clientId": testClientID, "scopes": toAny(allScopes),
			"action": f.action, "target": f.target, "dryRun": f.dryRun, "force": false, "started": f.started,
			"previousStatus": f.previousStatus, "decision": f.decision,
		}
		if f.upstreamStatus != 0 {
			want["upstreamStatus"] = float64(f.upstreamStatus)
		}
		if f.request != nil {
			want["request"] = f.request
		}
		if f.upstreamRequestID {
			want["upstreamRequestId"] = decodeJSON[api.JobStarted](t, r).UpstreamRequestID
			if want["upstreamRequestId"] == "" {
				t.Errorf("%s: the answer has no upstreamRequestId", f.name)
			}
		}
		when, err := time.Parse(time.RFC3339Nano, fmt.Sprint(got["time"]))
		if err != nil || when.Before(begin.Add(-time.Second)) || when.After(time.Now().Add(time.Second)) {
			t.Errorf("%s: audit time %v; want the time of the request", f.name, got["time"])
		}
		if d, ok := got["duration"].(float64); !ok || d < 0 || d > 30 {
			t.Errorf("%s: audit duration %v; want seconds", f.name, got["duration"])
		}
		fileDuration, _ := got["duration"].(float64)
		delete(got, "time")
		delete(got, "duration")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: audit record in the file (-want +got):\n%s", f.name, diff)
		}
		// The same record in the log, as its own "audit" line.
		logged := e.auditRecords()
		if len(logged) != i+1 {
			t.Fatalf("%s: %d audit lines logged; want %d", f.name, len(logged), i+1)
		}
		for k, v := range want {
			if !reflect.DeepEqual(logged[i][k], v) {
				t.Errorf("%s: audit line's %s = %v; want %v", f.name, k, logged[i][k], v)
			}
		}
		// Its duration in seconds too, as the file gives it.
		if d, ok := logged[i]["duration"].(float64); !ok || math.Abs(d-fileDuration) > 1e-6 {
			t.Errorf("%s: audit line's duration %v; want the file's %v (seconds)", f.name, logged[i]["duration"], fileDuration)
		}
	}
	wantStatus(t, e.post("/organizations/sync?dryRun=true", `{"full":true}`), http.StatusOK) // 6 bulk items
	if n := len(e.auditFileRecords()); n != len(flows)+6 {
		t.Errorf("%d audit records after a bulk dry run of 6 organizations; want %d", n, len(flows)+6)
	}

	m := e.metrics()
	const starts = "syncgate_start_decisions_total"
	for _, c := range []struct {
		kind, decision string
		want           float64
	}{
		{"organization", "started", 1}, {"organization", "cooldown", 1}, {"organization", "busy", 1},
		{"organization", "ineligible", 1}, {"organization", "dry_run", 1}, {"organization", "failed", 1},
		{"job", "started", 1}, {"bulk_item", "dry_run", 6},
	} {
		wantMetric(t, m, starts, map[string]string{"kind": c.kind, "decision": c.decision}, c.want)
	}
	if _, ok := m.value(starts, map[string]string{"kind": "job", "decision": "failed"}); ok {
		t.Errorf("%s counts a failed job start that did not happen", starts)
	}

	const requests = "syncgate_http_requests_total"
	route := "/organizations/{organizationId}/sync"
	wantMetric(t, m, requests, map[string]string{"route": route, "method": "POST", "status": "202"}, 1)
	wantMetric(t, m, requests, map[string]string{"route": route, "method": "POST", "status": "429"}, 1)
	wantMetric(t, m, requests, map[string]string{"route": route, "method": "POST", "status": "502"}, 1)
	wantMetric(t, m, "syncgate_http_request_duration_seconds", map[string]string{"route": route, "method": "POST"}, 6)
	wantMetric(t, m, requests, map[string]string{"route": "/applications/{applicationId}/jobs/{jobId}/start", "method": "POST", "status": "202"}, 1)

	const calls = "syncgate_upstream_calls_total"
	wantMetric(t, m, calls, map[string]string{"backend": "veeam", "operation": "start sync", "outcome": "success"}, 1)
	wantMetric(t, m, calls, map[string]string{"backend": "veeam", "operation": "start sync", "outcome": "internal"}, 1)
	wantMetric(t, m, calls, map[string]string{"backend": "graph", "operation": "start job", "outcome": "success"}, 1)
	wantMetric(t, m, "syncgate_upstream_call_duration_seconds", map[string]string{"backend": "graph", "operation": "start job"}, 1)
	wantMetric(t, m, "syncgate_upstream_token_acquisitions_total", map[string]string{"backend": "veeam", "result": "success"}, 1)
	wantMetric(t, m, "syncgate_upstream_token_acquisitions_total", map[string]string{"backend": "graph", "result": "success"}, 1)
	wantMetric(t, m, "syncgate_audit_write_errors_total", map[string]string{}, 0)

	if fam := m["syncgate_build_info"]; fam == nil || len(fam.GetMetric()) != 1 || fam.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("syncgate_build_info = %v; want one series of value 1", fam)
	}
}

// toAny is a JSON array as encoding/json decodes it.
func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// TestMetricsCardinality: requests to 1,000 different organization ids add
// no series: the route label is the pattern, never the path; neither do the
// starts among them, each with an Idempotency-Key of its own (start
// decisions, backend calls and store operations are labelled by kind and
// operation, never by id or key).
func TestMetricsCardinality(t *testing.T) {
	e := newEnv(t)
	id := func(i int) string {
		return strings.Replace("00000000-0000-4000-8000-000000000000", "0000", fmtInt4(i), 1)
	}
	e.get("/organizations/" + id(0))
	e.get("/organizations/" + id(0) + "/sync")
	e.do(req{method: "POST", path: "/organizations/" + id(0) + "/sync", token: e.token, header: withKey("key-0")})
	e.metrics() // the /metrics route's own series
	before := e.metrics().series()
	for i := 1; i <= 1000; i++ {
		path := "/organizations/" + id(i)
		r := req{method: "GET", path: path, token: e.token}
		switch i % 4 {
		case 0:
			r.path += "/sync"
		case 1:
			r.method, r.path, r.header = "POST", path+"/sync", withKey("key-"+fmtInt4(i))
		}
		if got := e.do(r); got.status != http.StatusNotFound {
			t.Fatalf("%s %s: %d; want 404", r.method, r.path, got.status)
		}
	}
	if after := e.metrics().series(); after != before {
		t.Errorf("1,000 requests to 1,000 organization ids took the syncgate_ series from %d to %d", before, after)
	}
}

// fmtInt4 is i as four hex digits.
func fmtInt4(i int) string {
	const hex = "0123456789abcdef"
	return string([]byte{hex[i>>12&15], hex[i>>8&15], hex[i>>4&15], hex[i&15]})
}
