// Package telemetry is how syncgate is observed: its Prometheus metrics
// (one registry per gateway, nothing registered globally), its
// OpenTelemetry tracing (exported over OTLP only when the standard
// OTEL_EXPORTER_OTLP_ENDPOINT is set) and the log handler that puts the
// request id and trace id on every line of a request.
package telemetry

import (
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The start kinds and decisions syncgate_start_decisions_total counts.
const (
	KindOrganization = "organization"
	KindJob          = "job"
	KindBulkItem     = "bulk_item"
	KindJobPause     = "job_pause"
	KindJobRestart   = "job_restart"
	// KindBulk is a bulk sync refused or replayed as a whole, before its
	// organizations were read (its items are KindBulkItem).
	KindBulk = "bulk"

	DecisionStarted    = "started"
	DecisionBusy       = "busy"
	DecisionIneligible = "ineligible"
	DecisionCooldown   = "cooldown"
	DecisionFailed     = "failed"
	DecisionDryRun     = "dry_run"
	// DecisionUnchanged: the target was already as the action leaves it
	// (a pause of a Paused job): nothing was sent.
	DecisionUnchanged = "unchanged"
	// Answered before the guard: the caller lacks the route's scope (403),
	// the caller's rate limit refused it, its
	// Idempotency-Key replayed the first answer, or refused it (another
	// request with the key, or the first still in flight).
	DecisionForbidden           = "forbidden"
	DecisionRateLimited         = "rate_limited"
	DecisionReplayed            = "replayed"
	DecisionIdempotencyConflict = "idempotency_conflict"
	// Refused by the gateway itself, nothing sent: its store (Redis) cannot
	// be reached, or the backend's circuit breaker is open.
	DecisionStoreUnavailable = "store_unavailable"
	DecisionCircuitOpen      = "circuit_open"
)

// The circuit breaker states syncgate_circuit_breaker_state shows, as
// gobreaker names them.
const (
	BreakerClosed   = "closed"
	BreakerHalfOpen = "half-open"
	BreakerOpen     = "open"
)

var breakerStates = [...]string{BreakerClosed, BreakerHalfOpen, BreakerOpen}

// Token acquisition results.
const (
	TokenSuccess = "success"
	TokenFailure = "failure"
)

// RouteUnmatched is the route label of a request no route matched.
const RouteUnmatched = "unmatched"

// Metrics holds the gateway's Prometheus collectors in a registry of its
// own. Its methods are safe for concurrent use; a nil *Metrics records
// nothing, so a component built without metrics needs no check.
type Metrics struct {
	reg *prometheus.Registry

	requests         *prometheus.CounterVec
	requestDuration  *prometheus.HistogramVec
	upstreamCalls    *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec
	tokens           *prometheus.CounterVec
	breaker          *prometheus.GaugeVec
	starts           *prometheus.CounterVec
	storeErrors      *prometheus.CounterVec
	rateLimited      *prometheus.CounterVec
	auditErrors      prometheus.Counter

	// The series of requests and backend calls already seen, so that
	// counting one costs a map lookup: WithLabelValues hashes its labels and
	// allocates on every call. Their label values are bounded (route
	// patterns, known methods, the statuses the gateway answers, operations
	// and outcomes), and so are the maps.
	seriesMu      sync.RWMutex
	requestSeries map[requestKey]series
	callSeries    map[callKey]series
}

type requestKey struct {
	route, method string
	status        int
}

type callKey struct{ backend, op, outcome string }

// series is one label set's counter and histogram.
type series struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// NewMetrics registers every collector in a new registry: the gateway's own,
// Go's runtime metrics and the process's, and syncgate_build_info with
// version.
func NewMetrics(version string) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg:           reg,
		requestSeries: map[requestKey]series{},
		callSeries:    map[callKey]series{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncgate_http_requests_total",
			Help: "Inbound HTTP requests answered, by route pattern (never the raw path), method and status code.",
		}, []string{"route", "method", "status"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "syncgate_http_request_duration_seconds",
			Help:    "Time to answer an inbound HTTP request, by route pattern and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		upstreamCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncgate_upstream_calls_total",
			Help: "Calls to a backend (retries included in one call), by backend, operation and outcome: success or the failure's kind (not_found, conflict, invalid, auth, throttled, unavailable, timeout, bad_response, internal).",
		}, []string{"backend", "operation", "outcome"}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "syncgate_upstream_call_duration_seconds",
			Help:    "Time a backend call took, retries and their waits included, by backend and operation.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"backend", "operation"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncgate_upstream_token_acquisitions_total",
			Help: "Backend access tokens the gateway requested for itself (Veeam login or refresh, Entra token), by backend and result (success, failure).",
		}, []string{"backend", "result"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncgate_circuit_breaker_state",
			Help: "1 for the state each backend's circuit breaker is in (closed, half-open, open), 0 for the others.",
		}, []string{"backend", "state"}),
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncgate_start_decisions_total",
			Help: "Start attempts (pauses and restarts included) by kind (organization, job, bulk_item, bulk, job_pause, job_restart) and decision (started, unchanged, busy, ineligible, cooldown, failed, dry_run, rate_limited, replayed, idempotency_conflict, store_unavailable, circuit_open).",
		}, []string{"kind", "decision"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncgate_store_errors_total",
			Help: "Operations of the store (Redis, or memory) that failed because it could not be reached, by what they were for: cooldown (a start's claim), idempotency, ratelimit, readyz.",
		}, []string{"operation"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncgate_rate_limit_refusals_total",
			Help: "Requests refused with 429 by the caller rate limit, by route pattern.",
		}, []string{"route"}),
		auditErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "syncgate_audit_write_errors_total",
			Help: "Audit records SYNCGATE_AUDIT_FILE could not take (each is logged in full as an error).",
		}),
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "syncgate_build_info",
		Help: "Always 1: the running syncgate's version and the Go version it was built with.",
	}, []string{"version", "goversion"})
	buildInfo.WithLabelValues(version, runtime.Version()).Set(1)
	reg.MustRegister(m.requests, m.requestDuration, m.upstreamCalls, m.upstreamDuration, m.tokens,
		m.breaker, m.starts, m.storeErrors, m.rateLimited, m.auditErrors, buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in Prometheus' exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry the collectors live in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest counts one inbound request answered with status after d.
// route is the matched route pattern ("" for none, counted as unmatched).
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = RouteUnmatched
	}
	k := requestKey{route: route, method: knownMethod(method), status: status}
	cached(m, m.requestSeries, k, func() series {
		return series{m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(status)), m.requestDuration.WithLabelValues(k.route, k.method)}
	}).observe(d)
}

