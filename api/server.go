// Package api is syncgate's REST surface: every route (routes.go), the
// handlers, their request and response types, problem+json errors and the
// HTTP middleware. It declares the small interfaces it needs from the backend
// adapters; cmd/syncgate wires the concrete adapters in.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/syncgate/syncgate/internal/audit"
	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/telemetry"
	"github.com/syncgate/syncgate/internal/veeam"
)

// OrganizationSyncer is what the organization routes need from the Veeam
// adapter.
type OrganizationSyncer interface {
	Organizations(ctx context.Context, offset, limit int) (veeam.OrganizationPage, error)
	Organization(ctx context.Context, id string) (veeam.Organization, error)
	StartSync(ctx context.Context, id string, req veeam.SyncRequest) error
	SyncState(ctx context.Context, id string) (veeam.SyncState, error)
	SyncStates(ctx context.Context) ([]veeam.SyncState, error)
}

var _ OrganizationSyncer = (*veeam.Client)(nil)

// Authenticator verifies callers' bearer tokens and puts the caller's
// principal in the request context.
type Authenticator interface {
	Authenticate(fail auth.FailFunc) func(http.Handler) http.Handler
}

var _ Authenticator = (*auth.Verifier)(nil)

// Scopes names the scope each group of routes requires.
type Scopes struct {
	OrganizationsRead, OrganizationsSync, SyncJobsRead, SyncJobsStart, SyncJobsManage string
}

// Config is what NewServer needs.
type Config struct {
	Logger *slog.Logger
	Auth   Authenticator
	Scopes Scopes
	Guard  *guard.Policy
	// Store holds idempotency records and rate-limit counters (the guard
	// holds its cooldown claims in the same store); StoreKind names it in
	// /readyz ("memory" or "redis"). Nil: a memory store.
	Store     store.Store
	StoreKind string
	// IdempotencyTTL is how long an Idempotency-Key's answer is replayed;
	// 0 means 24 h.
	IdempotencyTTL time.Duration
	// RateLimit is the per-caller limit; zero means none.
	RateLimit RateLimit
	// Organizations is the Veeam adapter; nil when Veeam is not configured,
	// and then OrganizationsMissing names the settings it needs.
	Organizations        OrganizationSyncer
	OrganizationsMissing []string
	// Jobs is the Graph adapter; nil when Graph is not configured, and then
	// JobsMissing names the settings it needs.
	Jobs        JobStarter
	JobsMissing []string
	// Ready reports whether the gateway can serve (signing keys loaded).
	Ready func(ctx context.Context) error
	// BulkConcurrency bounds the upstream starts one bulk call runs at once.
	BulkConcurrency int
	// Trace traces each request (telemetry.Tracing.Middleware), outermost;
	// nil traces nothing.
	Trace func(http.Handler) http.Handler
	// Tracer makes the guard decision's span; nil makes none.
	Tracer trace.Tracer
	// Audit takes the audit record of every start attempt; nil: the log only.
	Audit *audit.Log
	// Metrics counts requests and start decisions; nil counts nothing.
	Metrics Metrics
	// MetricsHandler serves GET /metrics; nil when the metrics are not
	// served on this listener (SYNCGATE_METRICS_ADDR), and the route then
	// answers 404.
	MetricsHandler http.Handler
	// WaitPoll is how often an organization's state is read from Veeam for
	// the requests waiting on it (Prefer: wait); 0 is DefaultWaitPoll.
	WaitPoll time.Duration
	// Stopping is closed when the gateway begins to shut down: waits end
	// then, answering the last state read. nil never closes.
	Stopping <-chan struct{}
	// CORSOrigins are the browser origins allowed to call the gateway
	// (scheme://host[:port], or "*" alone); empty: no CORS headers.
	CORSOrigins []string
}

// Metrics is what the api reports to the gateway's metrics
// (*telemetry.Metrics).
type Metrics interface {
	// ObserveRequest is one request answered: route is the matched route
	// pattern ("" for none), never the raw path.
	ObserveRequest(route, method string, status int, d time.Duration)
	// ObserveStart is one start decision (see metricDecision).
	ObserveStart(kind, decision string)
	// StoreError is one store operation that failed because the store could
	// not be reached ("cooldown", "idempotency", "ratelimit", "readyz").
	StoreError(op string)
	// RateLimited is one request the caller rate limit refused on route.
	RateLimited(route string)
}

