package api_test

import (
	"bytes"
	"maps"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

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

// TestStartFlowMetrics: every kind of start decision, read back from
// /metrics: the start decisions by kind and decision, the inbound requests
// by route pattern, the backend calls by operation and outcome, the token
// acquisitions and the build info.
func TestStartFlowMetrics(t *testing.T) {
	e := newEnv(t)
	orgSync := func(id string) string { return "/organizations/" + id + "/sync" }
	wantStatus(t, e.post(orgSync(veeamsim.ContosoID), `{"full":true}`), http.StatusAccepted)            // started
	wantStatus(t, e.post(orgSync(veeamsim.ContosoID), `{"full":true}`), http.StatusTooManyRequests)     // cooldown
	wantStatus(t, e.post(orgSync(veeamsim.WoodgroveID), ""), http.StatusConflict)                       // busy
	wantStatus(t, e.post(orgSync(veeamsim.NorthwindID), ""), http.StatusUnprocessableEntity)            // ineligible
	wantStatus(t, e.post(orgSync(veeamsim.FabrikamID)+"?dryRun=true", ""), http.StatusOK)               // dry run
	e.veeam.Faults.Set(veeamsim.RouteSync, sim.Fault{Status: http.StatusInternalServerError, Times: 1}) // failed
	wantStatus(t, e.post(orgSync(veeamsim.TailspinID), ""), http.StatusBadGateway)
	wantStatus(t, e.post(jobURL(graphsim.AWSObjectID, graphsim.AWSJobID)+"/start", ""), http.StatusAccepted)
	wantStatus(t, e.post("/organizations/sync?dryRun=true", `{"full":true}`), http.StatusOK) // 6 bulk items

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

	if fam := m["syncgate_build_info"]; fam == nil || len(fam.GetMetric()) != 1 || fam.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("syncgate_build_info = %v; want one series of value 1", fam)
	}
}

// TestMetricsCardinality: requests to 1,000 different organization ids add
// no series: the route label is the pattern, never the path.
func TestMetricsCardinality(t *testing.T) {
	e := newEnv(t)
	id := func(i int) string {
		return strings.Replace("00000000-0000-4000-8000-000000000000", "0000", fmtInt4(i), 1)
	}
	e.get("/organizations/" + id(0))
	e.get("/organizations/" + id(0) + "/sync")
	e.metrics() // the /metrics route's own series
	before := e.metrics().series()
	for i := 1; i <= 1000; i++ {
		path := "/organizations/" + id(i)
		if i%2 == 0 {
			path += "/sync"
		}
		if r := e.get(path); r.status != http.StatusNotFound {
			t.Fatalf("GET %s: %d; want 404", path, r.status)
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
