package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/syncgate/syncgate/internal/telemetry"
)

// addRoutes lists every route of the gateway. Behind a token every route
// counts against the caller's rate limit; every POST honours
// Idempotency-Key (after its scope check, so a replay goes only to a caller
// allowed to make the request).
func addRoutes(r chi.Router, s *server) {
	r.Get("/healthz", s.handleHealthz())
	r.Get("/readyz", s.handleReadyz())
	r.Get("/metrics", s.handleMetrics())
	r.Get("/openapi.yaml", s.handleOpenAPI())
	r.Get("/swagger", s.handleSwaggerRedirect())
	r.Get("/swagger/", s.handleSwaggerUI())
	r.Get("/swagger/{file}", s.handleSwaggerFile())

	r.Group(func(r chi.Router) {
		r.Use(s.Auth.Authenticate(s.fail), s.rateLimit)
		// post is a POST route starting start: its scope, then
		// Idempotency-Key.
		post := func(scope, pattern string, start startRoute, h http.Handler) {
			s.startRoutes[pattern] = start
			r.With(s.scope(scope), s.idempotency).Post(pattern, h.ServeHTTP)
		}

		r.With(s.scope(s.Scopes.OrganizationsRead)).Get("/organizations", s.handleListOrganizations())
		post(s.Scopes.OrganizationsSync, "/organizations/sync", startRoute{actionBulkSync, telemetry.KindBulk}, s.handleBulkSync())
		r.With(s.scope(s.Scopes.OrganizationsRead)).Get("/organizations/sync", s.handleListSyncStates())
		r.With(s.scope(s.Scopes.OrganizationsRead)).Get("/organizations/{organizationId}", s.handleGetOrganization())
		post(s.Scopes.OrganizationsSync, "/organizations/{organizationId}/sync", startRoute{actionOrganizationSync, telemetry.KindOrganization}, s.handleStartSync())
		r.With(s.scope(s.Scopes.OrganizationsRead)).Get("/organizations/{organizationId}/sync", s.handleGetSync())

		r.With(s.scope(s.Scopes.SyncJobsRead)).Get("/applications/{applicationId}/jobs", s.handleListJobs())
		r.With(s.scope(s.Scopes.SyncJobsRead)).Get("/applications/{applicationId}/jobs/{jobId}", s.handleGetJob())
		post(s.Scopes.SyncJobsStart, "/applications/{applicationId}/jobs/{jobId}/start", startRoute{actionJobStart, telemetry.KindJob}, s.handleStartJob())
		post(s.Scopes.SyncJobsManage, "/applications/{applicationId}/jobs/{jobId}/pause", startRoute{actionJobPause, telemetry.KindJobPause}, s.handlePauseJob())
		post(s.Scopes.SyncJobsManage, "/applications/{applicationId}/jobs/{jobId}/restart", startRoute{actionJobRestart, telemetry.KindJobRestart}, s.handleRestartJob())
	})
}