// nopMetrics counts nothing.
type nopMetrics struct{}

func (nopMetrics) ObserveRequest(string, string, int, time.Duration) {}
func (nopMetrics) ObserveStart(string, string)                       {}
func (nopMetrics) StoreError(string)                                 {}
func (nopMetrics) RateLimited(string)                                {}

type server struct {
	Config
	bind  binder
	watch *syncWatch
	// startRoutes is what each POST route pattern starts (filled by
	// addRoutes, read-only once serving).
	startRoutes map[string]startRoute
	// untraced: Tracer records nothing (the no-op tracer, tracing off), so
	// a start makes no span and builds none of its attributes.
	untraced bool
}

// NewServer returns the gateway's HTTP handler.
func NewServer(cfg Config) http.Handler {
	cfg.Logger = telemetry.ContextLogger(cfg.Logger)
	if cfg.Audit == nil {
		cfg.Audit, _ = audit.Open("", cfg.Logger, nil) // no file: cannot fail
	}
	if cfg.BulkConcurrency <= 0 {
		cfg.BulkConcurrency = 4
	}
	if cfg.Trace == nil {
		cfg.Trace = func(h http.Handler) http.Handler { return h }
	}
	if cfg.Tracer == nil {
		cfg.Tracer = tracenoop.NewTracerProvider().Tracer("")
	}
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	if cfg.Store == nil {
		cfg.Store, cfg.StoreKind = store.NewMemory(nil), "memory"
	}
	if cfg.IdempotencyTTL <= 0 {
		cfg.IdempotencyTTL = 24 * time.Hour
	}
	if cfg.Ready == nil {
		cfg.Ready = func(context.Context) error { return nil }
	}
	if cfg.WaitPoll <= 0 {
		cfg.WaitPoll = DefaultWaitPoll
	}
	s := &server{Config: cfg, bind: newBinder(), watch: newSyncWatch(cfg.WaitPoll), startRoutes: map[string]startRoute{}}
	_, s.untraced = cfg.Tracer.(tracenoop.Tracer)
	r := chi.NewRouter()
	r.Use(cfg.Trace, requestID, recoverer(cfg.Logger, s.fail), accessLog(cfg.Logger, cfg.Metrics), securityHeaders, corsHandler(cfg.CORSOrigins), limitBody(s.fail))
	r.NotFound(s.handler(func(w http.ResponseWriter, r *http.Request) error {
		return newProblem(kindRouteNotFound, "no route matches "+r.Method+" "+r.URL.EscapedPath())
	}))
	r.MethodNotAllowed(s.handler(func(w http.ResponseWriter, req *http.Request) error {
		allowed := strings.Join(allowedMethods(r, req), ", ")
		w.Header().Set("Allow", allowed) // RFC 9110 §15.5.6
		return newProblem(kindMethodNotAllowed, req.Method+" is not allowed on "+req.URL.EscapedPath()+"; allowed: "+allowed)
	}))
	addRoutes(r, s)
	return r
}

// allowedMethods lists the methods routes answers on req's path.
func allowedMethods(routes chi.Routes, req *http.Request) []string {
	path := req.URL.RawPath
	if path == "" {
		path = req.URL.Path
	}
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		if routes.Match(chi.NewRouteContext(), m, path) {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

// handlerFunc is a handler that returns its failure instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handler adapts h to net/http: an error h returns is answered by fail.
func (s *server) handler(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// fail answers err as a problem (see writeError): every problem the gateway
// sends goes through here.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, s.Logger, err)
}

// organizations returns the Veeam adapter for a request whose inputs are
// valid: inputs, the problem collected from its path, query and body, comes
// first; then the 503 problem when Veeam is not configured.
func (s *server) organizations(inputs error) (OrganizationSyncer, error) {
	if inputs != nil {
		return nil, inputs
	}
	if s.Organizations == nil {
		return nil, notConfigured("Veeam Backup for Microsoft 365", s.OrganizationsMissing)
	}
	return s.Organizations, nil
}

// jobs returns the Graph adapter for a request whose inputs are valid (see
// organizations), or the 503 problem when Graph is not configured.
func (s *server) jobs(inputs error) (JobStarter, error) {
	if inputs != nil {
		return nil, inputs
	}
	if s.Jobs == nil {
		return nil, notConfigured("Microsoft Graph", s.JobsMissing)
	}
	return s.Jobs, nil
}

// scope requires the named scope on a route. A start refused for want of
// it is a start attempt by a known caller: it is audited (answeredEarly).
func (s *server) scope(name string) func(http.Handler) http.Handler {
	return auth.RequireScope(name, func(w http.ResponseWriter, r *http.Request, err error) {
		var missing *auth.ScopeError
		if errors.As(err, &missing) {
			s.answeredEarly(r, time.Now(), err)
		}
		s.fail(w, r, err)
	})
}

// notConfigured is the 503 of a backend that is not configured.
func notConfigured(backend string, missing []string) *Problem {
	p := newProblem(kindNotConfigured, "this gateway does not offer "+backend+"; an operator must set "+strings.Join(missing, ", "))
	p.Title = backend + " is not configured"
	return p
}

// handleHealthz answers GET /healthz: the process is alive.
//
//	@Summary		Liveness
//	@ID			healthz
//	@x-ms-visibility	"internal"
//	@Description	Answers 200 while the process serves requests.
//	@Tags			health
//	@Produce		json
//	@Success		200	{object}	Health	"Alive: status ok"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Router			/healthz [get]
func (s *server) handleHealthz() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		encode(w, http.StatusOK, Health{Status: "ok"})
		return nil
	})
}

