package telemetry_test

import (
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/syncgate/syncgate/internal/telemetry"
)

// scrape is the text a scrape of m's handler answers.
func scrape(t *testing.T, m *telemetry.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return string(body)
}

// TestHooks: what the breaker, the store and the rate limit report shows in
// a scrape: one breaker state at 1 and the others at 0, and the counters.
func TestHooks(t *testing.T) {
	m := telemetry.NewMetrics("v1.2.3")
	m.SetBreakerState("veeam", telemetry.BreakerClosed)
	m.SetBreakerState("veeam", telemetry.BreakerOpen)
	m.StoreError("claim")
	m.StoreError("claim")
	m.RateLimited("/organizations")
	m.RateLimited("")
	out := scrape(t, m)
	for _, want := range []string{
		`syncgate_circuit_breaker_state{backend="veeam",state="open"} 1`,
		`syncgate_circuit_breaker_state{backend="veeam",state="closed"} 0`,
		`syncgate_circuit_breaker_state{backend="veeam",state="half-open"} 0`,
		`syncgate_store_errors_total{operation="claim"} 2`,
		`syncgate_rate_limit_refusals_total{route="/organizations"} 1`,
		`syncgate_rate_limit_refusals_total{route="unmatched"} 1`,
		`syncgate_build_info{goversion="go`,
		`version="v1.2.3"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q:\n%s", want, out)
		}
	}
}

// TestNilMetrics: a component given no metrics (a nil *Metrics) records
// nothing and does not panic.
func TestNilMetrics(t *testing.T) {
	var m *telemetry.Metrics
	m.SetBreakerState("graph", telemetry.BreakerOpen)
	m.StoreError("claim")
	m.RateLimited("/x")
	m.ObserveStart(telemetry.KindJob, telemetry.DecisionStarted)
	m.ObserveToken("graph", telemetry.TokenFailure)
	m.ObserveCall("graph", "start job", "success", 0)
	m.ObserveRequest("/x", "GET", 200, 0)
}

// TestUnknownMethodBounded: a method no route serves is counted as OTHER,
// so made-up methods cannot add series.
func TestUnknownMethodBounded(t *testing.T) {
	m := telemetry.NewMetrics("dev")
	m.ObserveRequest("", "BREW", 405, 0)
	m.ObserveRequest("", "PROPFIND", 405, 0)
	out := scrape(t, m)
	if !strings.Contains(out, `syncgate_http_requests_total{method="OTHER",route="unmatched",status="405"} 2`) {
		t.Errorf("made-up methods not counted as one OTHER series:\n%s", out)
	}
}

// TestREADMEListsEveryMetric: README.md's metrics table names every
// syncgate_ metric the registry serves.
func TestREADMEListsEveryMetric(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := telemetry.NewMetrics("dev")
	m.ObserveRequest("/x", "GET", 200, 0)
	m.ObserveCall("veeam", "start sync", "success", 0)
	m.ObserveToken("veeam", telemetry.TokenSuccess)
	m.SetBreakerState("veeam", telemetry.BreakerClosed)
	m.ObserveStart(telemetry.KindJob, telemetry.DecisionStarted)
	m.StoreError("claim")
	m.RateLimited("/x")
	m.AuditWriteError()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fams {
		if !strings.HasPrefix(f.GetName(), "syncgate_") {
			continue
		}
		n++
		if !strings.Contains(string(readme), "`"+f.GetName()+"`") {
			t.Errorf("README.md does not document %s", f.GetName())
		}
	}
	if n < 11 {
		t.Errorf("%d syncgate_ metrics gathered; want every one", n)
	}
}
