// Package api is syncgate's REST surface: every route (routes.go), the
// handlers, their request and response types, problem+json errors and the
// HTTP middleware. It declares the small interfaces it needs from the backend
// adapters; cmd/syncgate wires the concrete adapters in.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/veeam"
)

// OrganizationSyncer is what the organization routes need from the Veeam
// adapter.
type OrganizationSyncer interface {
	Organizations(ctx context.Context, offset, limit int) (veeam.OrganizationPage, error)
	Organization(ctx context.Context, id string) (veeam.Organization, error)
	StartSync(ctx context.Context, id string, req veeam.SyncRequest) error
	SyncState(ctx context.Context, id string) (veeam.SyncState, error)
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
	OrganizationsRead, OrganizationsSync, SyncJobsRead, SyncJobsStart string
}

// Config is what NewServer needs.
type Config struct {
	Logger *slog.Logger
	Auth   Authenticator
	Scopes Scopes
	Guard  *guard.Policy
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
}

type server struct {
	Config
	bind binder
}

// NewServer returns the gateway's HTTP handler.
func NewServer(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BulkConcurrency <= 0 {
		cfg.BulkConcurrency = 4
	}
	if cfg.Ready == nil {
		cfg.Ready = func(context.Context) error { return nil }
	}
	s := &server{Config: cfg, bind: newBinder()}
	r := chi.NewRouter()
	r.Use(requestID, recoverer(cfg.Logger), accessLog(cfg.Logger), securityHeaders, limitBody(cfg.Logger))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, newProblem(http.StatusNotFound, TypeRouteNotFound, "No such route",
			"no route matches "+r.Method+" "+r.URL.EscapedPath()))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, newProblem(http.StatusMethodNotAllowed, TypeMethodNotAllowed, "Method not allowed",
			r.Method+" is not allowed on "+r.URL.EscapedPath()))
	})
	addRoutes(r, s)
	return r
}

// problem writes p.
func (s *server) problem(w http.ResponseWriter, r *http.Request, p *Problem) {
	writeProblem(w, r, s.Logger, p)
}

// fail writes the problem for err; target names what the request was about.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.problem(w, r, problemFor(err, "the target"))
}

// scope requires the named scope on a route.
func (s *server) scope(name string) func(http.Handler) http.Handler {
	return auth.RequireScope(name, s.fail)
}

// notConfigured answers 503 when a backend is not configured.
func notConfigured(backend string, missing []string) *Problem {
	return newProblem(http.StatusServiceUnavailable, TypeNotConfigured, backend+" is not configured",
		"this gateway does not offer "+backend+"; an operator must set "+strings.Join(missing, ", "))
}

// handleHealthz answers GET /healthz: the process is alive.
//
//	@Summary		Liveness
//	@ID			healthz
//	@Description	Answers 200 while the process serves requests.
//	@Tags			health
//	@Produce		json
//	@Success		200	{object}	Health	"Alive: status ok"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Router			/healthz [get]
func (s *server) handleHealthz() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, Health{Status: "ok"})
	}
}

// handleReadyz answers GET /readyz: configuration valid and signing keys loaded.
//
//	@Summary		Readiness
//	@ID			readyz
//	@Description	Answers 200 when the gateway can serve: its configuration is valid and the token signing keys are loaded.
//	@Tags			health
//	@Produce		json
//	@Success		200	{object}	Health	"Ready: status ready"
//	@Failure		503	{object}	Problem	"upstream-unavailable: not ready (the detail says why)"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Router			/readyz [get]
func (s *server) handleReadyz() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.Ready(r.Context()); err != nil {
			s.problem(w, r, newProblem(http.StatusServiceUnavailable, TypeUpstreamUnavailable, "Not ready", err.Error()))
			return
		}
		encode(w, http.StatusOK, Health{Status: "ready"})
	}
}

// Health is the body of /healthz and /readyz.
type Health struct {
	Status string `json:"status" example:"ok"`
}