// cached is the series of k in seen, made by mk the first time.
func cached[K comparable](m *Metrics, seen map[K]series, k K, mk func() series) series {
	m.seriesMu.RLock()
	s, ok := seen[k]
	m.seriesMu.RUnlock()
	if !ok {
		s = mk()
		m.seriesMu.Lock()
		seen[k] = s
		m.seriesMu.Unlock()
	}
	return s
}

// observe counts one event that took d.
func (s series) observe(d time.Duration) {
	s.count.Inc()
	s.duration.Observe(d.Seconds())
}

// knownMethod keeps the label's values bounded: a method no route serves is
// OTHER.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// ObserveCall counts one backend call of operation op, which took d and
// ended in outcome ("success" or the failure's kind).
func (m *Metrics) ObserveCall(backend, op, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	cached(m, m.callSeries, callKey{backend, op, outcome}, func() series {
		return series{m.upstreamCalls.WithLabelValues(backend, op, outcome), m.upstreamDuration.WithLabelValues(backend, op)}
	}).observe(d)
}

// ObserveToken counts one token acquisition for backend (TokenSuccess or
// TokenFailure).
func (m *Metrics) ObserveToken(backend, result string) {
	if m == nil {
		return
	}
	m.tokens.WithLabelValues(backend, result).Inc()
}

// SetBreakerState shows backend's circuit breaker in state (BreakerClosed,
// BreakerHalfOpen or BreakerOpen): gobreaker's OnStateChange passes its
// new state's String(), which is one of them.
func (m *Metrics) SetBreakerState(backend, state string) {
	if m == nil {
		return
	}
	for _, s := range breakerStates {
		v := 0.0
		if s == state {
			v = 1
		}
		m.breaker.WithLabelValues(backend, s).Set(v)
	}
}

// ObserveStart counts one start decision of kind (the Kind* constants) and
// decision (the Decision* constants).
func (m *Metrics) ObserveStart(kind, decision string) {
	if m == nil {
		return
	}
	m.starts.WithLabelValues(kind, decision).Inc()
}

// StoreError counts one store operation that failed because the store could
// not be reached: "cooldown" (a start's claim), "idempotency", "ratelimit",
// "readyz".
func (m *Metrics) StoreError(op string) {
	if m == nil {
		return
	}
	m.storeErrors.WithLabelValues(op).Inc()
}

// RateLimited counts one request the caller rate limit refused on route
// (the route pattern, "" when none matched yet).
func (m *Metrics) RateLimited(route string) {
	if m == nil {
		return
	}
	if route == "" {
		route = RouteUnmatched
	}
	m.rateLimited.WithLabelValues(route).Inc()
}

// AuditWriteError counts one audit record the audit file could not take.
func (m *Metrics) AuditWriteError() {
	if m == nil {
		return
	}
	m.auditErrors.Inc()
}