// handleReadyz answers GET /readyz: configuration valid and signing keys
// loaded; the body reports the store.
//
//	@Summary		Readiness
//	@ID			readyz
//	@x-ms-visibility	"internal"
//	@Description	Answers 200 when the gateway can serve: its configuration is valid and the token signing keys are loaded. The body reports the store (memory, or the Redis shared by the replicas) and whether it answers: a Redis that cannot be reached leaves the gateway ready, since reads keep working, while starts answer 503 store-unavailable until it is back (every replica shares that Redis, so failing readiness would take them all out of service).
//	@Tags			health
//	@Produce		json
//	@Success		200	{object}	Health	"Ready: status ready"
//	@Failure		503	{object}	Problem	"upstream-unavailable: not ready (the detail says why)"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Router			/readyz [get]
func (s *server) handleReadyz() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		if err := s.Ready(r.Context()); err != nil {
			return newProblem(kindNotReady, err.Error())
		}
		st := &StoreHealth{Kind: s.StoreKind, Status: "up"}
		// Short: a probe's own timeout is a second or two, and a Redis that
		// does not answer within this is reported unavailable.
		ctx, cancel := context.WithTimeout(r.Context(), 500*time.Millisecond)
		defer cancel()
		if err := s.Store.Ping(ctx); err != nil {
			st.Status = "unavailable"
			s.Metrics.StoreError("readyz")
		}
		encode(w, http.StatusOK, Health{Status: "ready", Store: st})
		return nil
	})
}

// handleMetrics answers GET /metrics: the gateway's Prometheus metrics, unless
// they are served on their own listener (SYNCGATE_METRICS_ADDR).
//
//	@Summary		Prometheus metrics
//	@ID			metrics
//	@x-ms-visibility	"internal"
//	@Description	The gateway's metrics in Prometheus' text format: requests by route, backend calls, token
//	@Description	acquisitions, circuit breakers, start decisions, store errors and rate-limit refusals. When
//	@Description	SYNCGATE_METRICS_ADDR is set they are served there instead, and this route answers 404.
//	@Tags			health
//	@Produce		plain
//	@Success		200	{string}	string	"The metrics, in Prometheus' text exposition format"
//	@Failure		404	{object}	Problem	"route-not-found: the metrics are served on SYNCGATE_METRICS_ADDR"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Router			/metrics [get]
func (s *server) handleMetrics() http.HandlerFunc {
	if s.MetricsHandler != nil {
		return s.MetricsHandler.ServeHTTP
	}
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		return newProblem(kindRouteNotFound, "the metrics are not served on this listener: see SYNCGATE_METRICS_ADDR")
	})
}

// Health is the body of /healthz and /readyz.
type Health struct {
	Status string `json:"status" example:"ok"`
	// Store is reported by /readyz only.
	Store *StoreHealth `json:"store,omitempty"`
}

// StoreHealth is the store as /readyz sees it.
type StoreHealth struct {
	// Kind is memory (one replica) or redis (shared by the replicas).
	Kind string `json:"kind" enums:"memory,redis" example:"redis"`
	// Status is up, or unavailable: starts then answer 503 store-unavailable.
	Status string `json:"status" enums:"up,unavailable" example:"up"`
}
